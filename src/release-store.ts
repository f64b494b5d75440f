import { gunzipSync } from 'node:zlib';
import type { Helm, HistoryEntry, ReleaseStatus } from './helm.js';
import type { KubeApi } from './kube-api.js';
import type { KubeList } from './kube-types.js';
import { isRecord } from './yaml-doc.js';

// What helm knows about a release, read where helm keeps it: one Secret per
// revision (type helm.sh/release.v1, labels owner=helm, name, version, status;
// data.release = base64 of gzip of the release JSON), the storage both Helm 3
// and Helm 4 use by default. One read through the API proxy replaces a helm
// process (about 80 ms each) several times per deploy. With another
// HELM_DRIVER, or when the Secrets cannot be read, helm itself is asked.

export interface ReleaseRecord extends ReleaseStatus {
  notes: string;
  description: string;
  manifest: string;
}

interface ReleaseSecret {
  metadata: { labels?: Record<string, string> };
  data?: { release?: string };
}

/** The release JSON in a helm.sh/release.v1 Secret's data.release. */
export function decodeReleaseSecret(data: string): ReleaseRecord {
  const packed = Buffer.from(Buffer.from(data, 'base64').toString('utf8'), 'base64');
  const json =
    packed[0] === 0x1f && packed[1] === 0x8b
      ? gunzipSync(packed).toString('utf8')
      : packed.toString('utf8');
  const doc = JSON.parse(json) as unknown;
  if (!isRecord(doc)) throw new Error('a release record that is not an object');
  const info = isRecord(doc.info) ? doc.info : {};
  const chart = isRecord(doc.chart) && isRecord(doc.chart.metadata) ? doc.chart.metadata : {};
  const text = (value: unknown) => (typeof value === 'string' ? value : '');
  return {
    name: text(doc.name),
    namespace: text(doc.namespace),
    revision: typeof doc.version === 'number' ? doc.version : 0,
    status: text(info.status),
    chartName: text(chart.name),
    chartVersion: text(chart.version),
    appVersion: text(chart.appVersion),
    lastDeployed: text(info.last_deployed),
    notes: text(info.notes),
    description: text(info.description),
    manifest: text(doc.manifest),
  };
}

export class ReleaseStore {
  constructor(
    private readonly helm: Helm,
    private readonly api: () => Promise<KubeApi>,
    /** False with a HELM_DRIVER other than the secret one: only helm can read the records then. */
    private readonly direct: boolean,
  ) {}

  /** Every revision of the release, oldest first; [] when there is none. */
  async records(release: string, namespace: string): Promise<ReleaseRecord[] | undefined> {
    if (!this.direct) return undefined;
    try {
      const selector = encodeURIComponent(`owner=helm,name=${release}`);
      const list = await (
        await this.api()
      ).json<KubeList<ReleaseSecret>>(
        `/api/v1/namespaces/${namespace}/secrets?labelSelector=${selector}`,
      );
      return list.items
        .filter((s) => s.data?.release)
        .map((s) => decodeReleaseSecret(s.data?.release ?? ''))
        .sort((a, b) => a.revision - b.revision);
    } catch {
      return undefined;
    }
  }

  /** The release's latest revision, or undefined when there is no such release. */
  async latest(release: string, namespace: string): Promise<ReleaseRecord | undefined> {
    const records = await this.records(release, namespace);
    if (records) return records.at(-1);
    const status = await this.helm.status(release, namespace);
    if (!status) return undefined;
    const manifest = (await this.helm.getManifest(release, namespace)) ?? '';
    return {
      ...status,
      notes: await this.helm.notes(release, namespace),
      description: '',
      manifest,
    };
  }

  async history(release: string, namespace: string): Promise<HistoryEntry[]> {
    const records = await this.records(release, namespace);
    if (!records) return this.helm.history(release, namespace);
    return records.map((r) => ({
      revision: r.revision,
      status: r.status,
      updated: r.lastDeployed,
      description: r.description,
    }));
  }

  /** A revision's manifest; undefined while it does not exist. */
  async manifest(
    release: string,
    namespace: string,
    revision: number,
  ): Promise<string | undefined> {
    const records = await this.records(release, namespace);
    if (!records) return this.helm.getManifest(release, namespace, revision);
    return records.find((r) => r.revision === revision)?.manifest;
  }
}

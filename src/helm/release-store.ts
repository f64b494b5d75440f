import { gunzipSync } from 'node:zlib';
import type { Helm, HistoryEntry, ReleaseStatus } from './helm.js';
import type { KubeApi } from '../kube/api.js';
import type { KubeList } from '../kube/types.js';
import { isRecord } from '../yaml.js';

// What helm knows about releases, read where helm keeps it: one Secret
// (HELM_DRIVER unset or secret, the default of Helm 3 and Helm 4) or one
// ConfigMap (HELM_DRIVER=configmap) per revision, labels owner=helm, name,
// version, status; data.release = base64 of gzip of the release JSON (a
// Secret's data is base64 once more). One read through the API proxy replaces
// a helm process (about 80 ms each) several times per deploy. With another
// driver (sql, memory), or when the records cannot be read, helm itself is
// asked. Everything that asks about releases asks this store, so that every
// question gets its answer from the storage helm actually uses.

export interface ReleaseRecord extends ReleaseStatus {
  notes: string;
  description: string;
  manifest: string;
}

/** Where the release records are read: Kubernetes objects of one kind, or helm's CLI. */
export type ReleaseStorage = 'secrets' | 'configmaps' | 'helm';

/** The storage of a HELM_DRIVER value, as helm chooses it ('' and 'secret' are its default). */
export function releaseStorage(driver: string | undefined): ReleaseStorage {
  switch (driver ?? '') {
    case '':
    case 'secret':
    case 'secrets':
      return 'secrets';
    case 'configmap':
    case 'configmaps':
      return 'configmaps';
    default:
      return 'helm';
  }
}

interface StoredRecord {
  metadata: { labels?: Record<string, string> };
  data?: { release?: string };
}

/** The release JSON in a record's data.release, as helm encoded it (base64 of gzip). */
export function decodeRelease(encoded: string): ReleaseRecord {
  const packed = Buffer.from(encoded, 'base64');
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

/** The release JSON of a record object of the storage (a Secret's data is base64 once more). */
function decodeStored(storage: ReleaseStorage, data: string): ReleaseRecord {
  return decodeRelease(storage === 'secrets' ? Buffer.from(data, 'base64').toString('utf8') : data);
}

export class ReleaseStore {
  constructor(
    private readonly helm: Helm,
    private readonly api: () => Promise<KubeApi>,
    /** Where helm keeps the records (HELM_DRIVER). */
    readonly storage: ReleaseStorage,
  ) {}

  /** The record objects matching `selector` in the namespace; undefined when only helm can read them. */
  private async stored(namespace: string, selector: string): Promise<StoredRecord[] | undefined> {
    if (this.storage === 'helm') return undefined;
    try {
      const list = await (
        await this.api()
      ).json<KubeList<StoredRecord>>(
        `/api/v1/namespaces/${namespace}/${this.storage}?labelSelector=${encodeURIComponent(selector)}`,
      );
      return list.items;
    } catch {
      return undefined;
    }
  }

  /** Every revision of the release, oldest first; [] when there is none. */
  async records(release: string, namespace: string): Promise<ReleaseRecord[] | undefined> {
    const stored = await this.stored(namespace, `owner=helm,name=${release}`);
    return stored
      ?.filter((s) => s.data?.release)
      .map((s) => decodeStored(this.storage, s.data?.release ?? ''))
      .sort((a, b) => a.revision - b.revision);
  }

  /** The names of the releases with any record in the namespace (whatever their status). */
  async names(namespace: string): Promise<string[]> {
    const stored = await this.stored(namespace, 'owner=helm');
    const names = stored
      ? stored.map((s) => s.metadata.labels?.name ?? '').filter((name) => name !== '')
      : await this.helm.list(namespace);
    return [...new Set(names)];
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

import { gunzipSync } from 'node:zlib';
import type { Helm, HistoryEntry, ReleaseStatus } from './helm.js';
import type { KubeApi } from '../kube/api.js';
import { isRecord } from '../yaml.js';

// What helm knows about releases, read where helm keeps it: one Secret
// (HELM_DRIVER unset or secret, the default of Helm 3 and Helm 4) or one
// ConfigMap (HELM_DRIVER=configmap) per revision, labels owner=helm, name,
// version, status; data.release = base64 of gzip of the release JSON (a
// Secret's data is base64 once more). One read through the API client replaces
// a helm process (about 80 ms each) several times per deploy. Only with
// another driver (sql, memory) is helm itself asked; a record that cannot be
// read (a 403, a record that does not decode) is an error that says what was
// asked. Everything that asks about releases asks this store, so that every
// question gets its answer from the storage helm actually uses.

export interface ReleaseRecord extends ReleaseStatus {
  notes: string;
  description: string;
  manifest: string;
  /** The user-supplied values (`helm get values`). */
  config: Record<string, unknown>;
  /** The chart's default values, under `config` in the merged values (`helm get values --all`). */
  chartValues: Record<string, unknown>;
  /** The release's own labels (`helm upgrade --labels`), without helm's. */
  labels: Record<string, string>;
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

/**
 * Whether a run that only reads releases (command status) needs helm, and why,
 * for its log: only a storage that helm alone reads (HELM_DRIVER sql, memory).
 */
export function helmForReading(driver: string | undefined): { needed: boolean; why: string } {
  const storage = releaseStorage(driver);
  const named = `HELM_DRIVER ${driver ? driver : 'unset'}`;
  if (storage === 'helm')
    return {
      needed: true,
      why: `${named}: helm's release records are where only helm reads them, so command status asks helm`,
    };
  return {
    needed: false,
    why: `Helm not installed: command status reads helm's release records (${storage === 'secrets' ? 'Secrets' : 'ConfigMaps'}, ${named}) through the Kubernetes API and runs no helm`,
  };
}

export interface StoredRecord {
  metadata: { name?: string; labels?: Record<string, string> };
  data?: { release?: string };
}

/** The record of the newest revision, by the `version` label helm sets (no decoding). */
export function newestRecord(stored: StoredRecord[]): StoredRecord | undefined {
  const revision = (s: StoredRecord) => Number(s.metadata.labels?.version ?? 0);
  return stored
    .filter((s) => s.data?.release)
    .reduce<StoredRecord | undefined>(
      (newest, s) => (!newest || revision(s) > revision(newest) ? s : newest),
      undefined,
    );
}

// The labels helm sets on every record object; the others are the release's
// own (`helm upgrade --labels`), kept there beside them (not in the JSON).
const HELM_SYSTEM_LABELS = ['owner', 'name', 'status', 'version', 'createdAt', 'modifiedAt'];

/** The release's own labels among those of its record object. */
export function releaseLabels(stored: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(
    Object.entries(stored ?? {}).filter(([key]) => !HELM_SYSTEM_LABELS.includes(key)),
  );
}

/**
 * The release JSON in a record's data.release, as helm encoded it (base64 of
 * gzip), with the labels of the object that holds it.
 */
export function decodeRelease(
  encoded: string,
  storedLabels?: Record<string, string>,
): ReleaseRecord {
  const packed = Buffer.from(encoded, 'base64');
  const json =
    packed[0] === 0x1f && packed[1] === 0x8b
      ? gunzipSync(packed).toString('utf8')
      : packed.toString('utf8');
  const doc = JSON.parse(json) as unknown;
  if (!isRecord(doc)) throw new Error('a release record that is not an object');
  const info = isRecord(doc.info) ? doc.info : {};
  const chart = isRecord(doc.chart) && isRecord(doc.chart.metadata) ? doc.chart.metadata : {};
  const chartValues = isRecord(doc.chart) && isRecord(doc.chart.values) ? doc.chart.values : {};
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
    config: isRecord(doc.config) ? doc.config : {},
    chartValues,
    labels: releaseLabels(storedLabels),
  };
}

export class ReleaseStore {
  constructor(
    /** Asked only for a storage it alone reads; absent where none was installed (command status). */
    private readonly helm: Helm | undefined,
    private readonly api: () => Promise<KubeApi>,
    /** Where helm keeps the records (HELM_DRIVER). */
    readonly storage: ReleaseStorage,
  ) {}

  /** The names of the releases with any record in the namespace (whatever their status). */
  async names(namespace: string): Promise<string[]> {
    const names =
      this.storage === 'helm'
        ? await this.cli().list(namespace)
        : (await this.stored(namespace, 'owner=helm')).map((s) => s.metadata.labels?.name ?? '');
    return [...new Set(names.filter((name) => name !== ''))];
  }

  /**
   * The release's latest revision, or undefined when there is no such release.
   * `notOlderThan`: a resourceVersion this run wrote; the records are read as
   * they were then or later, which the API server answers from its cache
   * without first catching up with everything written since.
   */
  async latest(
    release: string,
    namespace: string,
    notOlderThan?: string,
  ): Promise<ReleaseRecord | undefined> {
    if (this.storage === 'helm') return this.latestFromHelm(release, namespace);
    const selector = `owner=helm,name=${release}`;
    const newest = newestRecord(await this.stored(namespace, selector, notOlderThan));
    return newest && this.decode(newest);
  }

  async history(release: string, namespace: string): Promise<HistoryEntry[]> {
    if (this.storage === 'helm') return this.cli().history(release, namespace);
    const records = await this.decodeAll(namespace, `owner=helm,name=${release}`);
    return records
      .sort((a, b) => a.revision - b.revision)
      .map((r) => ({
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
    if (this.storage === 'helm') return this.cli().getManifest(release, namespace, revision);
    const [record] = await this.decodeAll(
      namespace,
      `owner=helm,name=${release},version=${revision}`,
    );
    return record?.manifest;
  }

  /** Helm, for a storage only helm reads (the run installed it: see helmForReading). */
  private cli(): Helm {
    if (!this.helm)
      throw new Error(
        "helm's release records are where only helm reads them, and this run installed no helm",
      );
    return this.helm;
  }

  /** The record objects matching `selector` in the namespace. */
  private async stored(
    namespace: string,
    selector: string,
    notOlderThan?: string,
  ): Promise<StoredRecord[]> {
    const fresh = notOlderThan
      ? `&resourceVersion=${notOlderThan}&resourceVersionMatch=NotOlderThan`
      : '';
    const path = `/api/v1/namespaces/${namespace}/${this.storage}?labelSelector=${encodeURIComponent(selector)}${fresh}`;
    try {
      return await (await this.api()).items<StoredRecord>(path);
    } catch (err) {
      throw new Error(
        `Cannot read helm's release records (${this.storage} labelled ${selector} in namespace ${namespace}): ${(err as Error).message}`,
        { cause: err },
      );
    }
  }

  private async decodeAll(namespace: string, selector: string): Promise<ReleaseRecord[]> {
    const stored = await this.stored(namespace, selector);
    return stored.filter((s) => s.data?.release).map((s) => this.decode(s));
  }

  /** The release JSON of a record object (a Secret's data is base64 once more). */
  private decode(stored: StoredRecord): ReleaseRecord {
    const data = stored.data?.release ?? '';
    try {
      return decodeRelease(
        this.storage === 'secrets' ? Buffer.from(data, 'base64').toString('utf8') : data,
        stored.metadata.labels,
      );
    } catch (err) {
      throw new Error(
        `Cannot decode helm's release record ${stored.metadata.name ?? ''}: ${(err as Error).message}`,
        { cause: err },
      );
    }
  }

  /** What helm's CLI says of the latest revision, for a driver only helm reads. */
  private async latestFromHelm(
    release: string,
    namespace: string,
  ): Promise<ReleaseRecord | undefined> {
    const helm = this.cli();
    const status = await helm.status(release, namespace);
    if (!status) return undefined;
    const [manifest, notes, config, merged] = await Promise.all([
      helm.getManifest(release, namespace),
      helm.notes(release, namespace),
      helm.userValues(release, namespace),
      helm.userValues(release, namespace, { all: true }),
    ]);
    // The merged values stand in for the chart's: the user's merge over them unchanged.
    return {
      ...status,
      notes,
      description: '',
      manifest: manifest ?? '',
      config,
      chartValues: merged,
    };
  }
}

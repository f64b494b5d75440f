import * as yaml from 'js-yaml';
import { type ManifestObject, objectName } from '../kube/manifest.js';
import { isRecord } from '../yaml.js';
import { lilyValuesSection } from './values-sections.js';

// What Lily would do with the chart values and the rendered release, decided
// before anything changes (/shared/lily-runtime.md, /shared/lily-chart.md).
// Pure: the caller merges the values as helm does (chart defaults, the
// user's, ours) and renders; this finds and words. Every finding names the
// values path to set and an example of the fix.

type Values = Record<string, unknown>;

export interface LilyFinding {
  /** The values path to set. */
  path: string;
  /** What is wrong, and what Lily or the chart would do with it. */
  summary: string;
  /** The fix, as values YAML to set. */
  example: string;
}

export interface LilyReport {
  /** Lily would fail, or index into nothing: the deploy is refused. */
  errors: LilyFinding[];
  /** Lily runs, at a cost the user should know about. */
  warnings: LilyFinding[];
}

/** The FilOps snapshot service the chart's default importSnapshot.url points at, retired in 2024. */
const RETIRED_SNAPSHOT_HOST = /^snapshots\.[a-z]+\.filops\.net$/;
/** Forest's, which replaced it (zstd: Lily ≥ v0.14.1 reads it). */
export const CURRENT_SNAPSHOT_URL = 'https://forest-archive.chainsafe.dev/latest/mainnet/';
/** Flags of the job kinds (watch, walk, fill, find, survey, tipset-worker, notify): not `lily job run`'s. */
const KIND_FLAGS = ['confidence', 'workers', 'buffer-size', 'interval', 'from', 'to', 'queue'];
/** The part of a storage name the chart turns into an environment variable, a shell variable and a TOML key. */
const STORAGE_NAME = /^[A-Za-z0-9_]+$/;
/** Lily's API port, where a token-less caller gets read permission, which includes Shutdown. */
const API_PORT = 1234;

export function checkLilyConfig(values: Values, objects: ManifestObject[]): LilyReport {
  const section = values.deploymentType;
  // Another deploymentType fails the chart's own rendering.
  const chartErrors =
    section === 'daemon' || section === 'cluster' ? sectionProblems(values, section) : [];
  return {
    errors: [...chartErrors, ...snapshotProblems(values)],
    warnings: [...emptyDirDatastores(objects), ...exposedApis(objects)],
  };
}

function records(value: unknown): Values[] {
  return Array.isArray(value) ? value.map((item) => (isRecord(item) ? item : {})) : [];
}

function text(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : '';
}

/** `key: value` as the YAML to set at a dotted path, for an example. */
function yamlAt(path: string, value: unknown): string {
  const tree = path.split('.').reduceRight<unknown>((inner, key) => ({ [key]: inner }), value);
  return yaml.dump(tree).trimEnd();
}

function sectionProblems(values: Values, section: 'daemon' | 'cluster'): LilyFinding[] {
  const sectionValues = isRecord(values[section]) ? values[section] : {};
  const storage = isRecord(sectionValues.storage) ? sectionValues.storage : {};
  const storages = records(storage.postgresql);
  const names = storages.map((s) => text(s.name));
  return [
    ...storages.flatMap((entry, i) =>
      storageProblems(entry, `${section}.storage.postgresql[${i}]`),
    ),
    ...records(sectionValues.jobs).flatMap((job, i) =>
      jobProblems(job, `${section}.jobs[${i}]`, section, names),
    ),
  ];
}

function storageProblems(entry: Values, path: string): LilyFinding[] {
  const name = text(entry.name);
  const problems: LilyFinding[] = [];
  if (!STORAGE_NAME.test(name)) {
    const fixed = name.replace(/[^A-Za-z0-9_]/g, '_') || 'db';
    problems.push({
      path: `${path}.name`,
      summary:
        `storage ${path} is named ${JSON.stringify(name)}: the chart makes the name part of an environment variable ` +
        `(LILY_STORAGE_POSTGRESQL_<NAME>_URL), a shell variable and a TOML key, so anything but letters, digits and '_' breaks the pod`,
      example: `name: ${fixed}   # and the jobs' storage with it`,
    });
  }
  if (text(entry.schema) === '') {
    problems.push({
      path: `${path}.schema`,
      summary:
        `storage ${JSON.stringify(name)} (${path}) has no schema: the chart's init-database runs \`lily migrate --schema\` with no value, ` +
        'which fails with "flag needs an argument: -schema", so the pod never starts (config.toml alone would default it to lily)',
      example: 'schema: lily',
    });
  }
  return problems;
}

/** A job's `--storage` among its jobArgs (`--storage=db` or `--storage db`). */
function storageFlag(jobArgs: string[]): string | undefined {
  let found: string | undefined;
  jobArgs.forEach((arg, i) => {
    const match = /^--?storage(?:=(.*))?$/.exec(arg);
    if (match) found = match[1] ?? jobArgs[i + 1] ?? '';
  });
  return found;
}

function jobProblems(
  job: Values,
  path: string,
  section: 'daemon' | 'cluster',
  storageNames: string[],
): LilyFinding[] {
  const command = text(job.command);
  // The chart skips tipset-worker jobs on a daemon and on the notifier.
  if (command === 'tipset-worker') return [];
  const label = JSON.stringify(text(job.name) || command);
  const jobArgs = (Array.isArray(job.jobArgs) ? job.jobArgs : []).map(text);
  const problems = kindFlagProblems(jobArgs, `${path}.jobArgs`, label);
  const defined = storageNames.length > 0 ? storageNames.join(', ') : 'none';
  const example = storageNames[0] ?? 'db';
  // A daemon's job gets no --storage from the chart (its storage value only shows in NOTES);
  // the notifier's gets --storage="<storage>", after the jobArgs, so it wins.
  const [storage, storagePath, storageExample] =
    section === 'daemon'
      ? [
          storageFlag(jobArgs),
          `${path}.jobArgs`,
          `jobArgs: ["--storage=${example}"${jobArgs.map((a) => `, ${JSON.stringify(a)}`).join('')}]`,
        ]
      : [text(job.storage), `${path}.storage`, `storage: ${example}`];
  if (!storage) {
    problems.push({
      path: storagePath,
      summary:
        section === 'daemon'
          ? `daemon job ${label} (${path}) writes to no storage: in daemon mode the chart passes no --storage to \`lily job run\` ` +
            `(a job's storage value only shows in the chart's notes), so Lily indexes into a null store and nothing reaches the database ` +
            `(storages defined: ${defined})`
          : `cluster job ${label} (${path}) has no storage: the chart passes --storage="" to \`lily job run\`, so Lily indexes into a null store ` +
            `and nothing reaches the database (storages defined: ${defined})`,
      example: storageExample,
    });
  } else if (!storageNames.includes(storage)) {
    problems.push({
      path: storagePath,
      summary:
        `job ${label} (${path}) writes to storage ${JSON.stringify(storage)}, which the config does not define (storages defined: ${defined}): ` +
        `\`lily job run\` fails with 'unknown storage: "${storage}"' in the postStart hook, which kills the container`,
      example: storageExample,
    });
  }
  if (section === 'cluster' && text(job.queue) !== '') {
    problems.push({
      path: `${path}.queue`,
      summary:
        `cluster job ${label} (${path}) names queue ${JSON.stringify(text(job.queue))}, which the config does not define: the chart's config.toml ` +
        'defines only the notifier queue Notifier1 and the worker queue Worker1, and passes this one queue to both, so ' +
        `\`lily job run\` fails with 'unknown client: "…"' (notifier) or 'unknown server: "…"' (worker)`,
      example: `# remove ${path}.queue: the chart then uses Notifier1 and Worker1`,
    });
  }
  return problems;
}

function kindFlagProblems(jobArgs: string[], path: string, label: string): LilyFinding[] {
  return jobArgs.flatMap((arg) => {
    const flag = /^--?([a-z-]+)(?:=|$)/.exec(arg)?.[1];
    if (!flag || !KIND_FLAGS.includes(flag)) return [];
    return [
      {
        path,
        summary:
          `job ${label} has ${arg} in jobArgs, which the chart puts before the job's kind, where it is not a \`lily job run\` flag: ` +
          `the job fails with "flag provided but not defined: -${flag}" in the postStart hook, which kills the container`,
        example: `commandArgs: [${JSON.stringify(arg)}]   # a flag of the kind goes in commandArgs`,
      },
    ];
  });
}

function snapshotProblems(values: Values): LilyFinding[] {
  const snapshot = isRecord(values.importSnapshot) ? values.importSnapshot : {};
  const url = text(snapshot.url);
  if (!snapshot.enabled || !RETIRED_SNAPSHOT_HOST.test(hostOf(url))) return [];
  return [
    {
      path: 'importSnapshot.url',
      summary:
        `importSnapshot is enabled with ${url}, the FilOps snapshot service, retired in 2024 (replaced by Forest's snapshots): ` +
        'init-datastore\'s download fails ("...download failed: <aria2c status>") and the pod never starts',
      example:
        `${yamlAt('importSnapshot.url', CURRENT_SNAPSHOT_URL)}   # zstd: needs a Lily image >= v0.14.1\n` +
        '# or importSnapshot.enabled: false, to sync from genesis',
    },
  ];
}

function hostOf(url: string): string {
  try {
    return new URL(url).hostname;
  } catch {
    return '';
  }
}

function podSpec(object: ManifestObject): Values {
  const spec = isRecord(object.body.spec) ? object.body.spec : {};
  const template = isRecord(spec.template) ? spec.template : {};
  return isRecord(template.spec) ? template.spec : {};
}

/** Lily StatefulSets keeping the chain datastore on an emptyDir, lost with the pod. */
function emptyDirDatastores(objects: ManifestObject[]): LilyFinding[] {
  return objects
    .filter((o) => o.kind === 'StatefulSet')
    .filter((o) =>
      records(podSpec(o).volumes).some(
        (v) => v.name === 'datastore-volume' && v.emptyDir !== undefined,
      ),
    )
    .map((object) => {
      const path = `${lilyValuesSection(object.name) ?? 'daemon'}.volumes.datastore.enabled`;
      return {
        path,
        summary:
          `${objectName(object)} keeps Lily's datastore on an emptyDir: the imported snapshot and the synced chain are lost ` +
          'whenever the pod is deleted, evicted or moved, and the next start imports and syncs again (hours on mainnet)',
        example: `${yamlAt(path, true)}   # a PVC per pod (set size and storageClassName beside it)`,
      };
    });
}

/** Services that expose Lily's API port beyond the cluster. */
function exposedApis(objects: ManifestObject[]): LilyFinding[] {
  return objects
    .filter((o) => o.kind === 'Service')
    .flatMap((object) => {
      const spec = isRecord(object.body.spec) ? object.body.spec : {};
      const type = text(spec.type);
      const api = records(spec.ports).some(
        (p) => p.port === API_PORT || p.targetPort === API_PORT || p.targetPort === 'api',
      );
      if ((type !== 'NodePort' && type !== 'LoadBalancer') || !api) return [];
      return [
        {
          path: `the type of Service ${object.name}`,
          summary:
            `${objectName(object)} exposes Lily's API (port ${API_PORT}) as a ${type}: Lily gives every caller without a token ` +
            'read permission, and its read methods include stopping jobs and Shutdown, so anyone who reaches the port can stop the indexer',
          example:
            'type: ClusterIP   # reach it with kubectl port-forward, or put an authenticating proxy in front',
        },
      ];
    });
}

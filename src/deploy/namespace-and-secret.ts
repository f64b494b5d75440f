import * as core from '@actions/core';
import type { ClusterAccess } from '../cluster-access.js';
import { ApiError } from '../kube/api.js';
import {
  isManagedFor,
  MANAGED_BY,
  MANAGED_BY_LABEL,
  type NamespacedObject,
  namespaceManifest,
  previewConflict,
  RELEASE_LABEL,
  secretManifest,
  strangersIn,
} from '../kube/objects.js';
import type { KubeObject } from '../kube/types.js';
import type { Settings } from '../settings.js';

// The objects a deploy makes besides helm's: the namespace (made here rather
// than by helm's --create-namespace, because the Secret must exist in it
// before helm runs, and labelled so that uninstall knows it may delete it),
// and the database Secret. A failed first install takes back what it made.
// A preview's namespace and Secret carry its marks (pull request, repository,
// last deploy), refreshed on every deploy, by which a sweep finds it.

/** The namespace and the database Secret as they were before this run. */
export interface Existing {
  namespace?: KubeObject;
  secret?: KubeObject;
}

/** What a deploy adds to the namespace and Secret, and when it takes the lock. */
export interface NamespaceAndSecretOptions {
  /** A preview's marks, as annotations. */
  annotations?: Record<string, string>;
  /**
   * Called once the namespace exists and before anything else changes, when
   * the lock (a Lease in that namespace) could not be taken before it did.
   */
  afterNamespaceCreated: () => Promise<void>;
  /**
   * Called after that, beside the Secret's write in a new namespace: the
   * release is read again under the lock.
   */
  readReleaseAgain: () => Promise<void>;
  /**
   * Called, under the lock, when the namespace appeared between the read and
   * the create (a racing run made it), before the Secret is written there:
   * throws when it may not be.
   */
  checkAppeared: () => Promise<void>;
}

/** What this run created, so that a failed first install can take it back. */
export interface Made {
  namespace: boolean;
  secret: boolean;
}

/** True when the namespace is known not to exist (a run that may not read it assumes it does). */
export async function namespaceMissing(
  settings: Settings,
  cluster: ClusterAccess,
): Promise<boolean> {
  const api = await cluster.api();
  return api.find(`/api/v1/namespaces/${settings.namespace}`).then(
    (namespace) => namespace === undefined,
    () => false,
  );
}

/**
 * The namespace and the database Secret as they are, read through the API.
 * A plan, which writes no Secret, reads only the namespace (and so needs no
 * right to read Secrets).
 */
export async function readExisting(
  settings: Settings,
  cluster: ClusterAccess,
  { secret: readSecret } = { secret: true },
): Promise<Existing> {
  const api = await cluster.api();
  const ns = settings.namespace;
  const [namespace, secret] = await Promise.all([
    settings.createNamespace ? api.find<KubeObject>(`/api/v1/namespaces/${ns}`) : undefined,
    settings.database && readSecret
      ? api.find<KubeObject>(`/api/v1/namespaces/${ns}/secrets/${settings.database.secretName}`)
      : undefined,
  ]);
  return { namespace, secret };
}

/**
 * Creates the namespace when asked and missing, and creates or updates the
 * database Secret (the URL goes to the API server in a request's body, or to
 * kubectl on stdin). A new namespace and its Secret are created through the
 * API client; a namespace that appeared meanwhile is left as it is,
 * unlabelled, so that uninstall never deletes it.
 */
export async function createNamespaceAndSecret(
  settings: Settings,
  cluster: ClusterAccess,
  existing: Existing,
  made: Made,
  {
    annotations,
    afterNamespaceCreated,
    readReleaseAgain,
    checkAppeared,
  }: NamespaceAndSecretOptions,
): Promise<void> {
  const db = settings.database;
  if (db && existing.secret && !isManagedFor(existing.secret.metadata.labels, settings.release)) {
    throw new Error(
      `Secret ${settings.namespace}/${db.secretName} exists and was not created by lily-deploy for release ${settings.release}; ` +
        'it is left untouched. Choose another database-secret-name, or delete that Secret if it is stale.',
    );
  }
  const secret = db
    ? secretManifest({
        name: db.secretName,
        namespace: settings.namespace,
        key: db.secretKey,
        value: db.url,
        release: settings.release,
        annotations,
      })
    : undefined;
  if (settings.createNamespace && !existing.namespace) {
    // Through the API client: a kubectl process here would be on every first
    // deploy's critical path (the lock's Lease waits for the namespace).
    const api = await cluster.api();
    made.namespace =
      (await api.createIfAbsent(
        '/api/v1/namespaces',
        namespaceManifest(settings.namespace, settings.release, annotations),
      )) !== undefined;
    await afterNamespaceCreated();
    if (made.namespace) {
      // Marked as made as soon as it is, whatever the read beside it does.
      const writeSecret = async (manifest: object) => {
        made.secret =
          (await api.createIfAbsent(
            `/api/v1/namespaces/${settings.namespace}/secrets`,
            manifest,
          )) !== undefined;
      };
      await Promise.all([secret && writeSecret(secret), readReleaseAgain()]);
      const keyNote = db ? ` (key '${db.secretKey}'; the URL went in the request's body)` : '';
      core.info(
        `Created namespace ${settings.namespace}${secret ? ` and Secret ${db?.secretName}${keyNote}` : ''}`,
      );
      return;
    }
    core.info(`Namespace ${settings.namespace} appeared meanwhile: left as it is`);
    await readReleaseAgain();
    await checkAppeared();
    if (!secret) return;
  } else if (settings.createNamespace) {
    core.info(`Namespace ${settings.namespace} exists`);
  }
  await Promise.all([
    refreshNamespaceMarks(settings, cluster, existing.namespace, annotations),
    secret &&
      db &&
      cluster
        .api()
        .then((api) =>
          // Over whatever holds its fields (a user's edit of the URL included), as kubectl's --force-conflicts.
          api.applyServerSide(
            `/api/v1/namespaces/${settings.namespace}/secrets/${db.secretName}`,
            secret,
          ),
        )
        .then((created) => {
          made.secret = created;
          core.info(
            `Secret ${db.secretName} ${created ? 'created' : 'updated'} by server-side apply (key '${db.secretKey}'; the URL went in the request's body)`,
          );
        }),
  ]);
}

/**
 * Refuses to deploy or uninstall a preview over what is not this preview's
 * (previewConflict): read under the release's lock, before any change.
 */
export async function checkPreviewOwner(
  settings: Settings,
  cluster: ClusterAccess,
  repository: string,
): Promise<void> {
  const { preview, release, namespace } = settings;
  if (!preview || !repository) return;
  const api = await cluster.api();
  const selector = encodeURIComponent(
    `${MANAGED_BY_LABEL}=${MANAGED_BY},${RELEASE_LABEL}=${release}`,
  );
  const [namespaceObject, secrets, record] = await Promise.all([
    api.find<KubeObject>(`/api/v1/namespaces/${namespace}`).catch((err: unknown) => {
      // A ServiceAccount bound in the namespace alone may not read it.
      if (err instanceof ApiError && err.status === 403) return undefined;
      throw err;
    }),
    api.items<KubeObject>(`/api/v1/namespaces/${namespace}/secrets?labelSelector=${selector}`),
    cluster.releases.latest(release, namespace),
  ]);
  const conflict = previewConflict(
    {
      release,
      namespace,
      derivedNamespace: settings.previewNamespace,
      namespaceObject,
      secrets,
      releaseLabels: record?.labels,
    },
    { number: preview.number, repository },
  );
  if (conflict) throw new Error(conflict);
}

/** The last deploy time on a preview namespace lily-deploy made (one it did not make is not marked). */
async function refreshNamespaceMarks(
  { namespace, release }: Settings,
  cluster: ClusterAccess,
  existing: KubeObject | undefined,
  annotations: Record<string, string> | undefined,
): Promise<void> {
  if (!annotations || !existing || !isManagedFor(existing.metadata.labels, release)) return;
  await cluster.kubectl.annotate('namespace', namespace, annotations);
  core.info(`Namespace ${namespace} marked as deployed now`);
}

/**
 * After a failed first install that left no release record, removes the
 * Secret and the namespace this run created (only those): nothing of ours
 * stays behind holding a secret without a release to use it. The namespace
 * stays when anything else lives in it (another release, a matrix job's
 * deploy beside this one) or what lives there cannot be read.
 */
export async function removeWhatThisRunMade(
  settings: Settings,
  cluster: ClusterAccess,
  made: Made,
): Promise<void> {
  if (!made.secret && !made.namespace) return;
  const left = await cluster.releases
    .latest(settings.release, settings.namespace)
    .catch(() => 'unknown' as const);
  if (left !== undefined) return; // A release (or what may be one) still uses them.
  const others = made.namespace
    ? await othersIn(settings, cluster).catch((err: unknown) => [
        `what (could not be listed: ${(err as Error).message})`,
      ])
    : [];
  if (made.namespace && others.length > 0) {
    core.info(
      `No release was made, but namespace ${settings.namespace}, which this run created, is kept: ` +
        `it holds ${others.join(', ')}`,
    );
  }
  const deleteNamespace = made.namespace && others.length === 0;
  if (!deleteNamespace && !made.secret) return;
  const what = deleteNamespace
    ? `namespace ${settings.namespace} (with the database Secret)`
    : `Secret ${settings.namespace}/${settings.database?.secretName ?? ''}`;
  try {
    if (deleteNamespace) {
      await cluster.kubectl.delete('namespace', [settings.namespace], undefined, '60s');
    } else if (settings.database) {
      await cluster.kubectl.delete(
        'secret',
        [settings.database.secretName],
        settings.namespace,
        '60s',
      );
    }
    core.info(`No release was made: removed ${what}, which this run created`);
  } catch (err) {
    // The run's own error is what the user needs first; this one comes beside it.
    core.warning(`No release was made, but removing ${what} failed: ${(err as Error).message}`);
  }
}

// The kinds anything that lives in a namespace is made of.
const LIVED_IN = [
  ['Secret', '/api/v1', 'secrets'],
  ['ConfigMap', '/api/v1', 'configmaps'],
  ['ServiceAccount', '/api/v1', 'serviceaccounts'],
  ['Service', '/api/v1', 'services'],
  ['Pod', '/api/v1', 'pods'],
  ['PersistentVolumeClaim', '/api/v1', 'persistentvolumeclaims'],
  ['Deployment', '/apis/apps/v1', 'deployments'],
  ['StatefulSet', '/apis/apps/v1', 'statefulsets'],
  ['DaemonSet', '/apis/apps/v1', 'daemonsets'],
  ['Job', '/apis/batch/v1', 'jobs'],
  ['CronJob', '/apis/batch/v1', 'cronjobs'],
  ['Lease', '/apis/coordination.k8s.io/v1', 'leases'],
] as const;

/** What lives in the release's namespace besides it: other releases (any record), then objects not ours. */
async function othersIn(
  { release, namespace }: Settings,
  cluster: ClusterAccess,
): Promise<string[]> {
  const api = await cluster.api();
  const [releases, ...lists] = await Promise.all([
    cluster.releases.names(namespace),
    ...LIVED_IN.map(async ([kind, group, resource]) =>
      (
        await api.items<Omit<NamespacedObject, 'kind'>>(
          `${group}/namespaces/${namespace}/${resource}`,
        )
      ).map((object) => ({ ...object, kind })),
    ),
  ]);
  return [
    ...releases.filter((name) => name !== release).map((name) => `release ${name}`),
    ...strangersIn(lists.flat(), release),
  ];
}

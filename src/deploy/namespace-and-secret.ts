import * as core from '@actions/core';
import type { ClusterAccess } from '../cluster-access.js';
import { isManagedFor, namespaceManifest, secretManifest } from '../kube/objects.js';
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
}

/** What this run created, so that a failed first install can take it back. */
export interface Made {
  namespace: boolean;
  secret: boolean;
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
 * database Secret (the URL goes to kubectl on stdin). A new namespace and its
 * Secret are made by one `kubectl create`; a namespace that appeared meanwhile
 * is left as it is, unlabelled, so that uninstall never deletes it.
 */
export async function createNamespaceAndSecret(
  settings: Settings,
  cluster: ClusterAccess,
  existing: Existing,
  made: Made,
  { annotations, afterNamespaceCreated }: NamespaceAndSecretOptions,
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
  const keyNote = db ? ` (key '${db.secretKey}'; the URL went to kubectl on stdin)` : '';
  if (settings.createNamespace && !existing.namespace) {
    const existed = await cluster.kubectl.create([
      namespaceManifest(settings.namespace, settings.release, annotations),
      ...(secret ? [secret] : []),
    ]);
    made.namespace = !existed.includes(`namespaces/${settings.namespace}`);
    made.secret = secret !== undefined && made.namespace;
    core.info(
      made.namespace
        ? `Created namespace ${settings.namespace}${secret ? ` and Secret ${db?.secretName}${keyNote}` : ''}`
        : `Namespace ${settings.namespace} appeared meanwhile: left as it is`,
    );
    await afterNamespaceCreated();
    if (made.namespace || !secret) return;
  } else if (settings.createNamespace) {
    core.info(`Namespace ${settings.namespace} exists`);
  }
  await Promise.all([
    refreshNamespaceMarks(settings, cluster, existing.namespace, annotations),
    secret &&
      cluster.kubectl.apply(secret).then((applied) => {
        made.secret = !existing.secret;
        core.info(`${applied}${keyNote}`);
      }),
  ]);
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
 * stays behind holding a secret without a release to use it.
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
  const what = made.namespace
    ? `namespace ${settings.namespace} (with the database Secret)`
    : `Secret ${settings.namespace}/${settings.database?.secretName ?? ''}`;
  try {
    if (made.namespace) {
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

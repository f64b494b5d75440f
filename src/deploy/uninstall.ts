import * as core from '@actions/core';
import type { ClusterAccess } from '../cluster-access.js';
import { ApiError } from '../kube/api.js';
import { isManagedFor, MANAGED_BY, MANAGED_BY_LABEL, RELEASE_LABEL } from '../kube/objects.js';
import type { KubeObject } from '../kube/types.js';
import { isReleaseClaim, type Workload, workloadsInManifest } from '../kube/release-workloads.js';
import type { Settings } from '../settings.js';
import { renderUninstallSummary } from './summary.js';

export interface DeletedObject {
  kind: string;
  namespace?: string;
  name: string;
}

/** What an uninstall did: every object deleted, and what was kept and why. */
export interface Cleanup {
  deleted: DeletedObject[];
  kept: string[];
}

/**
 * Removes the release and what `helm uninstall` leaves behind: the PVCs of its
 * StatefulSets' claim templates (found from its manifest, read first), the
 * database Secret lily-deploy made for it, and the namespace lily-deploy
 * created for it. Nothing without those marks is touched. A release that is
 * not there is not an error, so a re-run finishes what an earlier run began.
 */
export async function uninstall(
  settings: Settings,
  cluster: ClusterAccess,
  startedAt: number,
): Promise<void> {
  const { release, namespace } = settings;
  const done = await removeRelease(settings, cluster, core.group);
  core.setOutput('deleted', JSON.stringify(done.deleted));
  core.setOutput('release', release);
  core.setOutput('namespace', namespace);
  await core.summary
    .addRaw(
      renderUninstallSummary({
        release,
        namespace,
        deleted: done.deleted.map(describe),
        kept: done.kept,
        durationMs: Date.now() - startedAt,
      }),
    )
    .write();
}

/** Runs one part of a removal: a log group of its own, or (removals side by side) not. */
export type Phase = <T>(name: string, part: () => Promise<T>) => Promise<T>;

/** The removal itself, without outputs or summary: an uninstall's, or one preview of a sweep. */
export async function removeRelease(
  settings: Settings,
  cluster: ClusterAccess,
  phase: Phase,
): Promise<Cleanup> {
  const { release, namespace } = settings;
  const done: Cleanup = { deleted: [], kept: [] };
  const workloads = await phase(`helm uninstall ${release}`, () =>
    uninstallRelease(settings, cluster, done),
  );
  await phase('What the release left behind', async () => {
    const namespaceObject = await readNamespace(cluster, namespace);
    if (namespaceObject) await deleteLeftovers(settings, cluster, workloads, done);
    await deleteNamespaceIfOurs(settings, cluster, namespaceObject, done);
    for (const object of done.deleted) core.info(`deleted ${describe(object)}`);
    for (const what of done.kept) core.info(`kept ${what}`);
  });
  return done;
}

/** `helm uninstall`, once the release's workloads are known from its manifest. */
async function uninstallRelease(
  { release, namespace, timeout }: Settings,
  cluster: ClusterAccess,
  done: Cleanup,
): Promise<Workload[]> {
  const installed = await cluster.releases.latest(release, namespace);
  if (!installed) {
    core.notice(
      `Release ${release} is not installed in namespace ${namespace}: nothing to uninstall`,
    );
    return [];
  }
  await cluster.helm.uninstall(release, namespace, timeout, true);
  done.deleted.push({ kind: 'HelmRelease', namespace, name: release });
  return workloadsInManifest(installed.manifest);
}

/** The release's PVCs (unless delete-pvcs is false) and the database Secret lily-deploy made for it. */
async function deleteLeftovers(
  { release, namespace, timeout, cleanup }: Settings,
  cluster: ClusterAccess,
  workloads: Workload[],
  done: Cleanup,
): Promise<void> {
  const api = await cluster.api();
  if (cleanup.deletePvcs) {
    const claims = (
      await api.items<KubeObject>(`/api/v1/namespaces/${namespace}/persistentvolumeclaims`)
    )
      .map((pvc) => pvc.metadata.name)
      .filter((name) => isReleaseClaim(workloads, name));
    if (claims.length > 0) await cluster.kubectl.delete('pvc', claims, namespace, timeout);
    done.deleted.push(
      ...claims.map((name) => ({ kind: 'PersistentVolumeClaim', namespace, name })),
    );
  } else {
    done.kept.push('PVCs (delete-pvcs: false)');
  }
  const selector = encodeURIComponent(
    `${MANAGED_BY_LABEL}=${MANAGED_BY},${RELEASE_LABEL}=${release}`,
  );
  const secrets = (
    await api.items<KubeObject>(`/api/v1/namespaces/${namespace}/secrets?labelSelector=${selector}`)
  ).map((s) => s.metadata.name);
  if (secrets.length > 0) await cluster.kubectl.delete('secret', secrets, namespace, timeout);
  done.deleted.push(...secrets.map((name) => ({ kind: 'Secret', namespace, name })));
}

/**
 * The namespace, when lily-deploy created it for this release and no other
 * release lives in it (other releases may have been installed into it since:
 * it stays with them).
 */
async function deleteNamespaceIfOurs(
  { release, namespace, timeout, cleanup }: Settings,
  cluster: ClusterAccess,
  namespaceObject: KubeObject | undefined | typeof FORBIDDEN,
  done: Cleanup,
): Promise<void> {
  if (namespaceObject === undefined) return;
  if (namespaceObject === FORBIDDEN) {
    core.notice(
      `These credentials may not read namespace ${namespace} (a ServiceAccount bound in it alone cannot): it is kept`,
    );
    done.kept.push(`namespace ${namespace} (not readable with these credentials)`);
    return;
  }
  if (!isManagedFor(namespaceObject.metadata.labels, release)) {
    done.kept.push(`namespace ${namespace} (not created by lily-deploy for ${release})`);
    return;
  }
  const others = (await cluster.releases.names(namespace)).filter((name) => name !== release);
  if (!cleanup.deleteNamespace) {
    done.kept.push(`namespace ${namespace} (delete-namespace: false)`);
  } else if (others.length > 0) {
    done.kept.push(`namespace ${namespace} (it holds other releases: ${others.join(', ')})`);
  } else {
    await cluster.kubectl.delete('namespace', [namespace], undefined, timeout);
    done.deleted.push({ kind: 'Namespace', name: namespace });
  }
}

const FORBIDDEN = 'forbidden';

/**
 * The namespace, undefined when it does not exist, or FORBIDDEN when these
 * credentials may only use what is in it (what is in it is cleaned up then).
 */
async function readNamespace(
  cluster: ClusterAccess,
  namespace: string,
): Promise<KubeObject | undefined | typeof FORBIDDEN> {
  try {
    return await (await cluster.api()).find<KubeObject>(`/api/v1/namespaces/${namespace}`);
  } catch (err) {
    if (err instanceof ApiError && err.status === 403) return FORBIDDEN;
    throw err;
  }
}

function describe(object: DeletedObject): string {
  return `${object.kind} ${object.namespace ? `${object.namespace}/` : ''}${object.name}`;
}

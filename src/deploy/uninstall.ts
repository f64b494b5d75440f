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
  const { release, namespace, timeout, cleanup } = settings;
  const deleted: DeletedObject[] = [];
  const kept: string[] = [];

  const workloads = await core.group(`helm uninstall ${release}`, async (): Promise<Workload[]> => {
    const installed = await cluster.releases.latest(release, namespace);
    if (!installed) {
      core.notice(
        `Release ${release} is not installed in namespace ${namespace}: nothing to uninstall`,
      );
      return [];
    }
    await cluster.helm.uninstall(release, namespace, timeout, true);
    deleted.push({ kind: 'HelmRelease', namespace, name: release });
    return workloadsInManifest(installed.manifest);
  });

  const namespaceObject = await readNamespace(cluster, namespace);
  await core.group('What the release left behind', async () => {
    if (namespaceObject) {
      if (cleanup.deletePvcs) {
        const claims = (await cluster.kubectl.list<KubeObject>('pvc', namespace))
          .map((pvc) => pvc.metadata.name)
          .filter((name) => isReleaseClaim(workloads, name));
        if (claims.length > 0) await cluster.kubectl.delete('pvc', claims, namespace, timeout);
        deleted.push(...claims.map((name) => ({ kind: 'PersistentVolumeClaim', namespace, name })));
      } else {
        kept.push('PVCs (delete-pvcs: false)');
      }
      const selector = `${MANAGED_BY_LABEL}=${MANAGED_BY},${RELEASE_LABEL}=${release}`;
      const secrets = (await cluster.kubectl.list<KubeObject>('secret', namespace, selector)).map(
        (s) => s.metadata.name,
      );
      if (secrets.length > 0) await cluster.kubectl.delete('secret', secrets, namespace, timeout);
      deleted.push(...secrets.map((name) => ({ kind: 'Secret', namespace, name })));
    }
    if (namespaceObject === FORBIDDEN) {
      core.notice(
        `These credentials may not read namespace ${namespace} (a ServiceAccount bound in it alone cannot): it is kept`,
      );
      kept.push(`namespace ${namespace} (not readable with these credentials)`);
    } else if (namespaceObject && isManagedFor(namespaceObject.metadata.labels, release)) {
      // Other releases may have been installed into the namespace since: it stays with them.
      const others = (await cluster.releases.names(namespace)).filter((name) => name !== release);
      if (!cleanup.deleteNamespace) {
        kept.push(`namespace ${namespace} (delete-namespace: false)`);
      } else if (others.length > 0) {
        kept.push(`namespace ${namespace} (it holds other releases: ${others.join(', ')})`);
      } else {
        await cluster.kubectl.delete('namespace', [namespace], undefined, timeout);
        deleted.push({ kind: 'Namespace', name: namespace });
      }
    } else if (namespaceObject) {
      kept.push(`namespace ${namespace} (not created by lily-deploy for ${release})`);
    }
    for (const object of deleted) core.info(`deleted ${describe(object)}`);
    for (const what of kept) core.info(`kept ${what}`);
  });

  core.setOutput('deleted', JSON.stringify(deleted));
  core.setOutput('release', release);
  core.setOutput('namespace', namespace);
  await core.summary
    .addRaw(
      renderUninstallSummary({
        release,
        namespace,
        deleted: deleted.map(describe),
        kept,
        durationMs: Date.now() - startedAt,
      }),
    )
    .write();
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

import * as core from '@actions/core';
import type { ClusterAccess } from './cluster-access.js';
import { isManagedFor, MANAGED_BY, MANAGED_BY_LABEL, RELEASE_LABEL } from './kube-objects.js';
import type { KubeObject } from './kube-types.js';
import { isReleaseClaim, type Workload, workloadsInManifest } from './release-workloads.js';
import type { Settings } from './settings.js';
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
    if (!(await cluster.helm.status(release, namespace))) {
      core.notice(
        `Release ${release} is not installed in namespace ${namespace}: nothing to uninstall`,
      );
      return [];
    }
    const manifest = await cluster.helm.getManifest(release, namespace);
    await cluster.helm.uninstall(release, namespace, timeout, true);
    deleted.push({ kind: 'HelmRelease', namespace, name: release });
    return manifest ? workloadsInManifest(manifest) : [];
  });

  const namespaceObject = await cluster.kubectl.get<KubeObject>('namespace', namespace);
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
    if (namespaceObject && isManagedFor(namespaceObject.metadata.labels, release)) {
      if (cleanup.deleteNamespace) {
        await cluster.kubectl.delete('namespace', [namespace], undefined, timeout);
        deleted.push({ kind: 'Namespace', name: namespace });
      } else {
        kept.push(`namespace ${namespace} (delete-namespace: false)`);
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

function describe(object: DeletedObject): string {
  return `${object.kind} ${object.namespace ? `${object.namespace}/` : ''}${object.name}`;
}

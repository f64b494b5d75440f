import * as core from '@actions/core';
import type { ClusterAccess } from '../cluster-access.js';
import type { ReleaseStatus } from '../helm/helm.js';
import { recoverPendingRelease, reportRecovery, stuckDecision } from '../helm/stuck-release.js';
import type { Settings } from '../settings.js';

/**
 * Refuses to deploy over a release another deploy is working on, and repairs
 * one a dead deploy left pending. Returns the release as it is now.
 */
export async function checkReleaseState(
  settings: Settings,
  cluster: ClusterAccess,
): Promise<ReleaseStatus | undefined> {
  const { release, namespace, failure } = settings;
  const current = await cluster.releases.latest(release, namespace);
  const decision = stuckDecision(
    current,
    Date.now(),
    failure.stuckReleaseTimeoutMs,
    failure.recoverStuckRelease,
  );
  if (!current) {
    core.info(`Release ${release} does not exist yet: first install`);
  } else if (decision === 'deploy') {
    core.info(
      `Release ${release}: revision ${current.revision}, ${current.status}, chart ${current.chartVersion}`,
    );
  } else if (decision === 'refuse') {
    throw new Error(
      `Release ${release} is ${current.status} since ${current.lastDeployed}: another deploy is probably running. ` +
        'Give the workflow a concurrency group per release (concurrency: { group: lily-<release>, cancel-in-progress: false }), ' +
        'or set recover-stuck-release: true if no deploy is running.',
    );
  } else {
    reportRecovery(
      current,
      await recoverPendingRelease(cluster, release, namespace, settings.timeout),
    );
    return cluster.releases.latest(release, namespace);
  }
  return current;
}

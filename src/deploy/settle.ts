import * as core from '@actions/core';
import type { ClusterAccess } from '../cluster-access.js';
import type { ReleaseStatus } from '../helm/helm.js';
import {
  isPending,
  recoverPendingRelease,
  recoveryPlan,
  reportRecovery,
} from '../helm/stuck-release.js';
import type { Settings } from '../settings.js';
import { runMonitored, type UpgradeOutcome } from './monitored-run.js';

// After a failed helm command, the release is left in a final state: never
// pending, and with atomic really rolled back. Only what this run's helm left
// is touched: a release pending because another deploy is running is not ours
// to repair.

/** What settling deleted besides helm's work, for the report. */
export type SettleEvidence = Pick<UpgradeOutcome, 'interventions' | 'deletedPods'>;

/**
 * Helm records a deploy it stopped as failed; only when it had to be killed
 * is the pending release it left repaired here.
 */
export function needsPendingRepair(
  release: ReleaseStatus | undefined,
  helmWasKilled: boolean,
): boolean {
  return release !== undefined && isPending(release.status) && helmWasKilled;
}

/**
 * With atomic, has helm's own rollback not finished? (Helm 4 gives up at once
 * on a pod of the failed revision that is still broken, leaving the release
 * failed at the revision it tried or later.)
 */
export function isRollbackUnfinished(
  atomic: boolean,
  release: ReleaseStatus | undefined,
  attemptedRevision: number,
): boolean {
  return atomic && release?.status === 'failed' && release.revision >= attemptedRevision;
}

/**
 * Leaves the release in a final state after a failed upgrade: repairs a
 * pending release helm was killed in, and finishes an atomic rollback under a
 * monitor that replaces the failed revision's broken pods. Sets the status
 * and revision outputs.
 */
export async function settleRelease(
  cluster: ClusterAccess,
  settings: Settings,
  outcome: UpgradeOutcome,
): Promise<SettleEvidence> {
  const { releases } = cluster;
  const { release: name, namespace, timeout } = settings;
  const evidence: SettleEvidence = { interventions: [], deletedPods: [] };
  let release = await releases.latest(name, namespace);
  if (release && needsPendingRepair(release, outcome.result.signal !== null)) {
    reportRecovery(release, await recoverPendingRelease(cluster, name, namespace, timeout));
    release = await releases.latest(name, namespace);
  }
  if (release && isRollbackUnfinished(settings.atomic, release, outcome.revision)) {
    const plan = recoveryPlan(await releases.history(name, namespace));
    if (plan.kind === 'rollback') {
      const rollback = await finishRollback(cluster, settings, release, plan.revision);
      evidence.interventions.push(...rollback.interventions);
      evidence.deletedPods.push(...rollback.deletedPods);
      release = await releases.latest(name, namespace);
    }
  }
  core.setOutput('status', release?.status ?? '');
  core.setOutput('revision', release ? String(release.revision) : '');
  return evidence;
}

/** Rolls back again, waiting, under a monitor that replaces the failed revision's broken pods. */
async function finishRollback(
  cluster: ClusterAccess,
  settings: Settings,
  release: ReleaseStatus,
  target: number,
): Promise<UpgradeOutcome> {
  const { release: name, namespace, timeout } = settings;
  core.info(
    `The atomic rollback did not finish (release is ${release.status}): rolling back to revision ${target} now`,
  );
  const rollback = await runMonitored(
    cluster,
    settings,
    (stop) => cluster.helm.rollbackAndWait(name, namespace, target, timeout, stop),
    { revision: release.revision + 1, failFast: false },
  );
  if (rollback.result.exitCode !== 0)
    core.warning(`The rollback failed too: ${lastLine(rollback.result.stderr)}`);
  return rollback;
}

function lastLine(text: string): string {
  return text.trim().split('\n').at(-1) ?? '';
}

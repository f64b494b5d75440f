import * as core from '@actions/core';
import type { ClusterAccess } from '../cluster-access.js';
import type { ReleaseStatus } from '../helm/helm.js';
import {
  isPending,
  recoverPendingRelease,
  type RecoveryPlan,
  recoveryPlan,
  reportRecovery,
} from '../helm/stuck-release.js';
import type { Settings } from '../settings.js';
import { runMonitored, type UpgradeOutcome } from './monitored-run.js';

// After a failed helm command, or a revision helm deployed that the verify
// window failed, the release is left in a final state: never pending, and with
// atomic really rolled back (a first install uninstalled). Only what this
// run's helm left is touched: a release pending because another deploy is
// running is not ours to repair.

/** What settling deleted besides helm's work, for the report. */
export type SettleEvidence = Pick<UpgradeOutcome, 'interventions' | 'deletedPods'> & {
  /** After a failed verify window: what state the release is left in. */
  releaseState?: string;
};

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
 * With atomic, is the attempted revision still to be undone? Helm 4 gives up
 * at once on a pod of the failed revision that is still broken, leaving the
 * release failed at the revision it tried or later; and a revision helm
 * deployed but the verify window failed is deployed as far as helm knows.
 */
export function isRollbackUnfinished(
  atomic: boolean,
  release: ReleaseStatus | undefined,
  attemptedRevision: number,
): boolean {
  if (!atomic || !release) return false;
  if (release.status === 'failed') return release.revision >= attemptedRevision;
  return release.status === 'deployed' && release.revision === attemptedRevision;
}

/**
 * Leaves the release in a final state after a failed upgrade: repairs a
 * pending release helm was killed in, and with atomic undoes the attempted
 * revision as helm's atomic does (a rollback to the revision before, waiting
 * under a monitor that replaces the failed revision's broken pods; a first
 * install is uninstalled). Sets the status and revision outputs.
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
  const before = async () =>
    recoveryPlan(
      (await releases.history(name, namespace)).filter((h) => h.revision < outcome.revision),
    );
  if (release && isRollbackUnfinished(settings.atomic, release, outcome.revision)) {
    const plan = await before();
    if (plan.kind === 'rollback') {
      const rollback = await finishRollback(cluster, settings, release, plan.revision);
      evidence.interventions.push(...rollback.interventions);
      evidence.deletedPods.push(...rollback.deletedPods);
    } else {
      core.info(`atomic: uninstalling ${name}, whose first install failed, as helm's atomic does`);
      await cluster.helm.uninstall(name, namespace, timeout, true);
    }
    release = await releases.latest(name, namespace);
  }
  if (outcome.verifyFailed)
    evidence.releaseState = afterVerifyFailure(settings, release, outcome.revision, await before());
  core.setOutput('status', release?.status ?? '');
  core.setOutput('revision', release ? String(release.revision) : '');
  return evidence;
}

/** The state a revision the verify window failed left the release in, with the command that undoes it. */
export function afterVerifyFailure(
  { release: name, namespace }: Settings,
  release: ReleaseStatus | undefined,
  failed: number,
  undo: RecoveryPlan,
): string {
  if (!release) return `Release ${name} was uninstalled (atomic: its first install failed).`;
  if (release.revision > failed)
    return `Release ${name} was rolled back (atomic): revision ${release.revision} is ${release.status}.`;
  const command =
    undo.kind === 'rollback'
      ? `helm rollback ${name} ${undo.revision} --namespace ${namespace}`
      : `helm uninstall ${name} --namespace ${namespace}`;
  return (
    `Revision ${release.revision} of ${name} stays ${release.status}, as helm recorded it (atomic is off); ` +
    `undo it with \`${command}\`.`
  );
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
    release.status === 'deployed'
      ? `atomic: rolling back to revision ${target}, as helm's atomic does`
      : `The atomic rollback did not finish (release is ${release.status}): rolling back to revision ${target} now`,
  );
  const rollback = await runMonitored(
    cluster,
    settings,
    (stop) => cluster.helm.rollbackAndWait(name, namespace, target, timeout, stop),
    { revision: release.revision + 1, failFast: false, helmTimeout: timeout },
  );
  if (rollback.result.exitCode !== 0)
    core.warning(`The rollback failed too: ${lastLine(rollback.result.stderr)}`);
  return rollback;
}

function lastLine(text: string): string {
  return text.trim().split('\n').at(-1) ?? '';
}

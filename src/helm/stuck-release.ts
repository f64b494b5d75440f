import * as core from '@actions/core';
import type { Helm, HistoryEntry, ReleaseStatus } from './helm.js';
import type { ReleaseStore } from './release-store.js';

// A deploy that was killed mid-way (a cancelled job, a lost runner) leaves the
// release `pending-install`, `pending-upgrade` or `pending-rollback`, and helm
// refuses every later deploy of it. These decide and do the repair.

export type RecoveryPlan = { kind: 'rollback'; revision: number } | { kind: 'uninstall' };

export type StuckDecision = 'deploy' | 'recover' | 'refuse';

export function isPending(status: string): boolean {
  return status.startsWith('pending-');
}

/**
 * A pending release older than the timeout (or any, when forced) is repaired;
 * a young one most likely belongs to a deploy that is still running.
 */
export function stuckDecision(
  release: ReleaseStatus | undefined,
  now: number,
  timeoutMs: number,
  force: boolean,
): StuckDecision {
  if (!release || !isPending(release.status)) return 'deploy';
  if (force) return 'recover';
  const started = Date.parse(release.lastDeployed);
  return Number.isNaN(started) || now - started >= timeoutMs ? 'recover' : 'refuse';
}

/** Back to the newest revision that was deployed; a first install that never deployed is removed. */
export function recoveryPlan(history: HistoryEntry[]): RecoveryPlan {
  const byRevision = [...history].sort((a, b) => b.revision - a.revision);
  const target =
    byRevision.find((h) => h.status === 'deployed') ??
    byRevision.find((h) => h.status === 'superseded');
  return target ? { kind: 'rollback', revision: target.revision } : { kind: 'uninstall' };
}

/** Takes a pending release out of its pending state; returns what was done, in words. */
export async function recoverPendingRelease(
  { helm, releases }: { helm: Helm; releases: ReleaseStore },
  release: string,
  namespace: string,
  timeout: string,
): Promise<string> {
  const plan = recoveryPlan(await releases.history(release, namespace));
  if (plan.kind === 'rollback') {
    await helm.rollback(release, namespace, plan.revision, timeout);
    return `rolled back to revision ${plan.revision}, the last one deployed`;
  }
  await helm.uninstall(release, namespace, timeout, false);
  return 'uninstalled it: its first install never deployed';
}

/** Says what was done about a pending release, as an annotation. */
export function reportRecovery(release: ReleaseStatus, done: string): void {
  core.warning(
    `Release ${release.name} was stuck in ${release.status} (since ${release.lastDeployed}); lily-deploy ${done}.`,
  );
}

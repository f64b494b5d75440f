import * as core from '@actions/core';
import type { ClusterAccess } from '../cluster-access.js';
import { redactor } from '../failure/redact.js';
import { formatDuration } from '../inputs/duration.js';
import type { Settings } from '../settings.js';
import { podsStayUp } from '../verify/pods.js';
import { runVerifyWindow } from '../verify/window.js';
import { attemptedWorkloads } from './failed-upgrade.js';
import type { UpgradeOutcome } from './monitored-run.js';

const POLL_MS = 2000;
const PROGRESS_MS = 15_000;

/**
 * The verify window, after helm's wait passed: the revision's pods must stay
 * up for verify-window. Returns the outcome with what was verified, or with
 * the findings that failed it (as stoppedFor) and the pods as they were then,
 * for the failed-upgrade path to settle and report.
 */
export async function verifyRevision(
  cluster: ClusterAccess,
  settings: Settings,
  secrets: string[],
  outcome: UpgradeOutcome,
): Promise<UpgradeOutcome> {
  const { verify } = settings;
  if (!verify.enabled) return outcome;
  if (!settings.wait) {
    core.info(
      'wait is false: helm did not wait for the pods, so they are not verified after it (verify-window)',
    );
    return { ...outcome, verified: ['not verified: wait is false'] };
  }
  const workloads =
    outcome.workloads.length > 0
      ? outcome.workloads
      : await attemptedWorkloads(cluster, settings, outcome.revision);
  if (workloads.length === 0) {
    core.info('The release has no workloads: there are no pods to verify');
    return { ...outcome, verified: ['no pods to verify'] };
  }
  core.info(
    `Verifying for ${verify.window} that Lily's pods stay up (verify-window; verify: false turns it off)`,
  );
  const check = podsStayUp(
    await cluster.api(),
    settings.namespace,
    workloads,
    settings.failure.logLines,
  );
  const result = await runVerifyWindow([check], {
    window: verify.window,
    windowMs: verify.windowMs,
    pollMs: POLL_MS,
    progressMs: PROGRESS_MS,
    log: (line) => {
      core.info(line);
    },
  });
  if (result.passed) {
    for (const line of result.verified) core.info(`Verified: ${line}`);
    return { ...outcome, verified: result.verified };
  }
  const redact = redactor(secrets);
  const causes = result.findings.filter((f) => f.fatal).map((f) => f.summary);
  core.info(
    `verify-window: ${causes.join('; ')} (${formatDuration(result.afterMs)} into the ${verify.window} window)`,
  );
  for (const line of result.evidence.lines) core.info(redact(line));
  return {
    ...outcome,
    stoppedFor: result.findings,
    verifyFailed: { evidence: result.evidence.pods },
  };
}

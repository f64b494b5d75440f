import * as core from '@actions/core';
import type { ClusterAccess } from '../cluster-access.js';
import { redactor } from '../failure/redact.js';
import { formatDuration } from '../inputs/duration.js';
import type { Settings } from '../settings.js';
import { mergeValues } from '../inputs/values.js';
import { lilyAnswers, type LilyPodReading, lilyOutputs } from '../verify/lily-api.js';
import { podsStayUp } from '../verify/pods.js';
import { runVerifyWindow, type VerifyCheck } from '../verify/window.js';
import { attemptedWorkloads } from './failed-upgrade.js';
import type { UpgradeOutcome } from './monitored-run.js';

const POLL_MS = 2000;
const PROGRESS_MS = 15_000;

/**
 * The verify window, after helm's wait passed: the revision's pods must stay
 * up for verify-window, and Lily's API must answer with its jobs running and
 * its chain head advancing (unless `lilyApiDenied` says why it cannot be
 * asked). Returns the outcome with what was verified, or with the findings
 * that failed it (as stoppedFor) and the pods as they were then, for the
 * failed-upgrade path to settle and report. Sets lily-jobs and chain-height.
 */
export async function verifyRevision(
  cluster: ClusterAccess,
  settings: Settings,
  secrets: string[],
  outcome: UpgradeOutcome,
  lilyApiDenied?: string,
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
  const api = await cluster.api();
  const checks: VerifyCheck[] = [
    podsStayUp(api, settings.namespace, workloads, settings.failure.logLines, (line) => {
      core.info(line);
    }),
  ];
  const lily = lilyApiDenied
    ? undefined
    : lilyAnswers(api, settings.namespace, workloads, await mergedValues(cluster, settings), {
        window: verify.window,
        logLines: settings.failure.logLines,
      });
  const skipped = lilyApiDenied ? `Lily's API not verified: ${lilyApiDenied}` : undefined;
  if (lily) {
    core.info(
      `Verifying for ${verify.window} that Lily's API answers through the pod proxy, its jobs run and its chain head advances`,
    );
    checks.push(lily);
  } else core.warning(skipped!, { title: 'lily-deploy: Lily not verified' });
  const result = await runVerifyWindow(checks, {
    window: verify.window,
    windowMs: verify.windowMs,
    pollMs: POLL_MS,
    progressMs: PROGRESS_MS,
    log: (line) => {
      core.info(line);
    },
  });
  const redact = redactor(secrets);
  if (lily) setLilyOutputs(lily.readings, redact);
  if (result.passed) {
    for (const line of result.verified) core.info(`Verified: ${line}`);
    // Said beside what was verified, in the summary too: never a silent pass.
    return { ...outcome, verified: skipped ? [...result.verified, skipped] : result.verified };
  }
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

/** The release's values as helm merged them: which jobs Lily should run. */
async function mergedValues(
  cluster: ClusterAccess,
  settings: Settings,
): Promise<Record<string, unknown>> {
  const release = await cluster.releases.latest(settings.release, settings.namespace);
  return release ? mergeValues(release.chartValues, release.config) : {};
}

/** The lily-jobs (JSON) and chain-height outputs, as Lily's API last answered. */
export function setLilyOutputs(readings: LilyPodReading[], redact: (text: string) => string): void {
  const { jobs, height } = lilyOutputs(readings);
  // A job's Error may quote a database URL.
  core.setOutput('lily-jobs', redact(JSON.stringify(jobs)));
  core.setOutput('chain-height', height === undefined ? '' : String(height));
}

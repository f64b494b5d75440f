import * as core from '@actions/core';
import type { ClusterAccess } from '../cluster-access.js';
import { classify, likeliestReason, primaryReason } from '../failure/classify.js';
import {
  collectDiagnostics,
  DIAGNOSTICS_PARALLELISM,
  printDiagnostics,
  writeDiagnosticsFile,
} from '../failure/diagnostics.js';
import { redactor } from '../failure/redact.js';
import { type Diagnostics, renderFailureSummary } from '../failure/report.js';
import {
  helmErrorHint,
  helmErrorText,
  helmFailureReason,
  isConcurrentDeploy,
} from '../failure/run-failure.js';
import { DeployError, type FailureReason, type RunFailureReason } from '../failure-reason.js';
import { type Workload, workloadsInManifest } from '../kube/release-workloads.js';
import type { Settings } from '../settings.js';
import type { UpgradeOutcome } from './monitored-run.js';
import { type SettleEvidence, settleRelease } from './settle.js';

/**
 * After a failed upgrade (helm's failure, or a revision the verify window
 * failed): settles the release (never left pending; with atomic, really
 * rolled back), then says why (findings with remedies, as
 * annotations and at the top of the summary), shows the pods' logs, events
 * and helm history, sets the outputs, and throws.
 */
export async function handleFailedUpgrade(
  cluster: ClusterAccess,
  settings: Settings,
  secrets: string[],
  outcome: UpgradeOutcome,
): Promise<never> {
  const reason = helmFailureReason({ ...outcome, ...outcome.result });
  const redact = redactor(secrets);
  const helmError = redact(helmErrorText(outcome.result.stderr));
  const hint = helmErrorHint(helmError);
  const settled = await settleRelease(cluster, settings, outcome);
  let headline = outcome.stoppedFor?.find((f) => f.fatal)?.summary;
  let failureReason: RunFailureReason = reason;
  if (!outcome.cancelled) {
    try {
      const diagnostics = await diagnose(cluster, settings, outcome, settled, {
        reason,
        redact,
        helmError: { text: helmError, hint },
      });
      await reportDiagnostics(diagnostics, reason);
      failureReason = diagnostics.failureReason as RunFailureReason;
      // The findings that stopped helm, now with what Lily printed.
      if (outcome.stoppedFor)
        headline = diagnostics.findings.find((f) => f.fatal)?.summary ?? headline;
      else if (reason !== 'helm-error') headline ??= diagnostics.findings[0]?.summary;
    } catch (err) {
      // Explaining must not replace helm's error: it stands, with this beside it.
      core.warning(`Could not collect the diagnostics: ${redact((err as Error).message)}`, {
        title: 'lily-deploy: diagnostics incomplete',
      });
    }
  }
  if (isConcurrentDeploy(outcome.result.stderr)) {
    core.error(
      'Another deploy of this release is running. Give the workflow a concurrency group per release ' +
        '(concurrency: { group: lily-<release>, cancel-in-progress: false }) so deploys wait for each other.',
      { title: 'lily-deploy: concurrent deploy' },
    );
  }
  const helmSaid =
    (helmError || `helm exited with code ${outcome.result.exitCode}`) + (hint ? `\n${hint}` : '');
  // helm's words stay beside a pod's finding (a timeout's, say), except when
  // fail-fast stopped helm: they are then about being stopped.
  const why =
    headline === undefined
      ? helmSaid
      : outcome.stoppedFor
        ? headline
        : `${headline}\nhelm said: ${helmSaid}`;
  throw new DeployError(
    failureReason,
    `Deploy of ${settings.release} failed (${failureReason}): ${why}` +
      (settled.releaseState ? `\n${settled.releaseState}` : ''),
  );
}

interface Explanation {
  reason: FailureReason;
  redact: (text: string) => string;
  /** helm's error: it leads unless helm failed because of a pod (fail-fast, timeout). */
  helmError: { text: string; hint?: string };
}

/** Everything about the release's pods, events and history, judged. */
async function diagnose(
  cluster: ClusterAccess,
  settings: Settings,
  outcome: UpgradeOutcome,
  settled: SettleEvidence,
  explanation: Explanation,
): Promise<Diagnostics> {
  const { reason } = explanation;
  const workloads =
    outcome.workloads.length > 0
      ? outcome.workloads
      : await attemptedWorkloads(cluster, settings, outcome.revision);
  return collectDiagnostics(await cluster.api(), cluster.releases, workloads, {
    release: settings.release,
    namespace: settings.namespace,
    logLines: settings.failure.logLines,
    parallelism: DIAGNOSTICS_PARALLELISM,
    redact: explanation.redact,
    // The findings that stopped helm stand; otherwise every pod is judged now.
    findings: (pods, events) =>
      outcome.stoppedFor ??
      classify(pods, events, {
        namespace: settings.namespace,
        restartThreshold: settings.failure.failFastRestarts,
        graceMs: 0,
        unschedulableGraceMs: 0,
        databaseTimeoutMs: settings.failure.databaseTimeoutMs,
        databaseTimeout: settings.failure.databaseTimeout,
        now: Date.now(),
      }),
    failureReason: (findings) =>
      outcome.stoppedFor
        ? primaryReason(findings, reason)
        : reason === 'timeout'
          ? likeliestReason(findings, 'timeout')
          : reason,
    helmError: explanation.helmError,
    interventions: [...outcome.interventions, ...settled.interventions],
    deletedPods: [
      ...(outcome.verifyFailed?.evidence ?? []),
      ...outcome.deletedPods,
      ...settled.deletedPods,
    ],
  });
}

/** The diagnostics in the log, as annotations, in the job summary, in a file and its output. */
async function reportDiagnostics(diagnostics: Diagnostics, reason: FailureReason): Promise<void> {
  const path = await writeDiagnosticsFile(diagnostics);
  printDiagnostics(diagnostics);
  for (const f of diagnostics.findings) {
    const text = `${f.summary}\nRemedy: ${f.remedy}`;
    // Beside helm's own error, a pod's state is evidence, not the cause.
    if (reason === 'helm-error')
      core.warning(text, { title: `lily-deploy: also seen: ${f.reason}` });
    else core.error(text, { title: `lily-deploy: ${f.reason}` });
  }
  for (const gap of diagnostics.notCollected)
    core.warning(`Not collected: ${gap}`, { title: 'lily-deploy: diagnostics incomplete' });
  await core.summary.addRaw(renderFailureSummary(diagnostics, path)).write();
  core.setOutput('diagnostics', path);
}

/** The workloads of the revision helm tried, from its manifest. */
export async function attemptedWorkloads(
  cluster: ClusterAccess,
  settings: Settings,
  revision: number,
): Promise<Workload[]> {
  try {
    const manifest = await cluster.releases.manifest(
      settings.release,
      settings.namespace,
      revision,
    );
    return manifest ? workloadsInManifest(manifest) : [];
  } catch (err) {
    // helm's failure stays the headline; the diagnostics then cover no pods.
    core.warning(`Could not read the manifest of revision ${revision}: ${(err as Error).message}`);
    return [];
  }
}

import * as core from '@actions/core';
import { classify, likeliestReason, primaryReason } from '../failure/classify.js';
import { DeployError, type FailureReason, type RunFailureReason } from '../failure-reason.js';
import type { ClusterAccess } from '../cluster-access.js';
import {
  collectDiagnostics,
  printDiagnostics,
  writeDiagnosticsFile,
} from '../failure/diagnostics.js';
import { redactor } from '../failure/redact.js';
import { renderFailureSummary } from '../failure/report.js';
import { waitFlags } from '../helm/flags.js';
import { type Workload, workloadsInManifest } from '../kube/release-workloads.js';
import type { Settings } from '../settings.js';
import {
  isPending,
  recoverPendingRelease,
  recoveryPlan,
  reportRecovery,
} from '../helm/stuck-release.js';
import { helmErrorHint, helmErrorText } from '../failure/run-failure.js';
import { runMonitored, type UpgradeOutcome } from './monitored-run.js';

// Pods collected at once: each is a few requests through the one API proxy.
export const DIAGNOSTICS_PARALLELISM = 8;

/**
 * After a failed upgrade: make sure the release is not left pending (and, with
 * atomic, that the rollback really happened), then say why (findings with
 * remedies, as annotations and at the top of the summary), show the pods'
 * logs, events and helm history, set the outputs, and throw.
 */
export async function reportFailedUpgrade(
  cluster: ClusterAccess,
  settings: Settings,
  secrets: string[],
  outcome: UpgradeOutcome,
): Promise<never> {
  const reason = helmOutcomeReason(outcome);
  const redact = redactor(secrets);
  const helmError = redact(helmErrorText(outcome.result.stderr));
  const hint = helmErrorHint(helmError);
  const settled = await settleRelease(cluster, settings, outcome);
  let headline = outcome.stoppedFor?.find((f) => f.fatal)?.summary;
  let failureReason: RunFailureReason = reason;
  if (!outcome.cancelled) {
    const workloads =
      outcome.workloads.length > 0
        ? outcome.workloads
        : await attemptedWorkloads(cluster, settings, outcome.revision);
    const diagnostics = await collectDiagnostics(await cluster.api(), cluster.releases, workloads, {
      release: settings.release,
      namespace: settings.namespace,
      logLines: settings.failure.logLines,
      parallelism: DIAGNOSTICS_PARALLELISM,
      redact,
      // The findings that stopped helm stand; otherwise every pod is judged now.
      findings: (pods, events) =>
        outcome.stoppedFor ??
        classify(pods, events, {
          namespace: settings.namespace,
          restartThreshold: settings.failure.failFastRestarts,
          graceMs: 0,
          unschedulableGraceMs: 0,
          now: Date.now(),
        }),
      failureReason: (findings) =>
        reason === 'timeout' ? likeliestReason(findings, 'timeout') : reason,
      // helm's error leads unless helm failed because of a pod (fail-fast, timeout).
      helmError: reason === 'helm-error' ? { text: helmError, hint } : undefined,
      interventions: [...outcome.interventions, ...settled.interventions],
      deletedPods: [...outcome.deletedPods, ...settled.deletedPods],
    });
    const path = await writeDiagnosticsFile(diagnostics);
    printDiagnostics(diagnostics);
    for (const f of diagnostics.findings) {
      const text = `${f.summary}\nRemedy: ${f.remedy}`;
      // Beside helm's own error, a pod's state is evidence, not the cause.
      if (reason === 'helm-error')
        core.warning(text, { title: `lily-deploy: also seen: ${f.reason}` });
      else core.error(text, { title: `lily-deploy: ${f.reason}` });
    }
    await core.summary.addRaw(renderFailureSummary(diagnostics, path)).write();
    core.setOutput('diagnostics', path);
    failureReason = diagnostics.failureReason as RunFailureReason;
    if (reason !== 'helm-error') headline ??= diagnostics.findings[0]?.summary;
  }
  if (
    /another operation \(install\/upgrade\/rollback\) is in progress|release: already exists|cannot re-use a name/.test(
      outcome.result.stderr,
    )
  ) {
    core.error(
      'Another deploy of this release is running. Give the workflow a concurrency group per release ' +
        '(concurrency: { group: lily-<release>, cancel-in-progress: false }) so deploys wait for each other.',
      { title: 'lily-deploy: concurrent deploy' },
    );
  }
  const helmSaid =
    (helmError || `helm exited with code ${outcome.result.exitCode}`) + (hint ? `\n${hint}` : '');
  throw new DeployError(
    failureReason,
    `Deploy of ${settings.release} failed (${failureReason}): ${headline ?? helmSaid}`,
  );
}

function helmOutcomeReason(outcome: UpgradeOutcome): FailureReason {
  if (outcome.stoppedFor) return primaryReason(outcome.stoppedFor, 'helm-error');
  if (outcome.cancelled) return 'cancelled';
  const output = `${outcome.result.stderr}\n${outcome.result.stdout}`;
  return /timed out waiting|context deadline exceeded|timeout/i.test(output)
    ? 'timeout'
    : 'helm-error';
}

async function attemptedWorkloads(
  cluster: ClusterAccess,
  settings: Settings,
  revision: number,
): Promise<Workload[]> {
  const manifest = await cluster.releases
    .manifest(settings.release, settings.namespace, revision)
    .catch(() => undefined);
  return manifest ? workloadsInManifest(manifest) : [];
}

/**
 * Leaves the release in a final state, touching only what this run's helm
 * left: a release that is pending because another deploy is running is not
 * ours to repair. Helm records a deploy it stopped as failed; only when it had
 * to be killed is the pending release it left repaired here. With atomic, a
 * rollback helm could not finish (Helm 4 gives up at once on a pod of the
 * failed revision that is still broken) is done again, waiting, under a
 * monitor that replaces those pods. Sets the status and revision outputs.
 */
async function settleRelease(
  cluster: ClusterAccess,
  settings: Settings,
  outcome: UpgradeOutcome,
): Promise<Pick<UpgradeOutcome, 'interventions' | 'deletedPods'>> {
  const { helm } = cluster;
  const { release: name, namespace, timeout } = settings;
  const done: Pick<UpgradeOutcome, 'interventions' | 'deletedPods'> = {
    interventions: [],
    deletedPods: [],
  };
  const { releases } = cluster;
  let release = await releases.latest(name, namespace);
  const helmWasKilled = outcome.result.signal !== null;
  if (release && isPending(release.status) && helmWasKilled) {
    reportRecovery(release, await recoverPendingRelease(cluster, name, namespace, timeout));
    release = await releases.latest(name, namespace);
  }
  if (settings.atomic && release?.status === 'failed' && release.revision >= outcome.revision) {
    const plan = recoveryPlan(await releases.history(name, namespace));
    if (plan.kind === 'rollback') {
      core.info(
        `The atomic rollback did not finish (release is ${release.status}): rolling back to revision ${plan.revision} now`,
      );
      const args = [
        'rollback',
        name,
        String(plan.revision),
        '--namespace',
        namespace,
        ...waitFlags(helm.major, true),
        '--timeout',
        timeout,
      ];
      const rollback = await runMonitored(cluster, settings, args, {
        revision: release.revision + 1,
        failFast: false,
      });
      if (rollback.result.exitCode !== 0)
        core.warning(`The rollback failed too: ${lastLine(rollback.result.stderr)}`);
      done.interventions.push(...rollback.interventions);
      done.deletedPods.push(...rollback.deletedPods);
      release = await releases.latest(name, namespace);
    }
  }
  core.setOutput('status', release?.status ?? '');
  core.setOutput('revision', release ? String(release.revision) : '');
  return done;
}

function lastLine(text: string): string {
  return text.trim().split('\n').at(-1) ?? '';
}

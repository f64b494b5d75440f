import * as core from '@actions/core';
import { startedEarly } from '../background.js';
import { lilyApiDenial } from '../preflight/access-review.js';
import { previewAnnotations, previewReleaseLabels } from '../kube/objects.js';
import { handleFailedUpgrade } from './failed-upgrade.js';
import { runMonitored, type UpgradeOutcome } from './monitored-run.js';
import {
  checkPreviewOwner,
  createNamespaceAndSecret,
  type Made,
  removeWhatThisRunMade,
} from './namespace-and-secret.js';
import { settleOnPreflight } from './preflight-gate.js';
import { type DeployContext, type Prepared, prepare, upgradeOptions } from './prepare.js';
import { checkReleaseState } from './release-state.js';
import { renderDeploySummary } from './summary.js';
import { startupDeadlines, StartupWatch } from './startup-watch.js';
import type { AppliedChanges } from './plan.js';
import { verifyRevision } from './verify.js';
import { redactor } from '../failure/redact.js';
import type { HelmStop } from '../helm/helm.js';
import { listReleasePods, podUids } from '../kube/release-objects.js';
import { workloadsInManifest } from '../kube/release-workloads.js';
import { lilyValuesSection } from '../lily/values-sections.js';
import { PROGRESS_MS } from './monitored-run.js';
import { setTimeout as sleep } from 'node:timers/promises';

/** The guide's steps after helm is installed and the cluster answers. */
export async function deploy(ctx: DeployContext): Promise<void> {
  const { settings, cluster } = ctx;
  if (settings.chartVersion === 'latest') {
    core.warning(
      "chart-version is 'latest': the newest stable chart at run time is deployed, so two runs may differ. Pin a version for production.",
    );
  }
  const kubernetesVersion = startedEarly(cluster.ready());
  const prepared = await prepare(ctx, checkReleaseState);
  const made: Made = { namespace: false, secret: false };
  let outcome: UpgradeOutcome;
  let changes: Promise<AppliedChanges>;
  try {
    ({ outcome, changes } = await changeTheCluster(ctx, prepared, made));
    if (outcome.result.exitCode === 0 && !outcome.verifyFailed && !outcome.startedOnly) {
      const { denied } = await prepared.checked;
      outcome = await verifyRevision(
        cluster,
        settings,
        ctx.secrets,
        outcome,
        lilyApiDenial(denied, settings.namespace),
      );
    }
    if (outcome.result.exitCode !== 0 || outcome.verifyFailed)
      await handleFailedUpgrade(cluster, settings, ctx.secrets, outcome);
  } catch (err) {
    await removeWhatThisRunMade(settings, cluster, made);
    throw err;
  }
  await report(ctx, prepared, await kubernetesVersion, outcome, changes);
}

/** Its parts read (and the plan's diff evaluated) while helm waits. */
function startAppliedChanges(ctx: DeployContext, prepared: Prepared): Promise<AppliedChanges> {
  return startedEarly(
    import(/* webpackMode: "eager" */ './plan.js').then((plan) =>
      plan.appliedChanges(ctx, prepared),
    ),
  );
}

/**
 * The namespace and Secret, the preflight's verdict, then helm under the
 * release monitor; what the revision changes is worked out beside helm.
 */
async function changeTheCluster(
  ctx: DeployContext,
  prepared: Prepared,
  made: Made,
): Promise<{ outcome: UpgradeOutcome; changes: Promise<AppliedChanges> }> {
  const { settings, cluster } = ctx;
  // Worked out as soon as the preflight has parsed the render (while the writes below wait).
  const lily = startedEarly(
    prepared.checked.then(({ manifest }) =>
      workloadsInManifest(manifest).some((w) => lilyValuesSection(w.name)),
    ),
  );
  // A namespace missing when the lock was first tried but there when this run
  // looked (a run racing it made it in between): lock before anything else.
  if (prepared.existing.namespace) {
    await lockInNewNamespace(ctx, prepared);
    await readReleaseAgain(ctx, prepared);
  }
  // The plan's diff (and its library) loads when a plan digest or the report needs it.
  if (settings.planDigest)
    await core.group('Plan digest', async () =>
      (await import(/* webpackMode: "eager" */ './plan.js')).checkPlanDigest(
        ctx,
        prepared,
        settings.planDigest!,
      ),
    );
  const checkOwner = () => checkPreviewOwner(settings, cluster, ctx.run.repository);
  await checkOwner();
  if (settings.createNamespace || settings.database) {
    await core
      .group('Namespace and database Secret', () =>
        createNamespaceAndSecret(settings, cluster, prepared.existing, made, {
          annotations: previewMarks(ctx),
          afterNamespaceCreated: () => lockInNewNamespace(ctx, prepared),
          readReleaseAgain: () => readReleaseAgain(ctx, prepared, ctx.lock?.heldVersion),
          checkAppeared: checkOwner,
        }),
      )
      .catch(async (err: unknown) => {
        // A permission the preflight names explains a refusal better than the raw 403.
        const result = await prepared.checked.catch(() => undefined);
        if (result) await settleOnPreflight(settings, cluster, result);
        throw err;
      });
  }
  // The namespace's pods before helm runs: any other is this deploy's, whatever the clocks say.
  const podsBefore = startedEarly(
    made.namespace
      ? Promise.resolve(new Set<string>())
      : cluster.api().then((api) => podUids(api, settings.namespace)),
  );
  const applyArgs = await core.group('Preflight', async () =>
    settleOnPreflight(settings, cluster, await prepared.checked),
  );
  const revision = prepared.previousRevision + 1;
  const upgradesLily = await lily;
  const changes = startAppliedChanges(ctx, prepared);
  try {
    const outcome = await core.group(
      `helm upgrade --install ${settings.release} (revision ${revision})`,
      () =>
        upgrade(ctx, prepared, [...prepared.extraArgs, ...applyArgs], {
          revision,
          lily: upgradesLily,
          podsBefore,
        }),
    );
    return { outcome, changes };
  } finally {
    // (Its failure, if any, is the report's to say: not an unhandled rejection here.)
    void changes.then(
      (c) => {
        c.helmEnded();
      },
      () => undefined,
    );
  }
}

/** A preview's marks: its pull request, the repository, and now as its last deploy. */
function previewMarks({ settings, run }: DeployContext): Record<string, string> | undefined {
  if (!settings.preview || !run.repository) return undefined;
  return previewAnnotations({
    number: settings.preview.number,
    repository: run.repository,
    deployedAt: new Date(),
  });
}

/**
 * The lock of a release whose namespace did not exist when it was first
 * tried: taken as soon as this run (or a run racing it) has made the
 * namespace, before the Secret and the release change.
 */
async function lockInNewNamespace(ctx: DeployContext, prepared: Prepared): Promise<void> {
  if (prepared.locked !== 'no-namespace' || !ctx.lock) return;
  prepared.locked = await ctx.lock.take(ctx.settings.lock.timeoutMs);
  prepared.readBeforeLock = true;
}

/**
 * The release state again once the lock was taken late: a run that held it
 * meanwhile may have deployed. `notOlderThan`: the Lease as this run took it,
 * which anything a run that held the lock before wrote precedes.
 */
async function readReleaseAgain(
  { settings, cluster }: DeployContext,
  prepared: Prepared,
  notOlderThan?: string,
): Promise<void> {
  if (!prepared.readBeforeLock) return;
  const latest = await cluster.releases.latest(settings.release, settings.namespace, notOlderThan);
  prepared.previousRevision = latest?.revision ?? 0;
  prepared.readBeforeLock = false;
}

async function upgrade(
  ctx: DeployContext,
  prepared: Prepared,
  extraArgs: string[],
  {
    revision,
    lily,
    podsBefore,
  }: { revision: number; lily: boolean; podsBefore: Promise<Set<string>> },
): Promise<UpgradeOutcome> {
  const { settings, cluster, run } = ctx;
  // A preview's marks in helm's own record of the release: what a sweep trusts.
  const labels =
    settings.preview && run.repository
      ? previewReleaseLabels({ number: settings.preview.number, repository: run.repository })
      : undefined;
  const options = { ...upgradeOptions(settings, prepared, extraArgs), labels };
  const failFast = settings.failure.failFast && settings.wait;
  if (!lily || !settings.wait)
    return runMonitored(cluster, settings, (stop) => cluster.helm.upgrade(options, stop), {
      revision,
      failFast,
      helmTimeout: options.timeout,
      podsBefore,
    });
  const startup = new StartupWatch(
    await cluster.api(),
    settings.namespace,
    startupDeadlines(settings),
    Date.now(),
    redactor(ctx.secrets),
    PROGRESS_MS,
  );
  const started = settings.startup.waitFor === 'started';
  // helm must not give up (nor roll back) while a Lily start-up progresses:
  // its timeout is startup-timeout and a little more, and the watch stops it
  // at timeout when nothing Lily-like progresses. With wait-for: started helm
  // does not wait; the watch does, until every start-up is under way.
  const helmTimeout = `${Math.ceil(settings.startup.startupTimeoutMs / 1000) + HELM_TIMEOUT_SLACK_S}s`;
  // helm's atomic implies its wait: with wait-for: started the settling after
  // a failure undoes the revision instead, as helm's atomic would.
  const helmOptions = started
    ? { ...options, wait: false, atomic: false }
    : { ...options, timeout: helmTimeout };
  core.info(
    started
      ? `wait-for: started: helm applies the release without waiting; the deploy waits until every Lily pod's start-up is under way (timeout ${settings.timeout}, stall-timeout ${settings.startup.stallTimeout})`
      : `Lily start-up: helm waits up to startup-timeout ${settings.startup.startupTimeout} while every unready Lily pod progresses (stall-timeout ${settings.startup.stallTimeout}); anything else has timeout ${settings.timeout}`,
  );
  const outcome = await runMonitored(
    cluster,
    settings,
    async (stop) => {
      const result = await cluster.helm.upgrade(helmOptions, stop);
      if (started && result.exitCode === 0) await untilStarted(startup, stop);
      return result;
    },
    {
      revision,
      failFast,
      helmTimeout: started ? settings.timeout : helmTimeout,
      startup,
      podsBefore,
    },
  );
  const helmPassed = outcome.result.exitCode === 0;
  // helm's wait passed: one more look, so the phases are the pods' as they are now.
  if (helmPassed && !started && !outcome.stoppedFor)
    await startup
      .poll(
        await listReleasePods(await cluster.api(), settings.namespace, outcome.workloads),
        Date.now(),
      )
      .catch(() => undefined);
  const now = Date.now();
  core.setOutput('lily-phase', startup.leastPhase());
  if (started && outcome.result.exitCode === 0 && !outcome.stoppedFor)
    core.notice(
      `wait-for: started: every Lily pod's start-up is under way (least advanced: ${startup.leastPhase()}); nothing waited for Ready. \`command: status\` reports on the release from here.`,
    );
  // Stopped after helm applied it (wait-for: started): the revision is deployed as far as helm knows.
  const failedAfterHelm = helmPassed && outcome.stoppedFor !== undefined;
  return {
    ...outcome,
    startedOnly: started && helmPassed && !failedAfterHelm,
    startupSummary: startup.summary(
      now,
      started ? 'Lily start-up under way (wait-for: started)' : 'Lily start-up',
    ),
    verifyFailed: failedAfterHelm ? { evidence: [] } : outcome.verifyFailed,
  };
}

// helm's own timeout runs this much past startup-timeout, so that the watch decides first.
const HELM_TIMEOUT_SLACK_S = 60;
const STARTED_POLL_MS = 1000;

/** Waits until every Lily pod's start-up is under way, or the watch stops the run. */
async function untilStarted(startup: StartupWatch, stop: HelmStop): Promise<void> {
  while (!stop.signal.aborted && !startup.allStarted(Date.now())) {
    await sleep(STARTED_POLL_MS, undefined, { signal: stop.signal }).catch(() => undefined);
  }
}

/** The outputs and the job summary of the release as deployed. */
async function report(
  ctx: DeployContext,
  prepared: Prepared,
  kubernetesVersion: string,
  { interventions, verified, startupSummary, startedOnly }: UpgradeOutcome,
  changes: Promise<AppliedChanges>,
): Promise<void> {
  const { chart } = prepared;
  const { settings, cluster, installedHelm } = ctx;
  const release = await cluster.releases.latest(settings.release, settings.namespace);
  if (!release)
    throw new Error(`helm reported success but release ${settings.release} is not found`);
  // Read back under the lock; the rest only reports, so the next run need not wait for it.
  const unlocked = startedEarly(ctx.lock?.release() ?? Promise.resolve());
  core.setOutput('release', release.name);
  core.setOutput('namespace', release.namespace);
  core.setOutput('revision', String(release.revision));
  core.setOutput('status', release.status);
  core.setOutput('chart-version', release.chartVersion);
  core.setOutput('app-version', release.appVersion);
  core.setOutput('helm-version', `v${installedHelm.version}`);
  core.setOutput('secret-name', settings.database?.secretName ?? '');
  if (settings.chartVersion === 'latest')
    core.notice(`chart-version 'latest' resolved to ${release.chartVersion}`);
  core.info(
    `Release ${release.name} in ${release.namespace}: revision ${release.revision}, ${release.status}, ` +
      `chart ${release.chartName}@${release.chartVersion}, app ${release.appVersion}`,
  );
  await core.summary
    .addRaw(
      renderDeploySummary({
        release,
        notes: release.notes,
        chartSource: chart.description,
        helmVersion: installedHelm.version,
        helmFromCache: installedHelm.fromCache,
        kubernetesVersion,
        secretName: settings.database?.secretName,
        durationMs: Date.now() - ctx.startedAt,
        interventions,
        verified,
        startup: startupSummary,
        startedOnly,
      }),
    )
    .addRaw(await (await changes).of(release))
    .write();
  await unlocked;
}

import * as core from '@actions/core';
import { startedEarly } from '../background.js';
import type { ClusterAccess } from '../cluster-access.js';
import { type ChartSource, prepareChart } from '../helm/chart-source.js';
import { translateExtraArgs } from '../helm/flags.js';
import type { InstalledHelm } from '../helm/installer.js';
import type { Values } from '../inputs/values.js';
import { previewAnnotations } from '../kube/objects.js';
import type { LockOutcome, ReleaseLock } from '../lock/release-lock.js';
import type { PreflightResult } from '../preflight/check-cluster.js';
import type { Settings } from '../settings.js';
import type { Workspace } from '../workspace.js';
import { needsChartDefaults } from './database-values.js';
import { handleFailedUpgrade } from './failed-upgrade.js';
import { runMonitored, type UpgradeOutcome } from './monitored-run.js';
import {
  createNamespaceAndSecret,
  type Existing,
  type Made,
  readExisting,
  removeWhatThisRunMade,
} from './namespace-and-secret.js';
import { preflightChecks, settleOnPreflight } from './preflight-gate.js';
import { checkReleaseState } from './release-state.js';
import { renderDeploySummary } from './summary.js';
import { userValuesFiles, withDatabaseValues } from './values-files.js';

export interface DeployContext {
  settings: Settings;
  userValues: Values;
  secrets: string[];
  cluster: ClusterAccess;
  installedHelm: InstalledHelm;
  workspace: Workspace;
  startedAt: number;
  /** The release's lock; the caller releases it. */
  lock: ReleaseLock;
  /** `owner/name` of the run's repository, for a preview's marks. */
  repository: string;
}

/** What the deploy has ready once the cluster answers: the chart, the values, the checks. */
interface Prepared {
  chart: ChartSource;
  valuesFiles: string[];
  extraArgs: string[];
  existing: Existing;
  /** The preflight; awaited only where its answer is needed. */
  checked: Promise<PreflightResult>;
  /** The release's latest revision before this deploy. */
  previousRevision: number;
  /** The lock, taken before the release state was read; 'no-namespace' = to take once it exists. */
  locked: LockOutcome;
}

/** The guide's steps after helm is installed and the cluster answers. */
export async function deploy(ctx: DeployContext): Promise<void> {
  const { settings, cluster } = ctx;
  if (settings.chartVersion === 'latest') {
    core.warning(
      "chart-version is 'latest': the newest stable chart at run time is deployed, so two runs may differ. Pin a version for production.",
    );
  }
  const kubernetesVersion = startedEarly(cluster.ready());
  const prepared = await prepare(ctx);
  const made: Made = { namespace: false, secret: false };
  let outcome: UpgradeOutcome;
  try {
    outcome = await changeTheCluster(ctx, prepared, made);
    if (outcome.result.exitCode !== 0)
      await handleFailedUpgrade(cluster, settings, ctx.secrets, outcome);
  } catch (err) {
    await removeWhatThisRunMade(settings, cluster, made);
    throw err;
  }
  await report(ctx, prepared.chart, await kubernetesVersion, outcome.interventions);
}

/**
 * Everything before the first change, overlapped: the chart repository is
 * helm's local files and the network, prepared while the cluster is checked;
 * the preflight renders with the user's values (ours only wire the database
 * Secret) as soon as the chart is there. A repository that is down changes
 * nothing in the cluster.
 */
async function prepare(ctx: DeployContext): Promise<Prepared> {
  const { settings, cluster, workspace } = ctx;
  const chartReady = startedEarly(prepareChart(cluster.helm, settings.chart, settings.repo));
  const defaultsReady = startedEarly(chartDefaultsIfNeeded(ctx, chartReady));
  const userFiles = startedEarly(userValuesFiles(settings, workspace));
  const extra = translateExtraArgs(cluster.helm.major, settings.extraArgs);
  // The lock comes first of what needs the cluster: the release state read
  // under it is the one this deploy changes. One request while uncontended.
  const locked = startedEarly(cluster.ready().then(() => ctx.lock.take(settings.lock.timeoutMs)));
  const existingReady = startedEarly(locked.then(() => readExisting(settings, cluster)));
  const checked = startedEarly(
    Promise.all([chartReady, userFiles]).then(([chart, files]) =>
      preflightChecks(settings, cluster, {
        chartRef: chart.ref,
        version: versionFlag(settings, chart),
        valuesFiles: files,
        extraArgs: extra.args,
        createsNamespace: existingReady.then((e) => settings.createNamespace && !e.namespace),
      }),
    ),
  );
  await cluster.ready();
  const lockOutcome = await locked;
  // Reads through the API proxy: a few milliseconds.
  const [previous, existing] = await core.group('Release state', () =>
    Promise.all([checkReleaseState(settings, cluster), existingReady]),
  );
  const chart = await core.group('Chart repository', () => chartReady);
  const valuesFiles = await core.group('Values', async () =>
    withDatabaseValues(settings, workspace, ctx.userValues, await userFiles, await defaultsReady),
  );
  for (const note of extra.notes) core.notice(note);
  return {
    chart,
    valuesFiles,
    extraArgs: extra.args,
    existing,
    checked,
    previousRevision: previous?.revision ?? 0,
    locked: lockOutcome,
  };
}

/** The namespace and Secret, the preflight's verdict, then helm under the release monitor. */
async function changeTheCluster(
  ctx: DeployContext,
  prepared: Prepared,
  made: Made,
): Promise<UpgradeOutcome> {
  const { settings, cluster } = ctx;
  if (settings.createNamespace || settings.database) {
    await core
      .group('Namespace and database Secret', () =>
        createNamespaceAndSecret(settings, cluster, prepared.existing, made, {
          annotations: previewMarks(ctx),
          afterNamespaceCreated: () => lockInNewNamespace(ctx, prepared),
        }),
      )
      .catch(async (err: unknown) => {
        // A permission the preflight names explains a refusal better than the raw 403.
        const result = await prepared.checked.catch(() => undefined);
        if (result) await settleOnPreflight(settings, cluster, result);
        throw err;
      });
  }
  const applyArgs = await core.group('Preflight', async () =>
    settleOnPreflight(settings, cluster, await prepared.checked),
  );
  const revision = prepared.previousRevision + 1;
  return core.group(`helm upgrade --install ${settings.release} (revision ${revision})`, () =>
    upgrade(ctx, prepared, [...prepared.extraArgs, ...applyArgs], revision),
  );
}

/** A preview's marks: its pull request, the repository, and now as its last deploy. */
function previewMarks({ settings, repository }: DeployContext): Record<string, string> | undefined {
  if (!settings.preview || !repository) return undefined;
  return previewAnnotations({
    number: settings.preview.number,
    repository,
    deployedAt: new Date(),
  });
}

/**
 * The lock of a release whose namespace did not exist: taken as soon as this
 * run (or a run racing it) has made the namespace, before the Secret and the
 * release change. A run that had to wait for it reads the release again.
 */
async function lockInNewNamespace(ctx: DeployContext, prepared: Prepared): Promise<void> {
  if (prepared.locked !== 'no-namespace') return;
  const { settings, cluster } = ctx;
  prepared.locked = await ctx.lock.take(settings.lock.timeoutMs);
  const latest = await cluster.releases.latest(settings.release, settings.namespace);
  prepared.previousRevision = latest?.revision ?? 0;
}

/** The chart's default values, when the database storage entry needs them. */
async function chartDefaultsIfNeeded(
  { settings, userValues, cluster }: DeployContext,
  chartReady: Promise<ChartSource>,
): Promise<Values | undefined> {
  const db = settings.database;
  if (!db || !needsChartDefaults(db.valuesPath, userValues)) return undefined;
  const chart = await chartReady;
  return cluster.helm.showValues(chart.ref, versionFlag(settings, chart));
}

function upgrade(
  { settings, cluster }: DeployContext,
  prepared: Prepared,
  extraArgs: string[],
  revision: number,
): Promise<UpgradeOutcome> {
  const options = {
    release: settings.release,
    chartRef: prepared.chart.ref,
    version: versionFlag(settings, prepared.chart),
    namespace: settings.namespace,
    createNamespace: settings.createNamespace,
    valuesFiles: prepared.valuesFiles,
    wait: settings.wait,
    timeout: settings.timeout,
    atomic: settings.atomic,
    extraArgs,
  };
  return runMonitored(cluster, settings, (stop) => cluster.helm.upgrade(options, stop), {
    revision,
    failFast: settings.failure.failFast && settings.wait,
  });
}

function versionFlag(settings: Settings, chart: ChartSource): string | undefined {
  return chart.versioned && settings.chartVersion !== 'latest' ? settings.chartVersion : undefined;
}

/** The outputs and the job summary of the release as deployed. */
async function report(
  ctx: DeployContext,
  chart: ChartSource,
  kubernetesVersion: string,
  interventions: string[],
): Promise<void> {
  const { settings, cluster, installedHelm } = ctx;
  const release = await cluster.releases.latest(settings.release, settings.namespace);
  if (!release)
    throw new Error(`helm reported success but release ${settings.release} is not found`);
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
      }),
    )
    .write();
}

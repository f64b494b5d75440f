import * as core from '@actions/core';
import { startedEarly } from '../background.js';
import type { ClusterAccess } from '../cluster-access.js';
import { type ChartSource, prepareChart } from '../helm/chart-source.js';
import { translateExtraArgs, type UpgradeOptions } from '../helm/flags.js';
import type { ReleaseStatus } from '../helm/helm.js';
import type { RunContext } from '../github/repository-api.js';
import type { InstalledHelm } from '../helm/installer.js';
import { mergeValues, type Values } from '../inputs/values.js';
import type { LockOutcome, ReleaseLock } from '../lock/release-lock.js';
import type { PreflightResult } from '../preflight/check-cluster.js';
import type { Settings } from '../settings.js';
import type { Workspace } from '../workspace.js';
import { needsChartDefaults } from './database-values.js';
import { type Existing, readExisting } from './namespace-and-secret.js';
import { preflightChecks, settleOnLilyPreflight } from './preflight-gate.js';
import { userValuesFiles, type ValuesForHelm, withDatabaseValues } from './values-files.js';

// What a deploy and its plan share: everything before the first change.

export interface DeployContext {
  settings: Settings;
  userValues: Values;
  secrets: string[];
  cluster: ClusterAccess;
  installedHelm: InstalledHelm;
  workspace: Workspace;
  startedAt: number;
  /** The workflow run: its repository marks a preview, its link goes in the plan comment. */
  run: RunContext;
  /** The release's lock, for a run that changes the release (not a plan); the caller releases it. */
  lock?: ReleaseLock;
}

/** What a deploy (or its plan) has ready once the cluster answers: the chart, the values, the checks. */
export interface Prepared {
  chart: ChartSource;
  values: ValuesForHelm;
  extraArgs: string[];
  existing: Existing;
  /** The preflight; awaited only where its answer is needed. */
  checked: Promise<PreflightResult>;
  /** The release's latest revision before this deploy; 0 when there is none. */
  previousRevision: number;
  /** The lock, taken before the release state was read; 'no-namespace' = to take once it exists. */
  locked?: LockOutcome;
}

/** How the release's state is read: a deploy repairs a stuck one, a plan only looks. */
export type ReadReleaseState = (
  settings: Settings,
  cluster: ClusterAccess,
) => Promise<ReleaseStatus | undefined>;

/**
 * Everything before the first change, overlapped: the chart repository is
 * helm's local files and the network, prepared while the cluster is checked;
 * the preflight renders with the user's values (ours only wire the database
 * Secret) as soon as the chart is there. A repository that is down changes
 * nothing in the cluster.
 */
export async function prepare(
  ctx: DeployContext,
  readReleaseState: ReadReleaseState,
  { readsSecret } = { readsSecret: true },
): Promise<Prepared> {
  const { settings, cluster, workspace } = ctx;
  const chartReady = startedEarly(prepareChart(cluster.helm, settings.chart, settings.repo));
  const defaultsReady = startedEarly(chartDefaultsIfNeeded(ctx, chartReady));
  const userFiles = startedEarly(userValuesFiles(settings, workspace));
  const extra = translateExtraArgs(cluster.helm.major, settings.extraArgs);
  // The lock comes first of what needs the cluster: the release state read
  // under it is the one this deploy changes. One request while uncontended.
  const locked = startedEarly(cluster.ready().then(() => ctx.lock?.take(settings.lock.timeoutMs)));
  const existingReady = startedEarly(
    locked.then(() => readExisting(settings, cluster, { secret: readsSecret })),
  );
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
    Promise.all([readReleaseState(settings, cluster), existingReady]),
  );
  const chart = await core.group('Chart repository', () => chartReady);
  const values = await core.group('Values', async () =>
    withDatabaseValues(settings, workspace, ctx.userValues, await userFiles, await defaultsReady),
  );
  for (const note of extra.notes) core.notice(note);
  // Needs no cluster, so it refuses before the namespace and Secret are made.
  if (settings.lilyPreflight) {
    const merged = mergeValues((await defaultsReady) ?? {}, values.values);
    await core.group('Lily preflight', async () =>
      settleOnLilyPreflight(settings, merged, (await checked).manifest),
    );
  }
  return {
    chart,
    values,
    extraArgs: extra.args,
    existing,
    checked,
    previousRevision: previous?.revision ?? 0,
    locked: lockOutcome,
  };
}

/** The chart's default values, when the Lily preflight or the database storage entry needs them. */
async function chartDefaultsIfNeeded(
  { settings, userValues, cluster }: DeployContext,
  chartReady: Promise<ChartSource>,
): Promise<Values | undefined> {
  const db = settings.database;
  if (!settings.lilyPreflight && !(db && needsChartDefaults(db.valuesPath, userValues)))
    return undefined;
  const chart = await chartReady;
  return cluster.helm.showValues(chart.ref, versionFlag(settings, chart));
}

/** `helm upgrade --install` of the prepared release, as the settings ask for it. */
export function upgradeOptions(
  settings: Settings,
  prepared: Prepared,
  extraArgs: string[],
): UpgradeOptions {
  return {
    release: settings.release,
    chartRef: prepared.chart.ref,
    version: versionFlag(settings, prepared.chart),
    namespace: settings.namespace,
    createNamespace: settings.createNamespace,
    valuesFiles: prepared.values.files,
    wait: settings.wait,
    timeout: settings.timeout,
    atomic: settings.atomic,
    extraArgs,
  };
}

export function versionFlag(settings: Settings, chart: ChartSource): string | undefined {
  return chart.versioned && settings.chartVersion !== 'latest' ? settings.chartVersion : undefined;
}

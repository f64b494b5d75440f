import * as core from '@actions/core';
import { mkdir } from 'node:fs/promises';
import { startedEarly } from '../background.js';
import type { ClusterAccess } from '../cluster-access.js';
import {
  type ChartSource,
  chartFilesOnce,
  likelyCachedArchive,
  likelyCachedChart,
  oncePerChart,
  onLikelyChart,
  prepareChart,
  type PullRequest,
} from '../helm/chart-source.js';
import {
  fetchArgs,
  serverValidatesFields,
  translateExtraArgs,
  type UpgradeOptions,
} from '../helm/flags.js';
import type { DryRunRelease, ReleaseStatus } from '../helm/helm.js';
import type { RunContext } from '../github/repository-api.js';
import { type InstalledHelm, waitForHelm } from '../helm/installer.js';
import { mergeValues, type Values } from '../inputs/values.js';
import type { LockOutcome, ReleaseLock } from '../lock/release-lock.js';
import type { PreflightResult } from '../preflight/check-cluster.js';
import type { Settings } from '../settings.js';
import type { Workspace } from '../workspace.js';
import { type Existing, namespaceMissing, readExisting } from './namespace-and-secret.js';
import {
  preflightChecks,
  renderLocally,
  settleOnLilyPreflight,
  startPreflightReads,
} from './preflight-gate.js';
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
  /** A plan's server-side dry run, started as soon as the values were ready. */
  dryRun?: Promise<DryRunRelease>;
  /** The release's latest revision before this deploy; 0 when there is none. */
  previousRevision: number;
  /** The API server validates fields itself: helm need not (serverValidatesFields). */
  serverValidatesFields: boolean;
  /** The lock, taken before the release state was read; 'no-namespace' = to take once it exists. */
  locked?: LockOutcome;
  /** The lock was taken after the release state was read: to read again. */
  readBeforeLock?: boolean;
}

/** How the release's state is read: a deploy repairs a stuck one, a plan only looks. */
export type ReadReleaseState = (
  settings: Settings,
  cluster: ClusterAccess,
) => Promise<ReleaseStatus | undefined>;

export interface PrepareOptions {
  /** Does the run read the database Secret (a deploy writes it; a plan does not)? */
  readsSecret: boolean;
  /**
   * A plan: the release is rendered once, by helm's server-side dry run, and
   * its manifest serves the preflight; rendered locally only when the dry run
   * fails (credentials that may not make the change, a kind the cluster lacks).
   */
  serverSideRender: boolean;
}

/**
 * Everything before the first change, overlapped: the chart is pulled once
 * (helm's local files and the network) while the cluster is checked; the
 * preflight renders with the user's values (ours only wire the database
 * Secret) as soon as the chart is there. A repository that is down changes
 * nothing in the cluster.
 */
export async function prepare(
  ctx: DeployContext,
  readReleaseState: ReadReleaseState,
  { readsSecret, serverSideRender }: PrepareOptions = {
    readsSecret: true,
    serverSideRender: false,
  },
): Promise<Prepared> {
  const { settings, cluster, workspace } = ctx;
  const extra = translateExtraArgs(cluster.helm.major, settings.extraArgs);
  const request = chartRequest(ctx, extra.args);
  const chartReady = startedEarly(
    mkdir(request.destination, { mode: 0o700 }).then(() => prepareChart(cluster.helm, request)),
  );
  // The chart the tool cache likely holds: work on it starts while the index is
  // read, the render as soon as the archive is found (it needs no more of it).
  // Found, and the user's files written, at once: the render needs only these.
  const likelyArchive = likelyCachedArchive(request);
  const userFiles = userValuesFiles(settings, workspace);
  const likely = startedEarly(likelyCachedChart(request, likelyArchive));
  const onChart = <T>(work: (chart: ChartSource) => Promise<T>) =>
    onLikelyChart(likely, chartReady, work);
  const onArchive = <T>(work: (chart: Pick<ChartSource, 'ref'>) => Promise<T>) =>
    onLikelyChart(
      Promise.resolve(likelyArchive === undefined ? undefined : { ref: likelyArchive }),
      chartReady,
      work,
    );
  const valuesOf = oncePerChart((chart) =>
    withDatabaseValues(settings, workspace, ctx.userValues, userFiles, chart.defaults),
  );
  const valuesReady = startedEarly(onChart(valuesOf));
  // The lock comes first of what needs the cluster: the release state read
  // under it is the one this deploy changes. One request while uncontended.
  const locked = startedEarly(
    cluster.ready().then(async () => {
      if (!ctx.lock) return undefined;
      // The API server waits 50 ms before it refuses a Lease in a namespace
      // that does not exist (its cache may be behind): one read first.
      if (settings.createNamespace && (await namespaceMissing(settings, cluster)))
        return 'no-namespace';
      return ctx.lock.take(settings.lock.timeoutMs);
    }),
  );
  const existingReady = startedEarly(
    locked.then(() => readExisting(settings, cluster, { secret: readsSecret })),
  );
  const fieldsOnServer = startedEarly(cluster.ready().then(serverValidatesFields, () => false));
  const render = (chart: Pick<ChartSource, 'ref'>) =>
    renderLocally(settings, cluster, chart.ref, userFiles, extra.args);
  // Not after cluster.ready(): helm reaches the API server itself, and an
  // unreachable cluster is reported by the awaited ready() first.
  const dryRun = serverSideRender
    ? startedEarly(
        onChart((chart) =>
          Promise.all([valuesOf(chart), fieldsOnServer]).then(([values, validates]) =>
            cluster.helm.dryRun(
              upgradeOptions(
                settings,
                { chart, values, serverValidatesFields: validates },
                extra.args,
              ),
            ),
          ),
        ),
      )
    : undefined;
  // A plan renders locally only when its dry run failed: the chart itself, then.
  const renderLocal = () => (dryRun ? chartReady.then(render) : onArchive(render));
  const manifest = startedEarly(
    dryRun
      ? dryRun.then((r) => [r.manifest, r.hooks].filter(Boolean).join('\n---\n'), renderLocal)
      : renderLocal(),
  );
  const checked = startedEarly(
    preflightChecks(settings, cluster, {
      manifest,
      extraArgs: extra.args,
      createsNamespace: existingReady.then((e) => settings.createNamespace && !e.namespace),
      reads: startedEarly(startPreflightReads(settings, cluster, extra.args)),
    }),
  );
  await cluster.ready();
  const lockOutcome = await locked;
  // Reads through the API client: a few milliseconds.
  const [previous, existing] = await core.group('Release state', () =>
    Promise.all([readReleaseState(settings, cluster), existingReady]),
  );
  const chart = await core.group('Chart', async () => {
    const pulled = await chartReady;
    core.info(`Chart ${pulled.name} ${pulled.version} from ${pulled.description}: ${pulled.ref}`);
    return pulled;
  });
  const values = await core.group('Values', async () => {
    const ready = await valuesReady;
    for (const line of ready.log) core.info(line);
    return ready;
  });
  for (const note of extra.notes) core.notice(note);
  await waitForHelm(ctx.installedHelm);
  // Needs no cluster, so it refuses before the namespace and Secret are made.
  if (settings.lilyPreflight) {
    const merged = mergeValues(chart.defaults, values.values);
    await core.group('Lily preflight', async () =>
      settleOnLilyPreflight(settings, merged, await manifest),
    );
  }
  return {
    chart,
    values,
    extraArgs: extra.args,
    existing,
    checked,
    dryRun,
    previousRevision: previous?.revision ?? 0,
    serverValidatesFields: await fieldsOnServer,
    locked: lockOutcome,
  };
}

/** The chart as the settings name it, to pull once into the run's workspace (with extra-args' --verify and the like). */
function chartRequest({ settings, workspace }: DeployContext, extraArgs: string[]): PullRequest {
  return {
    chart: settings.chart,
    repo: settings.repo,
    version: settings.chartVersion,
    destination: workspace.path('chart'),
    fetchArgs: fetchArgs(extraArgs),
    toolCache: process.env.RUNNER_TOOL_CACHE,
    filesOf: chartFilesOnce(),
  };
}

/** `helm upgrade --install` of the prepared release, as the settings ask for it. */
export function upgradeOptions(
  settings: Settings,
  {
    chart,
    values,
    serverValidatesFields,
  }: Pick<Prepared, 'chart' | 'values' | 'serverValidatesFields'>,
  extraArgs: string[],
): UpgradeOptions {
  return {
    release: settings.release,
    chartRef: chart.ref,
    namespace: settings.namespace,
    valuesFiles: values.files,
    wait: settings.wait,
    timeout: settings.timeout,
    atomic: settings.atomic,
    serverValidatesFields,
    extraArgs,
  };
}

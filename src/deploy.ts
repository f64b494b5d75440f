import * as core from '@actions/core';
import * as yaml from 'js-yaml';
import { type ChartSource, prepareChart } from './chart-source.js';
import type { ClusterAccess } from './cluster-access.js';
import { translateExtraArgs, upgradeArgs } from './helm-flags.js';
import type { InstalledHelm } from './helm-installer.js';
import { isManagedFor, namespaceManifest, secretManifest } from './kube-objects.js';
import type { KubeObject } from './kube-types.js';
import { reportFailedUpgrade } from './failure.js';
import type { ReleaseStatus } from './helm.js';
import type { Settings } from './settings.js';
import { recoverPendingRelease, reportRecovery, stuckDecision } from './stuck-release.js';
import { runMonitored, type UpgradeOutcome } from './upgrade.js';
import { renderDeploySummary } from './summary.js';
import { databaseValues, needsChartDefaults, type Values } from './values.js';
import type { Workspace } from './workspace.js';

export interface DeployContext {
  settings: Settings;
  userValues: Values;
  secrets: string[];
  cluster: ClusterAccess;
  installedHelm: InstalledHelm;
  workspace: Workspace;
  startedAt: number;
}

/** The guide's steps after helm is installed and the cluster answers. */
export async function deploy(ctx: DeployContext): Promise<void> {
  const { settings, cluster } = ctx;
  if (settings.chartVersion === 'latest') {
    core.warning(
      "chart-version is 'latest': the newest stable chart at run time is deployed, so two runs may differ. Pin a version for production.",
    );
  }
  const chart = await core.group('Chart repository', () =>
    prepareChart(cluster.helm, settings.chart, settings.repo),
  );
  if (settings.createNamespace) {
    await core.group('Namespace', () => ensureNamespace(ctx));
  }
  if (settings.database) {
    await core.group('Database Secret', () => applyDatabaseSecret(ctx));
  }
  const valuesFiles = await core.group('Values', () => writeValuesFiles(ctx, chart));
  const previous = await core.group('Release state', () => checkReleaseState(ctx));
  let revision = (previous?.revision ?? 0) + 1;
  const attempt = () =>
    core.group(`helm upgrade --install ${settings.release} (revision ${revision})`, () =>
      upgrade(ctx, chart, valuesFiles, revision),
    );
  let outcome = await attempt();
  if (outcome.supersededReplaced > 0) {
    // Helm 4 gives up at once on a broken pod of the revision being replaced,
    // which a StatefulSet never replaces by itself; it is replaced now.
    core.info(
      'helm gave up on a broken pod of the previous revision, which has just been replaced: upgrading again',
    );
    const first = outcome;
    revision += 1;
    outcome = await attempt();
    outcome.interventions.unshift(...first.interventions);
    outcome.deletedPods.unshift(...first.deletedPods);
  }
  if (outcome.result.exitCode !== 0) {
    await reportFailedUpgrade(cluster, settings, ctx.secrets, outcome, revision);
  }
  await report(ctx, chart, outcome.interventions);
}

async function ensureNamespace({ settings, cluster }: DeployContext): Promise<void> {
  if (await cluster.kubectl.get('namespace', settings.namespace)) {
    core.info(`Namespace ${settings.namespace} exists`);
    return;
  }
  // Created here rather than by helm's --create-namespace, because the
  // database Secret must exist in it before helm runs, and labelled so that
  // uninstall knows it may delete it.
  const created = await cluster.kubectl.create(
    namespaceManifest(settings.namespace, settings.release),
  );
  core.info(
    created ? `Created namespace ${settings.namespace}` : `Namespace ${settings.namespace} exists`,
  );
}

async function applyDatabaseSecret({ settings, cluster }: DeployContext): Promise<void> {
  const db = settings.database!;
  const existing = await cluster.kubectl.get<KubeObject>(
    'secret',
    db.secretName,
    settings.namespace,
  );
  if (existing && !isManagedFor(existing.metadata.labels, settings.release)) {
    throw new Error(
      `Secret ${settings.namespace}/${db.secretName} exists and was not created by lily-deploy for release ${settings.release}; ` +
        'it is left untouched. Choose another database-secret-name, or delete that Secret if it is stale.',
    );
  }
  const manifest = secretManifest({
    name: db.secretName,
    namespace: settings.namespace,
    key: db.secretKey,
    value: db.url,
    release: settings.release,
  });
  const result = await cluster.kubectl.apply(manifest);
  core.info(`${result} (key '${db.secretKey}'; the URL went to kubectl on stdin)`);
}

/** The values files for helm, in order: the input's files, the inline values, then ours. */
async function writeValuesFiles(ctx: DeployContext, chart: ChartSource): Promise<string[]> {
  const { settings, userValues, workspace } = ctx;
  const files = [...settings.valuesFiles];
  if (settings.values)
    files.push(await workspace.write('values-inline.yaml', yaml.dump(settings.values)));
  if (settings.database) {
    const db = settings.database;
    const chartDefaults = needsChartDefaults(db.valuesPath, userValues)
      ? await ctx.cluster.helm.showValues(chart.ref, versionFlag(settings, chart))
      : undefined;
    const generated = databaseValues(db, userValues, chartDefaults);
    const path = await workspace.write('values-lily-deploy.yaml', yaml.dump(generated));
    core.info(
      `Storage entry '${db.storageName}' → Secret ${db.secretName}, written to ${path}:\n${yaml.dump(generated)}`,
    );
    files.push(path);
  }
  core.info(
    files.length > 0
      ? `Values files, in order:\n${files.join('\n')}`
      : 'No values files: chart defaults',
  );
  return files;
}

/**
 * Refuses to deploy over a release another deploy is working on, and repairs
 * one a dead deploy left pending. Returns the release as it is now.
 */
async function checkReleaseState({
  settings,
  cluster,
}: DeployContext): Promise<ReleaseStatus | undefined> {
  const { release, namespace, failure } = settings;
  const current = await cluster.helm.status(release, namespace);
  const decision = stuckDecision(
    current,
    Date.now(),
    failure.stuckReleaseTimeoutMs,
    failure.recoverStuckRelease,
  );
  if (!current) {
    core.info(`Release ${release} does not exist yet: first install`);
  } else if (decision === 'deploy') {
    core.info(
      `Release ${release}: revision ${current.revision}, ${current.status}, chart ${current.chartVersion}`,
    );
  } else if (decision === 'refuse') {
    throw new Error(
      `Release ${release} is ${current.status} since ${current.lastDeployed}: another deploy is probably running. ` +
        'Give the workflow a concurrency group per release (concurrency: { group: lily-<release>, cancel-in-progress: false }), ' +
        'or set recover-stuck-release: true if no deploy is running.',
    );
  } else {
    reportRecovery(
      current,
      await recoverPendingRelease(cluster.helm, release, namespace, settings.timeout),
    );
    return cluster.helm.status(release, namespace);
  }
  return current;
}

async function upgrade(
  ctx: DeployContext,
  chart: ChartSource,
  valuesFiles: string[],
  revision: number,
): Promise<UpgradeOutcome> {
  const { settings, cluster } = ctx;
  const extra = translateExtraArgs(cluster.helm.major, settings.extraArgs);
  for (const note of extra.notes) core.notice(note);
  const args = upgradeArgs(cluster.helm.major, {
    release: settings.release,
    chartRef: chart.ref,
    version: versionFlag(settings, chart),
    namespace: settings.namespace,
    createNamespace: settings.createNamespace,
    valuesFiles,
    wait: settings.wait,
    timeout: settings.timeout,
    atomic: settings.atomic,
    extraArgs: extra.args,
  });
  return runMonitored(cluster, settings, args, {
    revision,
    failFast: settings.failure.failFast && settings.wait,
  });
}

function versionFlag(settings: Settings, chart: ChartSource): string | undefined {
  return chart.versioned && settings.chartVersion !== 'latest' ? settings.chartVersion : undefined;
}

async function report(
  ctx: DeployContext,
  chart: ChartSource,
  interventions: string[],
): Promise<void> {
  const { settings, cluster, installedHelm } = ctx;
  const release = await cluster.helm.status(settings.release, settings.namespace);
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
        notes: await cluster.helm.notes(settings.release, settings.namespace),
        chartSource: chart.description,
        helmVersion: installedHelm.version,
        helmFromCache: installedHelm.fromCache,
        kubernetesVersion: cluster.kubernetesVersion,
        secretName: settings.database?.secretName,
        durationMs: Date.now() - ctx.startedAt,
        interventions,
      }),
    )
    .write();
}

import * as core from '@actions/core';
import * as yaml from 'js-yaml';
import { type ChartSource, prepareChart } from '../helm/chart-source.js';
import type { ClusterAccess } from '../cluster-access.js';
import {
  checkAgainstCluster,
  logPreflight,
  type PreflightResult,
} from '../preflight/check-cluster.js';
import {
  choosesServerSide,
  serverSideArgs,
  translateExtraArgs,
  upgradeArgs,
  valueArgs,
} from '../helm/flags.js';
import type { InstalledHelm } from '../helm/installer.js';
import { isManagedFor, namespaceManifest, secretManifest } from '../kube/objects.js';
import type { KubeObject } from '../kube/types.js';
import { reportFailedUpgrade } from './failed-upgrade.js';
import type { ReleaseStatus } from '../helm/helm.js';
import type { Settings } from '../settings.js';
import { recoverPendingRelease, reportRecovery, stuckDecision } from '../helm/stuck-release.js';
import { runMonitored, type UpgradeOutcome } from './monitored-run.js';
import { type AccessCheck, deniedTable, grantingRoles } from '../preflight/access-review.js';
import { type PreflightProblem, undeclaredFieldsWarning } from '../preflight/preflight.js';
import { DeployError } from '../failure-reason.js';
import { renderDeploySummary, renderPreflightFailure } from './summary.js';
import { databaseValues, needsChartDefaults } from './database-values.js';
import type { Values } from '../inputs/values.js';
import type { Workspace } from '../workspace.js';

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
  // The chart repository is helm's local files and the network: it is
  // prepared while the cluster is checked, and ready before anything in the
  // cluster changes (a repository that is down changes nothing).
  const chartReady = prepareChart(cluster.helm, settings.chart, settings.repo);
  const defaultsReady = chartDefaultsIfNeeded(ctx, chartReady);
  const userFiles = userValuesFiles(ctx);
  const extra = translateExtraArgs(cluster.helm.major, settings.extraArgs);
  const existingReady = cluster.ready().then(() => readExisting(ctx));
  // The preflight renders with the user's values (ours only wire the database
  // Secret) as soon as the chart is there, and reads while the cluster is
  // checked, the Secret made and helm's defaults read; a failure is reported
  // before helm runs, and what this run made is removed again.
  const checked = Promise.all([chartReady, userFiles]).then(([chart, files]) =>
    preflightChecks(ctx, chart, files, extra.args, existingReady),
  );
  for (const started of [chartReady, defaultsReady, existingReady, checked])
    started.catch(() => undefined); // Reported where each is awaited.
  const kubernetesVersion = await cluster.ready();
  // Reads through the API proxy: a few milliseconds.
  const [previous, existing] = await core.group('Release state', () =>
    Promise.all([checkReleaseState(ctx), existingReady]),
  );
  const chart = await core.group('Chart repository', () => chartReady);
  const valuesFiles = await core.group('Values', async () =>
    withDatabaseValues(ctx, await userFiles, await defaultsReady),
  );
  for (const note of extra.notes) core.notice(note);
  const made: Made = { namespace: false, secret: false };
  let outcome: UpgradeOutcome;
  try {
    if (settings.createNamespace || settings.database) {
      await core
        .group('Namespace and database Secret', () => createNamespaceAndSecret(ctx, existing, made))
        .catch(async (err: unknown) => {
          // A permission the preflight names explains a refusal better than the raw 403.
          const result = await checked.catch(() => undefined);
          if (result) await settleOnPreflight(ctx, result);
          throw err;
        });
    }
    const applyArgs = await core.group('Preflight', async () =>
      settleOnPreflight(ctx, await checked),
    );
    const revision = (previous?.revision ?? 0) + 1;
    outcome = await core.group(
      `helm upgrade --install ${settings.release} (revision ${revision})`,
      () => upgrade(ctx, chart, valuesFiles, [...extra.args, ...applyArgs], revision),
    );
    if (outcome.result.exitCode !== 0) {
      await reportFailedUpgrade(cluster, settings, ctx.secrets, outcome);
    }
  } catch (err) {
    await removeWhatThisRunMade(ctx, made);
    throw err;
  }
  await report(ctx, chart, kubernetesVersion, outcome.interventions);
}

/** The chart's default values, when the database storage entry needs them. */
async function chartDefaultsIfNeeded(
  ctx: DeployContext,
  chartReady: Promise<ChartSource>,
): Promise<Values | undefined> {
  const { settings, userValues, cluster } = ctx;
  const db = settings.database;
  if (!db || !needsChartDefaults(db.valuesPath, userValues)) return undefined;
  const chart = await chartReady;
  return cluster.helm.showValues(chart.ref, versionFlag(settings, chart));
}

/** What this run created, so that a failed first install can take it back. */
interface Made {
  namespace: boolean;
  secret: boolean;
}

/**
 * Renders the release as the upgrade will apply it and checks it against the
 * cluster. The Helm 4 schema check runs only when it decides something: with
 * server-side auto and no --server-side in extra-args.
 */
async function preflightChecks(
  ctx: DeployContext,
  chart: ChartSource,
  valuesFiles: string[],
  extraArgs: string[],
  existingReady: Promise<Existing>,
): Promise<PreflightResult> {
  const { settings, cluster } = ctx;
  const [manifest, existing] = await Promise.all([
    cluster.helm.template(settings.release, chart.ref, {
      version: versionFlag(settings, chart),
      namespace: settings.namespace,
      valuesFiles,
      valueArgs: valueArgs(extraArgs),
    }),
    existingReady,
  ]);
  return checkAgainstCluster(cluster, {
    manifest,
    access: {
      namespace: settings.namespace,
      createsNamespace: settings.createNamespace && !existing.namespace,
      writesSecret: settings.database !== undefined,
      storage: cluster.releases.storage,
      remediate: settings.failure.remediate,
    },
    checkSchemas:
      cluster.helm.major === 4 && settings.serverSide === 'auto' && !choosesServerSide(extraArgs),
  });
}

/**
 * Reports the preflight: fails the run on what helm would fail on or wait on
 * in vain, warns about the rest. Returns the apply flags it decided.
 */
async function settleOnPreflight(ctx: DeployContext, result: PreflightResult): Promise<string[]> {
  const { settings, cluster } = ctx;
  logPreflight(result);
  for (const warning of result.warnings)
    core.warning(warning, { title: 'lily-deploy: pod larger than any node' });
  for (const { object, fields } of result.undeclared)
    core.warning(undeclaredFieldsWarning(object, fields), {
      title: 'lily-deploy: applied client-side',
    });
  const missing = result.denied.filter((d) => d.required);
  const optional = result.denied.filter((d) => !d.required);
  if (optional.length > 0)
    core.warning(
      `These credentials may not do what only diagnostics or optional features use; they will be missing if needed:\n${deniedTable(optional)}`,
      { title: 'lily-deploy: permissions' },
    );
  const problems = [
    ...(missing.length > 0 ? [accessProblem(settings.namespace, missing)] : []),
    ...result.problems,
  ];
  const first = problems[0];
  if (first) {
    for (const p of problems)
      core.error(`${p.summary}\nRemedy: ${p.remedy}`, { title: `lily-deploy: ${p.reason}` });
    await core.summary
      .addRaw(renderPreflightFailure(settings.release, settings.namespace, problems))
      .write();
    throw new DeployError(
      first.reason,
      `Deploy of ${settings.release} failed (${first.reason}) before any change by helm: ${first.summary}\nRemedy: ${first.remedy}`,
    );
  }
  return serverSideArgs(cluster.helm.major, settings.serverSide, result.undeclared.length > 0);
}

/** The preflight problem of permissions a deploy needs and may not use. */
function accessProblem(namespace: string, missing: AccessCheck[]): PreflightProblem {
  return {
    reason: 'access-denied',
    summary: `these credentials may not do what this deploy needs (asked with SelfSubjectAccessReviews):\n${deniedTable(missing)}`,
    remedy: `Grant it to the deploying identity, for example with this Role, bound to it with a RoleBinding in ${namespace}:\n${grantingRoles(missing, namespace)}`,
  };
}

/**
 * After a failed first install that left no release record, removes the
 * Secret and the namespace this run created (only those): nothing of ours
 * stays behind holding a secret without a release to use it.
 */
async function removeWhatThisRunMade(ctx: DeployContext, made: Made): Promise<void> {
  const { settings, cluster } = ctx;
  if (!made.secret && !made.namespace) return;
  const left = await cluster.releases
    .latest(settings.release, settings.namespace)
    .catch(() => 'unknown' as const);
  if (left !== undefined) return; // A release (or what may be one) still uses them.
  const what = made.namespace
    ? `namespace ${settings.namespace} (with the database Secret)`
    : `Secret ${settings.namespace}/${settings.database?.secretName ?? ''}`;
  try {
    if (made.namespace) {
      await cluster.kubectl.delete('namespace', [settings.namespace], undefined, '60s');
    } else if (settings.database) {
      await cluster.kubectl.delete(
        'secret',
        [settings.database.secretName],
        settings.namespace,
        '60s',
      );
    }
    core.info(`No release was made: removed ${what}, which this run created`);
  } catch (err) {
    // The run's own error is what the user needs first; this one comes beside it.
    core.warning(`No release was made, but removing ${what} failed: ${(err as Error).message}`);
  }
}

interface Existing {
  namespace: boolean;
  secret?: KubeObject;
}

/** The namespace and the database Secret as they are, read through the API proxy. */
async function readExisting({ settings, cluster }: DeployContext): Promise<Existing> {
  const api = await cluster.api();
  const ns = settings.namespace;
  const [namespace, secret] = await Promise.all([
    settings.createNamespace ? api.find<KubeObject>(`/api/v1/namespaces/${ns}`) : undefined,
    settings.database
      ? api.find<KubeObject>(`/api/v1/namespaces/${ns}/secrets/${settings.database.secretName}`)
      : undefined,
  ]);
  return { namespace: namespace !== undefined, secret };
}

/**
 * The namespace (created here rather than by helm's --create-namespace,
 * because the Secret must exist in it before helm runs, and labelled so that
 * uninstall knows it may delete it), then the database Secret.
 */
async function createNamespaceAndSecret(
  ctx: DeployContext,
  existing: Existing,
  made: Made,
): Promise<void> {
  const { settings, cluster } = ctx;
  const db = settings.database;
  if (db && existing.secret && !isManagedFor(existing.secret.metadata.labels, settings.release)) {
    throw new Error(
      `Secret ${settings.namespace}/${db.secretName} exists and was not created by lily-deploy for release ${settings.release}; ` +
        'it is left untouched. Choose another database-secret-name, or delete that Secret if it is stale.',
    );
  }
  if (settings.createNamespace) {
    const created =
      !existing.namespace &&
      (await (
        await cluster.api()
      ).create('/api/v1/namespaces', namespaceManifest(settings.namespace, settings.release)));
    made.namespace = created;
    core.info(
      created
        ? `Created namespace ${settings.namespace}`
        : `Namespace ${settings.namespace} exists`,
    );
  }
  if (db) {
    const manifest = secretManifest({
      name: db.secretName,
      namespace: settings.namespace,
      key: db.secretKey,
      value: db.url,
      release: settings.release,
    });
    made.secret = !existing.secret;
    const result = await cluster.kubectl.apply(manifest);
    core.info(`${result} (key '${db.secretKey}'; the URL went to kubectl on stdin)`);
  }
}

/** The user's values files, in order: the input's files, then the inline values. */
async function userValuesFiles({ settings, workspace }: DeployContext): Promise<string[]> {
  const files = [...settings.valuesFiles];
  if (settings.values)
    files.push(await workspace.write('values-inline.yaml', yaml.dump(settings.values)));
  return files;
}

/** The values files for helm: the user's, then ours wiring the database Secret. */
async function withDatabaseValues(
  ctx: DeployContext,
  userFiles: string[],
  chartDefaults?: Values,
): Promise<string[]> {
  const { settings, userValues, workspace } = ctx;
  const files = [...userFiles];
  if (settings.database) {
    const db = settings.database;
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
  const current = await cluster.releases.latest(release, namespace);
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
      await recoverPendingRelease(cluster, release, namespace, settings.timeout),
    );
    return cluster.releases.latest(release, namespace);
  }
  return current;
}

async function upgrade(
  ctx: DeployContext,
  chart: ChartSource,
  valuesFiles: string[],
  extraArgs: string[],
  revision: number,
): Promise<UpgradeOutcome> {
  const { settings, cluster } = ctx;
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
    extraArgs,
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

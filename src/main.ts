import * as core from '@actions/core';
import { randomUUID } from 'node:crypto';
import { startedEarly } from './background.js';
import {
  type ClusterAccess,
  type ClusterConnection,
  type ClusterReader,
  connectToCluster,
  openConnection,
  readCluster,
} from './cluster-access.js';
import type { DeployContext } from './deploy/prepare.js';
import { deploymentRequest, GithubDeployments } from './github/deployments.js';
import { PullRequests } from './github/pull-requests.js';
import { RepositoryApi, type RunContext, runContext } from './github/repository-api.js';
import { helmMajor } from './helm/flags.js';
import { type InstalledHelm, startHelmInstall, waitForHelm } from './helm/installer.js';
import { helmForReading } from './helm/release-store.js';
import { checkKubeconfig } from './kube/kubeconfig-source.js';
import { readInputs } from './inputs/read.js';
import { holderIdentity } from './lock/lease.js';
import { DeployError } from './failure-reason.js';
import { failureReasonOf } from './failure/run-failure.js';
import type { Settings } from './settings.js';
import { saveWorkspace } from './state.js';
import { Workspace } from './workspace.js';

/** The main step: the deployment guide, one log group per step. */
export async function main(): Promise<void> {
  try {
    await run();
  } catch (err) {
    core.setOutput('failure-reason', failureReasonOf(err));
    throw err;
  }
}

async function run(): Promise<void> {
  const startedAt = Date.now();
  const inputs = await readInputs();
  const { settings } = inputs;
  setKnownOutputs(settings);
  const kubeconfig = await checkKubeconfig(settings).catch((err: unknown) => {
    throw new DeployError('cluster-unreachable', (err as Error).message, { cause: err });
  });
  core.info(`Kubeconfig: ${kubeconfig.description}`);
  announcePreview(settings);
  const run = runContext(process.env);
  const github = settings.github.token
    ? new GithubDeployments(new RepositoryApi(run, settings.github.token))
    : undefined;
  const deployment =
    settings.command === 'deploy' ? await github?.start(deploymentRequestOf(settings)) : undefined;

  try {
    const workspace = await Workspace.create();
    saveWorkspace(workspace.dir);
    // The API client needs no helm: the cluster is asked while helm installs.
    const connection = startedEarly(openConnection(settings, workspace, kubeconfig.route));
    // Status changes nothing: no deployment to finish, no lock, helm only if needed.
    if (settings.command === 'status') {
      await reportStatus(settings, workspace, connection, inputs.secrets, run);
      return;
    }
    const installedHelm = await startHelmStep(settings, connection);
    const cluster = await connectStep(settings, workspace, connection, installedHelm, run);
    try {
      // A deploy and a plan get on with what needs no helm while it downloads (prepare).
      if (settings.command !== 'deploy' && settings.command !== 'plan')
        await waitForHelm(installedHelm);
      const ctx = {
        ...inputs,
        cluster,
        installedHelm,
        workspace,
        startedAt,
        run,
      };
      // What one command needs and another does not is evaluated when used (eager:
      // kept in dist/index.cjs, as ncc writes the licences of one chunk only).
      if (settings.command === 'sweep') await sweepPreviews(settings, cluster, run);
      else if (settings.command === 'plan')
        await (await import(/* webpackMode: "eager" */ './deploy/plan.js')).plan(ctx);
      else await changeRelease(ctx, github);
    } catch (err) {
      // A download still under way ends first, as it did before the cluster
      // was asked: its lines are shown, helm is cached for the next run, and
      // its error, if any, is the one reported (helm comes first in the guide).
      await waitForHelm(installedHelm);
      throw err;
    } finally {
      cluster.close();
    }
  } catch (err) {
    if (deployment !== undefined) await github?.finish(deployment, 'failure');
    throw err;
  }
  if (deployment !== undefined)
    await github?.finish(deployment, 'success', settings.github.environmentUrl);
}

/**
 * Helm found in the tool cache, or its download started (the connection is
 * closed if that fails); a download's failure is the run's `helm-install`.
 */
async function startHelmStep(
  settings: Settings,
  connection: Promise<ClusterConnection>,
): Promise<InstalledHelm> {
  const helmInstallError = (err: unknown) =>
    new DeployError('helm-install', (err as Error).message, { cause: err });
  const started = await core
    .group('Install helm', () => startHelmInstall(settings.helm))
    .catch(async (err: unknown) => {
      (await connection.catch(() => undefined))?.close();
      throw helmInstallError(err);
    });
  const installed = startedEarly(
    started.installed.then(
      (lines) => {
        core.setOutput('helm-version', `v${started.version}`);
        return lines;
      },
      (err: unknown) => {
        throw helmInstallError(err);
      },
    ),
  );
  return { ...started, installed };
}

/** Helm and kubectl pointed at the cluster over the connection, in the log group of that name. */
function connectStep(
  settings: Settings,
  workspace: Workspace,
  connection: Promise<ClusterConnection>,
  installed: InstalledHelm,
  run: RunContext,
): Promise<ClusterAccess> {
  return core.group('Connect to the cluster', async () =>
    connectToCluster(
      settings,
      workspace,
      await connection,
      {
        binary: installed.binary,
        major: helmMajor(installed.version),
        installed: installed.installed,
      },
      lockHolder(run),
    ),
  );
}

/**
 * command status: reads only, so helm is installed only where helm's release
 * records need it (helmForReading); a scheduled check on a fresh runner then
 * downloads nothing.
 */
async function reportStatus(
  settings: Settings,
  workspace: Workspace,
  connection: Promise<ClusterConnection>,
  secrets: string[],
  run: RunContext,
): Promise<void> {
  // Evaluated while the API server is first asked: after that request left, not before it.
  const report = startedEarly(
    connection.then(() => import(/* webpackMode: "eager" */ './deploy/status.js')),
  );
  const helm = helmForReading(process.env.HELM_DRIVER);
  core.info(helm.why);
  let cluster: ClusterReader;
  if (helm.needed) {
    const installed = await startHelmStep(settings, connection);
    cluster = await connectStep(settings, workspace, connection, installed, run);
    await waitForHelm(installed);
  } else {
    cluster = await core.group('Connect to the cluster', async () =>
      readCluster(settings, await connection),
    );
  }
  try {
    await (await report).status(settings, cluster, secrets);
  } finally {
    cluster.close();
  }
}

/** A deploy or an uninstall, under the release's lock (released however it ends). */
async function changeRelease(
  ctx: DeployContext,
  github: GithubDeployments | undefined,
): Promise<void> {
  const { settings, cluster } = ctx;
  const lock = cluster.lockOf(settings.release, settings.namespace);
  try {
    if (settings.command === 'deploy') {
      const { deploy } = await import(/* webpackMode: "eager" */ './deploy/deploy.js');
      await deploy({ ...ctx, lock });
    } else {
      const [{ checkPreviewOwner }, { uninstall }] = await Promise.all([
        import(/* webpackMode: "eager" */ './deploy/namespace-and-secret.js'),
        import(/* webpackMode: "eager" */ './deploy/uninstall.js'),
      ]);
      await cluster.ready();
      await lock.take(settings.lock.timeoutMs);
      await checkPreviewOwner(settings, cluster, ctx.run.repository);
      await uninstall(settings, cluster, ctx.startedAt);
      await github?.deactivate(settings.github.environment);
    }
  } finally {
    await lock.release();
  }
}

/** command sweep: pull requests read and deployments deactivated with the token, in each preview's repository. */
async function sweepPreviews(
  settings: Settings,
  cluster: ClusterAccess,
  run: RunContext,
): Promise<void> {
  const token = settings.github.token ?? '';
  const { sweep } = await import(/* webpackMode: "eager" */ './deploy/sweep.js');
  await sweep({
    settings,
    cluster,
    repository: run.repository,
    pullRequests: new PullRequests(run.apiUrl, token),
    deploymentsOf: (repository) =>
      new GithubDeployments(new RepositoryApi({ ...run, repository }, token)),
  });
}

/** Who holds a lock this run takes: the run, its attempt and job, and this process. */
function lockHolder(run: RunContext): string {
  return holderIdentity({
    runUrl: run.runUrl,
    attempt: process.env.GITHUB_RUN_ATTEMPT ?? '1',
    job: process.env.GITHUB_JOB ?? '',
    id: randomUUID().slice(0, 8),
  });
}

/** What is known before anything runs: set whatever the outcome (success overwrites with what was deployed). */
function setKnownOutputs(settings: Settings): void {
  core.setOutput('release', settings.release);
  core.setOutput('namespace', settings.namespace);
  if (settings.command === 'uninstall' || settings.command === 'status') return;
  if (settings.chartVersion !== 'latest') core.setOutput('chart-version', settings.chartVersion);
  core.setOutput('secret-name', settings.database?.secretName ?? '');
}

function announcePreview(settings: Settings): void {
  if (!settings.preview) return;
  const { number, action } = settings.preview;
  core.setOutput('preview-release', settings.release);
  core.setOutput('preview-namespace', settings.namespace);
  core.info(
    `Preview of pull request #${number} (${action || 'event'}): ${settings.command} release ${settings.release} in namespace ${settings.namespace}`,
  );
}

function deploymentRequestOf(settings: Settings) {
  return deploymentRequest(
    gitRef(settings),
    settings.github.environment,
    settings.release,
    Boolean(settings.preview),
  );
}

/** The commit the deployment is of: the PR head for a preview, else the run's commit. */
function gitRef(settings: Settings): string {
  return settings.preview?.headSha ?? process.env.GITHUB_SHA ?? process.env.GITHUB_REF ?? 'HEAD';
}

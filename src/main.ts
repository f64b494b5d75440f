import * as core from '@actions/core';
import { connectToCluster } from './cluster-access.js';
import { deploy } from './deploy/deploy.js';
import { deploymentRequest, GithubDeployments, runContext } from './github/deployments.js';
import { helmMajor } from './helm/flags.js';
import { installHelm } from './helm/installer.js';
import { checkKubeconfig } from './kube/kubeconfig-source.js';
import { readInputs } from './inputs/read.js';
import { DeployError } from './failure-reason.js';
import { failureReasonOf } from './failure/run-failure.js';
import type { Settings } from './settings.js';
import { saveWorkspace } from './state.js';
import { uninstall } from './deploy/uninstall.js';
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
  const { settings, userValues, secrets } = await readInputs();
  if (settings.command === 'sweep') {
    // Parsed, decided and rendered (inputs/sweep.ts, sweep/), not yet run:
    // refused here so that no sweep falls through to an uninstall.
    throw new DeployError(
      'bad-input',
      "Input 'command' is 'sweep', which this build cannot run yet",
    );
  }
  setKnownOutputs(settings);
  const kubeconfig = await checkKubeconfig(settings).catch((err: unknown) => {
    throw new DeployError('cluster-unreachable', (err as Error).message, { cause: err });
  });
  core.info(`Kubeconfig: ${kubeconfig}`);
  announcePreview(settings);
  const github = settings.github.token
    ? new GithubDeployments(runContext(process.env), settings.github.token)
    : undefined;
  const deployment =
    settings.command === 'deploy' ? await github?.start(deploymentRequestOf(settings)) : undefined;

  try {
    const installedHelm = await core.group('Install helm', () =>
      installHelm(settings.helm).catch((err: unknown) => {
        throw new DeployError('helm-install', (err as Error).message, { cause: err });
      }),
    );
    core.setOutput('helm-version', `v${installedHelm.version}`);
    const workspace = await Workspace.create();
    saveWorkspace(workspace.dir);
    const cluster = await core.group('Connect to the cluster', () =>
      connectToCluster(settings, workspace, installedHelm.binary, helmMajor(installedHelm.version)),
    );
    try {
      if (settings.command === 'deploy') {
        await deploy({
          settings,
          userValues,
          secrets,
          cluster,
          installedHelm,
          workspace,
          startedAt,
        });
      } else {
        await cluster.ready();
        await uninstall(settings, cluster, startedAt);
        await github?.deactivate(settings.github.environment);
      }
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

/** What is known before anything runs: set whatever the outcome (success overwrites with what was deployed). */
function setKnownOutputs(settings: Settings): void {
  core.setOutput('release', settings.release);
  core.setOutput('namespace', settings.namespace);
  if (settings.command !== 'deploy') return;
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

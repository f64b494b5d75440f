import * as core from '@actions/core';
import { connectToCluster } from './cluster-access.js';
import { deploy } from './deploy.js';
import { helmMajor } from './helm-flags.js';
import { installHelm } from './helm-installer.js';
import { readInputs } from './input-helper.js';
import { saveWorkspace } from './state.js';
import { Workspace } from './workspace.js';

/** The main step: the deployment guide, one log group per step. */
export async function main(): Promise<void> {
  const startedAt = Date.now();
  const { settings, userValues, secrets } = await readInputs();

  const installedHelm = await core.group('Install helm', () => installHelm(settings.helm));
  const major = helmMajor(installedHelm.version);

  const workspace = await Workspace.create();
  saveWorkspace(workspace.dir);
  const cluster = await core.group('Connect to the cluster', () =>
    connectToCluster(settings, workspace, installedHelm.binary, major),
  );

  try {
    await deploy({ settings, userValues, secrets, cluster, installedHelm, workspace, startedAt });
  } finally {
    cluster.close();
  }
}

import * as core from '@actions/core';
import { savedWorkspace } from './state.js';
import { Workspace } from './workspace.js';

/** The post step: removes the run's private files (kubeconfig, values, helm repository config). */
export async function post(): Promise<void> {
  if (!savedWorkspace) return;
  await Workspace.remove(savedWorkspace);
  core.info(`Removed ${savedWorkspace}`);
}

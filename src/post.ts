import * as core from '@actions/core';
import * as io from '@actions/io';
import { KubeApi } from './kube/api.js';
import { type HeldLock, releaseLease } from './lock/release-lock.js';
import { savedHeldLocks, savedWorkspace } from './state.js';
import { Workspace } from './workspace.js';

/**
 * The post step: releases the release locks a main step that died still held,
 * then removes the run's private files (kubeconfig, values, helm's repository and registry
 * configs and caches, registry logins among them).
 */
export async function post(): Promise<void> {
  await releaseLocksLeftHeld(savedHeldLocks ? (JSON.parse(savedHeldLocks) as HeldLock[]) : []);
  if (!savedWorkspace) return;
  await Workspace.remove(savedWorkspace);
  core.info(`Removed ${savedWorkspace}`);
}

/**
 * The main step releases its locks when it ends; one that was killed or
 * cancelled left them held, and another run would wait for them to expire.
 * The kubeconfig is the main step's (KUBECONFIG, exported by it); a failure
 * is a warning, as the Lease expires anyway.
 */
async function releaseLocksLeftHeld(locks: HeldLock[]): Promise<void> {
  if (locks.length === 0) return;
  const scratch = await Workspace.create();
  try {
    const kubectl = await io.which('kubectl', true);
    const socket = await scratch.socketPath('kube-api.sock');
    const api = await KubeApi.start(kubectl, process.env, socket.path, locks[0]?.context);
    try {
      for (const lock of locks) {
        if (await releaseLease(api, lock))
          core.info(
            `Released the lock the main step left held (Lease ${lock.namespace}/${lock.name})`,
          );
      }
    } finally {
      api.stop();
      await socket.remove?.();
    }
  } catch (err) {
    core.warning(
      `Could not release the release locks the main step left held: ${(err as Error).message}. They expire on their own.`,
    );
  } finally {
    await Workspace.remove(scratch.dir);
  }
}

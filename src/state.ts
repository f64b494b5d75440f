import * as core from '@actions/core';

// The runner runs the action twice (dist/start.cjs, which loads dist/index.cjs):
// as the main step and as the post step.
// State saved by the main step is what tells them apart.
const IS_POST = 'isPost';
const WORKSPACE = 'workspace';
const HELD_LOCKS = 'heldLocks';

export const isPost = core.getState(IS_POST) === 'true';

export function markMainStarted(): void {
  core.saveState(IS_POST, 'true');
}

/** The private temp directory the post step must remove. */
export const savedWorkspace = core.getState(WORKSPACE);

export function saveWorkspace(path: string): void {
  core.saveState(WORKSPACE, path);
}

/** The release locks the main step holds (JSON), for the post step to release if it died. */
export const savedHeldLocks = core.getState(HELD_LOCKS);

export function saveHeldLocks(json: string): void {
  core.saveState(HELD_LOCKS, json);
}

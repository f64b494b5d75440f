// Where test support builds things once (extracted binaries, the Helm mirror),
// and the one way they get built: into a scratch directory that is renamed
// into place, so a reader never sees a half-built directory and two processes
// racing to build the same thing both end up with one complete copy.

import { rmSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file is test/support/cache.ts). */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url)).replace(/\/$/, '');

/** Everything test support caches lives here; `rm -rf` it to start over. */
export const CACHE_ROOT =
  process.env.LILY_DEPLOY_TEST_CACHE || join(REPO_ROOT, 'node_modules', '.cache', 'lily-deploy');

const building = new Map<string, Promise<string>>();

/**
 * Returns `dir`, first running `build(scratch)` and renaming `scratch` to `dir`
 * if `dir` does not exist yet. The final directory must not be empty. Calls
 * for the same `dir` within one process share one build.
 */
export function buildOnce(dir: string, build: (scratch: string) => Promise<void>): Promise<string> {
  let pending = building.get(dir);
  if (!pending) {
    pending = doBuild(dir, build);
    building.set(dir, pending);
    pending.catch(() => building.delete(dir));
  }
  return pending;
}

async function doBuild(dir: string, build: (scratch: string) => Promise<void>): Promise<string> {
  if (await isDir(dir)) return dir;
  await mkdir(dirname(dir), { recursive: true });
  const scratch = await mkdtemp(join(dirname(dir), `.${basename(dir)}.tmp-`));
  try {
    await chmod(scratch, 0o755);
    await build(scratch);
    try {
      await rename(scratch, dir);
    } catch (err) {
      // Another process finished first: its copy is as good as ours.
      const code = (err as NodeJS.ErrnoException).code;
      if (!(code === 'ENOTEMPTY' || code === 'EEXIST') || !(await isDir(dir))) throw err;
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  return dir;
}

async function isDir(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

const removeOnExit = new Set<string>();
let exitHookInstalled = false;

/**
 * Deletes `dir` when the process exits (temp dirs of runs, chart repositories,
 * helm homes), unless LILY_DEPLOY_KEEP_TEMP=1 is set to look at them afterwards.
 */
export function removeAtExit(dir: string): void {
  removeOnExit.add(dir);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    if (process.env.LILY_DEPLOY_KEEP_TEMP === '1') return;
    for (const d of removeOnExit) rmSync(d, { recursive: true, force: true });
  });
}

/** Forgets a directory removeAtExit() was given (after deleting it some other way). */
export function forgetAtExit(dir: string): void {
  removeOnExit.delete(dir);
}

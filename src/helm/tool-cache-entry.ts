import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { cp, mkdir, mkdtemp, rename, rm, stat, writeFile } from 'node:fs/promises';
import { arch } from 'node:os';
import { join } from 'node:path';

/**
 * Puts the files of `sourceDir` in the tool cache as `tool/version/<arch>` (the
 * layout `@actions/tool-cache`'s find reads) without ever rewriting a directory
 * another run may be executing from, as `tc.cacheDir` does (it empties the
 * version directory, then copies into it): runs sharing a tool cache on a
 * self-hosted fleet met `spawn ETXTBSY` and `ENOENT` that way. The files are
 * copied beside the entry and renamed into place in one step; when another run
 * got there first, its entry is used if its `binaryName` is the same file as
 * ours. An entry that differs (left half-written by an older copy step) is
 * moved aside, never rewritten in place, and ours takes its name.
 */
export async function cacheToolDir(
  sourceDir: string,
  tool: string,
  version: string,
  binaryName: string,
): Promise<string> {
  const root = process.env.RUNNER_TOOL_CACHE;
  if (!root) throw new Error('RUNNER_TOOL_CACHE is not set: the runner sets it for every job');
  const versionDir = join(root, tool, version);
  const entry = join(versionDir, arch());
  await mkdir(versionDir, { recursive: true });
  const staged = await mkdtemp(join(versionDir, `.${arch()}.staged-`));
  try {
    await cp(sourceDir, staged, { recursive: true });
    const ours = await sha256Of(join(staged, binaryName));
    // Each turn either places ours or moves a differing entry aside; a run
    // racing us can make at most a few turns fail.
    for (let turn = 0; turn < 5; turn++) {
      if (await tryRename(staged, entry)) break;
      if ((await sha256Of(join(entry, binaryName)).catch(() => undefined)) === ours) break;
      const aside = await mkdtemp(join(versionDir, `.${arch()}.replaced-`));
      await tryRename(entry, join(aside, 'entry'));
      await rm(aside, { recursive: true, force: true });
    }
    if ((await sha256Of(join(entry, binaryName)).catch(() => undefined)) !== ours) {
      throw new Error(
        `${entry} keeps changing under this run (other runs are caching ${tool} ${version} there); try again`,
      );
    }
    // What tc.find looks for; an empty file, so runs writing it together agree.
    await writeFile(`${entry}.complete`, '');
    return entry;
  } finally {
    await rm(staged, { recursive: true, force: true });
  }
}

/** True when `from` now has the name `to`; false when `to` was already taken or `from` is gone. */
async function tryRename(from: string, to: string): Promise<boolean> {
  try {
    await rename(from, to);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'ENOENT') return false;
    throw err;
  }
}

/** The sha256 of a file, in hex. */
export async function sha256Of(file: string): Promise<string> {
  if (!(await stat(file)).isFile()) throw new Error(`${file} is not a file`);
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

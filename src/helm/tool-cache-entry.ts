import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { cp, mkdir, mkdtemp, rename, rm, stat, writeFile } from 'node:fs/promises';
import { arch } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * Puts the files of `sourceDir` in the tool cache as `tool/version/<arch>` (the
 * layout `@actions/tool-cache`'s find reads) without ever rewriting a directory
 * another run may be executing from, as `tc.cacheDir` does (it empties the
 * version directory, then copies into it): runs sharing a tool cache on a
 * self-hosted fleet met `spawn ETXTBSY` and `ENOENT` that way. The files are
 * copied (moved, with `move`, when on the same file system) beside the entry
 * and renamed into place in one step; when another run
 * got there first, its entry is used if its `binaryName` is the same file as
 * ours. An entry that differs (left half-written by an older copy step) is
 * moved aside, never rewritten in place, and ours takes its name.
 */
export async function cacheToolDir(
  sourceDir: string,
  tool: string,
  version: string,
  binaryName: string,
  { move = false } = {},
): Promise<string> {
  const entry = toolCacheEntry(tool, version);
  const versionDir = dirname(entry);
  await mkdir(versionDir, { recursive: true });
  const staged = await mkdtemp(join(versionDir, `.${arch()}.staged-`));
  try {
    // Moved when asked and on the same file system: 60 MB not copied.
    if (!(move && (await tryRename(sourceDir, staged))))
      await cp(sourceDir, staged, { recursive: true });
    // Hashed only when another entry is met: the common case reads no file again.
    let ours: string | undefined;
    const oursHash = async () => (ours ??= await sha256Of(join(staged, binaryName)));
    let placed = false;
    // Each turn either places ours or moves a differing entry aside; a run
    // racing us can make at most a few turns fail.
    for (let turn = 0; turn < 5; turn++) {
      placed = await tryRename(staged, entry);
      if (placed) break;
      if ((await sha256Of(join(entry, binaryName)).catch(() => undefined)) === (await oursHash()))
        break;
      const aside = await mkdtemp(join(versionDir, `.${arch()}.replaced-`));
      await tryRename(entry, join(aside, 'entry'));
      await rm(aside, { recursive: true, force: true });
    }
    if (!placed && (await sha256Of(join(entry, binaryName)).catch(() => undefined)) !== ours) {
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

/** Where the tool cache keeps `tool` at `version` for this machine's architecture. */
export function toolCacheEntry(tool: string, version: string): string {
  const root = process.env.RUNNER_TOOL_CACHE;
  if (!root) throw new Error('RUNNER_TOOL_CACHE is not set: the runner sets it for every job');
  return join(root, tool, version, arch());
}

/**
 * The entry of `tool` at an exact `version` once it is complete (its
 * `.complete` marker written last), as tool-cache's find reads the layout.
 */
export async function completeToolCacheEntry(
  tool: string,
  version: string,
): Promise<string | undefined> {
  const entry = toolCacheEntry(tool, version);
  const complete = await Promise.all(
    [entry, `${entry}.complete`].map((path) => stat(path).then(Boolean, () => false)),
  );
  return complete.every(Boolean) ? entry : undefined;
}

/** True when `from` now has the name `to`; false when `to` was already taken or `from` is gone. */
async function tryRename(from: string, to: string): Promise<boolean> {
  try {
    await rename(from, to);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // EXDEV: another file system (a move falls back to a copy).
    if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'ENOENT' || code === 'EXDEV')
      return false;
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

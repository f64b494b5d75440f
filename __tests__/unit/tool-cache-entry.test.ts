// helm in a tool cache shared by runs that start together: an entry is placed
// whole in one rename and never rewritten, so no run ever sees a half-copied
// binary or has one rewritten under it while it runs.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { arch, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cacheToolDir } from '../../src/helm/tool-cache-entry.js';

const CONTENT = randomBytes(8 * 1024 * 1024);
let root: string;
let source: string;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'tool-cache-entry-'));
  source = join(root, 'extracted');
  await mkdir(source);
  await writeFile(join(source, 'helm'), CONTENT, { mode: 0o755 });
  await writeFile(join(source, 'LICENSE'), 'Apache-2.0\n');
});
after(() => rm(root, { recursive: true, force: true }));

async function emptyToolCache(): Promise<string> {
  const dir = await mkdtemp(join(root, 'cache-'));
  process.env.RUNNER_TOOL_CACHE = dir;
  return dir;
}

/** Reads the entry's binary until stopped; returns every read that was not the whole file. */
function watchForPartialBinary(binary: string): { stop(): Promise<number[]> } {
  const partial: number[] = [];
  const stopped = new AbortController();
  const loop = (async () => {
    while (!stopped.signal.aborted) {
      const seen = await readFile(binary).catch(() => undefined);
      if (seen && !seen.equals(CONTENT)) partial.push(seen.length);
      await new Promise((resolve) => setImmediate(resolve));
    }
  })();
  return {
    stop: async () => {
      stopped.abort();
      await loop;
      return partial;
    },
  };
}

describe('cacheToolDir', () => {
  it('with move, moves the extracted files into place instead of copying them', async () => {
    await emptyToolCache();
    const extracted = await mkdtemp(join(root, 'moved-'));
    await rm(extracted, { recursive: true });
    await cp(source, extracted, { recursive: true });
    const entry = await cacheToolDir(extracted, 'helm', '4.1.4', 'helm', { move: true });
    assert.ok((await readFile(join(entry, 'helm'))).equals(CONTENT));
    assert.equal(existsSync(extracted), false, 'moved, not copied');
    assert.ok(existsSync(`${entry}.complete`));
  });

  it('places one whole entry when four runs cache at once, never a partial binary', async () => {
    const cache = await emptyToolCache();
    const entry = join(cache, 'helm', '4.1.4', arch());
    await mkdir(join(cache, 'helm', '4.1.4'), { recursive: true });
    const watcher = watchForPartialBinary(join(entry, 'helm'));
    const placed = await Promise.all(
      Array.from({ length: 4 }, () => cacheToolDir(source, 'helm', '4.1.4', 'helm')),
    );
    assert.deepEqual(await watcher.stop(), [], 'no read saw a partial binary');
    assert.deepEqual(placed, [entry, entry, entry, entry]);
    assert.ok((await readFile(join(entry, 'helm'))).equals(CONTENT));
    assert.deepEqual((await readdir(join(cache, 'helm', '4.1.4'))).sort(), [
      arch(),
      `${arch()}.complete`,
    ]);
  });

  it('leaves a complete entry as it is (same file, same inode) when another run caches it too', async () => {
    const cache = await emptyToolCache();
    const entry = await cacheToolDir(source, 'helm', '3.17.2', 'helm');
    const inode = (await stat(join(entry, 'helm'))).ino;
    const watcher = watchForPartialBinary(join(entry, 'helm'));
    await Promise.all([
      cacheToolDir(source, 'helm', '3.17.2', 'helm'),
      cacheToolDir(source, 'helm', '3.17.2', 'helm'),
    ]);
    assert.deepEqual(await watcher.stop(), []);
    assert.equal(
      (await stat(join(entry, 'helm'))).ino,
      inode,
      'the running binary was not replaced',
    );
    assert.equal(cache, process.env.RUNNER_TOOL_CACHE);
  });

  it('replaces a half-written entry left without its .complete marker by moving it aside', async () => {
    const cache = await emptyToolCache();
    const entry = join(cache, 'helm', '4.1.4', arch());
    await mkdir(entry, { recursive: true });
    await writeFile(join(entry, 'helm'), CONTENT.subarray(0, 1024));
    assert.equal(await cacheToolDir(source, 'helm', '4.1.4', 'helm'), entry);
    assert.ok((await readFile(join(entry, 'helm'))).equals(CONTENT));
    assert.deepEqual((await readdir(join(cache, 'helm', '4.1.4'))).sort(), [
      arch(),
      `${arch()}.complete`,
    ]);
  });
});

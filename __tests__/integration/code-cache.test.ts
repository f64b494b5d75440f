// dist/start.cjs, the action's entry: V8's code cache of the bundle, kept in the
// runner's tool cache. Each run is the real entry and bundle (a copy of dist/)
// given inputs it refuses before any I/O, so no cluster is needed.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../../test/support/cache.js';
import { NODE24 } from '../../test/support/runner.js';

const CACHE = 'lily-deploy-code-cache';
const REFUSAL = "Input 'release' is 'Bad_Name'; allowed: a Helm release name";

/** A copy of dist/ to run (and change), and an empty tool cache. */
async function action() {
  const root = await mkdtemp(join(tmpdir(), 'code-cache-'));
  await cp(join(REPO_ROOT, 'dist'), join(root, 'dist'), { recursive: true });
  return { dist: join(root, 'dist'), toolCache: join(root, 'tool-cache') };
}

/** A step of the action (the main step unless STATE_isPost says otherwise): its exit code and stdout. */
function step(
  dist: string,
  env: Record<string, string>,
): Promise<{ code: number; stdout: string }> {
  return promisify(execFile)(NODE24, [join(dist, 'start.cjs')], {
    env: {
      PATH: process.env.PATH,
      RUNNER_TEMP: tmpdir(),
      INPUT_RELEASE: 'Bad_Name',
      'INPUT_CHART-VERSION': '0.1.4',
      'INPUT_DATABASE-URL': 'postgres://u:p@db:5432/chain',
      ...env,
    },
  }).then(
    ({ stdout }) => ({ code: 0, stdout }),
    (err: unknown) => err as { code: number; stdout: string },
  );
}

/** The main step, refused for its inputs: its ::error:: line. */
async function refusedRun(dist: string, env: Record<string, string>): Promise<string> {
  const failed = await step(dist, env);
  assert.equal(failed.code, 1, failed.stdout);
  const error = failed.stdout.split('\n').find((line) => line.startsWith('::error::'));
  assert.ok(error, failed.stdout);
  return error;
}

async function entries(toolCache: string) {
  const names = await readdir(join(toolCache, CACHE));
  return Promise.all(
    names.map(async (name) => {
      const info = await stat(join(toolCache, CACHE, name));
      return { name, ino: info.ino, mode: info.mode & 0o777, size: info.size };
    }),
  );
}

describe('the code cache dist/start.cjs keeps in the tool cache', () => {
  it('is made by a run without one, readable by the runner’s user only, and used as it is by the next run', async () => {
    const { dist, toolCache } = await action();
    const first = await refusedRun(dist, { RUNNER_TOOL_CACHE: toolCache });
    assert.ok(first.includes(REFUSAL), first);
    const [made, ...more] = await entries(toolCache);
    assert.deepEqual(more, [], 'one entry, and no partial write left');
    assert.match(made!.name, /^[0-9a-f]{64}-deploy$/);
    assert.ok(made!.size > 0);
    assert.equal(made!.mode, 0o600);

    assert.equal(await refusedRun(dist, { RUNNER_TOOL_CACHE: toolCache }), first);
    assert.deepEqual(await entries(toolCache), [made], 'an entry V8 accepted is not written again');
  });

  it('is kept per command and step, which run different code', async () => {
    const { dist, toolCache } = await action();
    await refusedRun(dist, { RUNNER_TOOL_CACHE: toolCache });
    await refusedRun(dist, { RUNNER_TOOL_CACHE: toolCache, INPUT_COMMAND: 'plan' });
    const post = await step(dist, { RUNNER_TOOL_CACHE: toolCache, STATE_isPost: 'true' });
    assert.equal(post.code, 0, post.stdout);
    const names = (await entries(toolCache)).map((e) => e.name.replace(/^[0-9a-f]{64}-/, ''));
    assert.deepEqual(names.sort(), ['deploy', 'plan', 'post']);
  });

  it('is never used for another bundle of the same length (V8 itself compares only lengths)', async () => {
    const { dist, toolCache } = await action();
    await refusedRun(dist, { RUNNER_TOOL_CACHE: toolCache });
    const bundle = await readFile(join(dist, 'index.cjs'), 'utf8');
    const changedBundle = bundle.replace('`a Helm release name:', '`A HELM RELEASE NAME:');
    assert.notEqual(changedBundle, bundle);
    await writeFile(join(dist, 'index.cjs'), changedBundle);
    const changed = await refusedRun(dist, { RUNNER_TOOL_CACHE: toolCache });
    assert.ok(changed.includes("'Bad_Name'; allowed: A HELM RELEASE NAME:"), changed);
    assert.equal((await entries(toolCache)).length, 2, 'an entry per bundle');
  });

  it('replaces an entry V8 rejects, and the run behaves as without one', async () => {
    const { dist, toolCache } = await action();
    const plain = await refusedRun(dist, { RUNNER_TOOL_CACHE: toolCache });
    const [made] = await entries(toolCache);
    const garbage = Buffer.alloc(made!.size, 0x5a);
    await writeFile(join(toolCache, CACHE, made!.name), garbage);
    assert.equal(await refusedRun(dist, { RUNNER_TOOL_CACHE: toolCache }), plain);
    const [replaced] = await entries(toolCache);
    assert.equal(replaced!.name, made!.name);
    assert.notDeepEqual(await readFile(join(toolCache, CACHE, replaced!.name)), garbage);
  });

  it('is not made on a GitHub-hosted runner, whose tool cache each job starts empty', async () => {
    const { dist, toolCache } = await action();
    await refusedRun(dist, { RUNNER_TOOL_CACHE: toolCache, RUNNER_ENVIRONMENT: 'github-hosted' });
    assert.equal(existsSync(join(toolCache, CACHE)), false);
  });
});

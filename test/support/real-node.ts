// The real node as a test file sees it (test/cluster/real-node.ts starts it
// beside lane 0's cluster): commands inside its network namespace, its
// Postgres, the snapshot its httpd serves.
import assert from 'node:assert/strict';
import { renameSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as yaml from 'js-yaml';
import { NODE_HOST_SCRIPT, type RealNodeInfo } from '../cluster/real-node.js';
import { exec, type ExecResult } from './exec.js';
import { removeAtExit } from './cache.js';
import { deploy, type E2E, HEALTHY_VALUES_FILES, REAL_NODE_VALUES, uniqueName } from './e2e.js';
import { type ActionResult, pathWith, scanForLeaks } from './runner.js';
import { recordArgv } from './tool-shims.js';
import { type HelmMajor, helmTool } from './tools.js';

export type { RealNodeInfo };

/**
 * A watch job that writes block headers into the storage `db` (daemon mode
 * adds no --storage, so jobArgs must): rows in Postgres.
 */
export const WATCH_JOB = {
  command: 'watch',
  name: 'blocks',
  storage: 'db',
  jobArgs: ['--storage=db', '--tasks=block_header'],
  commandArgs: ['--confidence=0'],
};

/** Values with that job alone. */
export const INDEXING_JOB_VALUES = yaml.dump({ daemon: { jobs: [WATCH_JOB] } });

/** The run's real node, or why this run has none (the reason a test skips with). */
function realNodeOrSkipReason(): RealNodeInfo | string {
  if (process.env.E2E_REAL_NODE) return JSON.parse(process.env.E2E_REAL_NODE) as RealNodeInfo;
  return (
    process.env.E2E_REAL_NODE_SKIPPED ??
    (process.env.E2E_KUBECONFIG
      ? 'E2E_KUBECONFIG is set: the real node runs only beside a local cluster'
      : 'no real node for this file: test/run-tests.ts gives it to files named real-node*.test.ts')
  );
}

/** The run's real node, or why a real-node file's tests skip (the `skip` of its describe). */
export const REAL_NODE = realNodeOrSkipReason();
export const SKIP = typeof REAL_NODE === 'string' ? REAL_NODE : false;

/** Runs a command inside the node's network and mount namespaces. */
export function inside(
  node: RealNodeInfo,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; allowFailure?: boolean } = {},
): Promise<ExecResult> {
  return exec('bash', [NODE_HOST_SCRIPT, 'exec', node.state, ...args], {
    env: { PATH: process.env.PATH, ...options.env },
    allowFailure: options.allowFailure ?? false,
  });
}

/** psql as the postgres superuser over the unix socket; rows tab-separated. */
export async function psql(
  node: RealNodeInfo,
  sql: string,
  database = 'postgres',
): Promise<string> {
  const result = await inside(node, [
    'setpriv',
    '--reuid=postgres',
    '--regid=postgres',
    '--init-groups',
    '--',
    'psql',
    '-h',
    join(node.state, 'postgres'),
    '-d',
    database,
    '-v',
    'ON_ERROR_STOP=1',
    '-qAt',
    '-F',
    '\t',
    '-c',
    sql,
  ]);
  return result.stdout.trim();
}

/** A role and database of the test file's own (dropped first when a rerun left them). */
export async function createDatabase(
  node: RealNodeInfo,
  name: string,
  role: string,
  password: string,
): Promise<void> {
  await psql(node, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await psql(node, `DROP ROLE IF EXISTS ${role}`);
  await psql(node, `CREATE ROLE ${role} LOGIN PASSWORD '${password.replaceAll("'", "''")}'`);
  await psql(node, `CREATE DATABASE ${name} OWNER ${role}`);
}

/**
 * The fake lily's `migrate --latest` from the host, inside the namespace:
 * how an operator installs a schema; the suite's way of making one.
 */
export async function migrateLatest(
  node: RealNodeInfo,
  url: string,
  schema: string,
): Promise<ExecResult> {
  return inside(node, [node.lily, 'migrate', '--latest', `--db=${url}`, `--schema=${schema}`]);
}

/**
 * A snapshot for init-datastore to download and `lily init` to import: a
 * CAR-like file (varint header length, header, blocks) of `blocks` KiB.
 */
export function writeSnapshot(node: RealNodeInfo, name = 'snapshot.car', blocks = 256): string {
  const header = Buffer.from('{"roots":["bafy2bzacefake"],"version":1}');
  const body = Buffer.alloc(blocks * 1024, 7);
  // Written beside and renamed: a pod of another file may be downloading the one there.
  const path = join(node.www, name);
  writeFileSync(
    `${path}.${process.pid}`,
    Buffer.concat([Buffer.from([header.length]), header, body]),
  );
  renameSync(`${path}.${process.pid}`, path);
  return `http://${node.ip}:8080/${name}`;
}

/** The error line a user reads for a failed deploy of `release` (its annotation). */
export function failureHeadline(result: ActionResult, release: string): string | undefined {
  return result.log.split('\n').find((l) => l.includes(`Deploy of ${release} failed (`));
}

/**
 * The deploy of `release` failed with `reason`: its headline names it and
 * quotes `quoted` (Lily's line), the job summary gives `remedy`. Prints the
 * headline: what a user sees.
 */
export function assertNamedFailure(
  result: ActionResult,
  release: string,
  expected: { reason: string; quoted: string; remedy: RegExp },
): void {
  const headline = failureHeadline(result, release);
  console.log(`${release}: ${headline ?? '(no headline)'}`);
  assert.notEqual(result.exitCode, 0, result.log);
  assert.equal(result.outputs['failure-reason'], expected.reason, result.log);
  assert.ok(headline?.includes(`failed (${expected.reason}): `), result.log);
  assert.ok(headline?.includes(expected.quoted), `${headline}\nshould quote: ${expected.quoted}`);
  assert.ok(result.summary.includes(`- **${expected.reason}**: `), result.summary);
  assert.match(result.summary, expected.remedy);
}

/** A failed deploy on the real node, with the namespace and release it used. */
export type RealNodeFailure = ActionResult & { namespace: string; release: string };

/**
 * A deploy of the fixture chart on the real node, as release `lily-<name>` in
 * a namespace of its own (so it runs beside any other), expected to fail,
 * with every helm and kubectl command line recorded: `password` (the one the
 * inputs give) must appear in no stream, log, output, summary, file left
 * behind or command line.
 */
export async function deployFailingOnRealNode(
  e2e: E2E,
  major: HelmMajor,
  name: string,
  inputs: Record<string, string> & { 'database-password': string },
): Promise<RealNodeFailure> {
  const namespace = uniqueName(`${name}-h${major}`);
  const release = `lily-${name}`;
  const toolCache = await mkdtemp(join(tmpdir(), 'lily-deploy-real-node-tools-'));
  removeAtExit(toolCache);
  const argv = await recordArgv(await helmTool(major), toolCache);
  const result = await deploy(
    e2e,
    major,
    {
      release,
      namespace,
      'create-namespace': 'true',
      'chart-version': '0.1.5-rc1', // the first with init-database
      'values-files': `${HEALTHY_VALUES_FILES}\n${REAL_NODE_VALUES}`,
      'fail-fast-restarts': '1',
      timeout: '3m',
      ...inputs,
    },
    { toolCache, env: { PATH: pathWith(argv.binDir) } },
  );
  assert.notEqual(result.exitCode, 0, result.log);
  const scan = await scanForLeaks(result, [inputs['database-password']], {
    extra: { argv: await argv.read() },
  });
  assert.deepEqual(
    scan.leaks,
    [],
    'the password is in no log, output, summary, file or command line',
  );
  return { ...result, namespace, release };
}

/** Polls `check` (every 500 ms, up to 90 s) until it returns a value. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

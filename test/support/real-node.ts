// The real node as a test file sees it (test/cluster/real-node.ts starts it
// beside lane 0's cluster): commands inside its network namespace, its
// Postgres, the snapshot its httpd serves.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NODE_HOST_SCRIPT, type RealNodeInfo } from '../cluster/real-node.js';
import { exec, type ExecResult } from './exec.js';

export type { RealNodeInfo };

/**
 * Values of a watch job that writes block headers into the storage `db`
 * (daemon mode adds no --storage, so jobArgs must): rows in Postgres.
 */
export const INDEXING_JOB_VALUES = [
  'daemon:',
  '  jobs:',
  '    - command: watch',
  '      name: blocks',
  '      storage: db',
  '      jobArgs: ["--storage=db", "--tasks=block_header"]',
  '      commandArgs: ["--confidence=0"]',
].join('\n');

/** The run's real node, or why this run has none (the reason a test skips with). */
export function realNodeOrSkipReason(): RealNodeInfo | string {
  if (process.env.E2E_REAL_NODE) return JSON.parse(process.env.E2E_REAL_NODE) as RealNodeInfo;
  return (
    process.env.E2E_REAL_NODE_SKIPPED ??
    (process.env.E2E_KUBECONFIG
      ? 'E2E_KUBECONFIG is set: the real node runs only beside a local cluster'
      : 'no real node: run the file through test/run-tests.ts')
  );
}

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
  writeFileSync(join(node.www, name), Buffer.concat([Buffer.from([header.length]), header, body]));
  return `http://${node.ip}:8080/${name}`;
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

// What the real-node files about Lily's API share (real-node-verify,
// real-node-status): a database of the file's own, a release whose daemon
// runs a watch job into it, the fake's clock steered by env.
import { before } from 'node:test';
import * as yaml from 'js-yaml';
import type { JobRow } from '../../src/lily/health.js';
import { HEALTHY_VALUES_FILES, REAL_NODE_VALUES } from './e2e.js';
import {
  createDatabase,
  migrateLatest,
  psql,
  type RealNodeInfo,
  REAL_NODE,
  writeSnapshot,
  WATCH_JOB,
} from './real-node.js';

/**
 * In a describe: the file's database made (afresh) and the snapshot written
 * before its tests; the node, for them.
 */
export function useLilyDatabase(db: LilyDatabase): () => RealNodeInfo {
  before(async () => {
    if (typeof REAL_NODE === 'string') return;
    await createDatabase(REAL_NODE, db.name, db.role, db.password);
    writeSnapshot(REAL_NODE);
  });
  return () => {
    if (typeof REAL_NODE === 'string') throw new Error(REAL_NODE);
    return REAL_NODE;
  };
}

export const CHART_VERSION = '0.1.5-rc1'; // the first with init-database

/**
 * The fake's clock of test/fixtures/values/real-node.yaml (a values list
 * replaces it whole): a short sync to the network's height, then a head
 * every 30 s as mainnet's (the block time only speeds up a catch-up).
 */
export const FAKE_CLOCK: Record<string, string> = {
  LILY_FAKE_SYNC_TIME: '2s',
  LILY_FAKE_BLOCK_TIME: '1s',
  LILY_FAKE_DB_RETRY_MAX: '3s',
};

/**
 * For a head that lags or stands still: the chart's `lily sync wait` (in
 * init-sync and the hook) waits, as Lily's does, until the head is within
 * 30 s of now, so it is skipped as the chart's debug value does.
 */
export const NO_SYNC_WAIT = { debug: { disableNetworkSync: true } };

/** A database and role of the file's own; its password has what a URL must escape. */
export interface LilyDatabase {
  name: string;
  role: string;
  password: string;
}

/** A schema installed afresh, as an operator's `lily migrate --latest` does. */
export async function freshSchema(
  node: RealNodeInfo,
  db: LilyDatabase,
  schema: string,
): Promise<void> {
  const url = `postgres://${db.role}:${encodeURIComponent(db.password)}@${node.ip}:5432/${db.name}?sslmode=require`;
  await psql(node, `DROP SCHEMA IF EXISTS ${schema} CASCADE`, db.name);
  await migrateLatest(node, url, schema);
}

/**
 * The values of a daemon that runs one watch job (`blocks`) writing block
 * headers to the storage `db`, with the fake's env (FAKE_CLOCK and `env`) and `more` values.
 */
export function watchJobValues(env: Record<string, string> = {}, more: object = {}): string {
  return yaml.dump({
    ...more,
    daemon: {
      jobs: [WATCH_JOB],
      env: Object.entries({ ...FAKE_CLOCK, ...env }).map(([name, value]) => ({ name, value })),
    },
  });
}

/** The action's inputs for a release of the fixture chart on the real node, into `schema`. */
export function realNodeInputs(
  node: RealNodeInfo,
  db: LilyDatabase,
  target: { release: string; namespace: string; schema: string },
): Record<string, string> {
  return {
    release: target.release,
    namespace: target.namespace,
    'create-namespace': 'true',
    'chart-version': CHART_VERSION,
    'values-files': `${HEALTHY_VALUES_FILES}\n${REAL_NODE_VALUES}`,
    'database-host': node.ip,
    'database-name': db.name,
    'database-user': db.role,
    'database-password': db.password,
    'database-schema': target.schema,
    timeout: '3m',
  };
}

/** The daemon pod of a release of the fixture chart. */
export function daemonPod(release: string): string {
  return `lily-${release}-dev-mainnet-daemon-0`;
}

export function jobRowsOf(output: string | undefined): JobRow[] {
  return JSON.parse(output ?? 'null') as JobRow[];
}

/** Mainnet's expected height now: (now − 1598306400) / 30. */
export function mainnetHeightNow(): number {
  return Math.floor((Date.now() / 1000 - 1598306400) / 30);
}

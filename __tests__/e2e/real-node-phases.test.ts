// A Lily start-up's phases and the deadlines that follow its progress, on the
// real kubelet (test/cluster/README.md, "The real node"): the fixture chart's
// init containers and postStart hook around the fake lily, steered only by
// the env the chart passes (test/lily/README.md). Each test has a namespace,
// release and snapshot file of its own; Helm 3 and Helm 4 run side by side.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import {
  deploy,
  HEALTHY_VALUES_FILES,
  REAL_NODE_VALUES,
  uniqueName,
  useE2E,
} from '../../test/support/e2e.js';
import {
  createDatabase,
  migrateLatest,
  REAL_NODE as node,
  SKIP as skip,
  writeSnapshot,
} from '../../test/support/real-node.js';

const PASSWORD = 'phases-pw';
const DATABASE = 'phases';
const ROLE = 'lily_phases';
const CHART_VERSION = '0.1.5-rc1'; // the first with init-database

/** The daemon's env (the values file's list is replaced, not merged): the fake's clock. */
function fakeEnv(env: Record<string, string>): string {
  const all = {
    LILY_FAKE_BLOCK_TIME: '1s',
    LILY_FAKE_DB_RETRY_MAX: '3s',
    ...env,
  };
  return [
    '  env:',
    ...Object.entries(all).map(([name, value]) => `    - {name: ${name}, value: "${value}"}`),
  ].join('\n');
}

/**
 * A start-up that stops progressing, in each phase where nothing else bounds
 * it first: the values that make it stop, and what the user reads of it.
 * Left out: pending (Kubernetes' part, under timeout), checking-database
 * (database-timeout, 3m by default, names a silent database as lily-database
 * before stall-timeout's 10m), the hook's waiting-for-api (nothing to follow
 * while the hook hides its output: timeout, and apiWaitTimeout's
 * FailedPostStartHook as lily-api), settling and starting-jobs (a fixed sleep
 * and a 10 s pause per job, each shorter than any stall-timeout).
 */
const STALLS = [
  {
    name: 'import',
    what: 'a snapshot import whose count stops moving',
    phase: 'importing-snapshot',
    container: 'init-datastore',
    // The datastore stops taking writes 6 s into a 1-minute import; pb goes on
    // redrawing the same count. The bar has no newline: the runtime logs it in
    // 16 KiB pieces, a minute apart at pb's 200 ms; redrawn every 2 ms here.
    values: `daemon:\n${fakeEnv({ LILY_FAKE_IMPORT_TIME: '1m', LILY_FAKE_IMPORT_STALL_AFTER: '6s', LILY_FAKE_BAR_REFRESH: '2ms' })}`,
    stallTimeout: '10s',
    progress: 'importing the snapshot: [1-9][\\d.]* KiB of 2\\.00 MiB \\(\\d+\\.\\d\\d%\\)',
    // The stalled bar (whatever else the tail holds: a minute of redraws fills it).
    tail: /[1-9][\d.]* KiB \/ 2\.00 MiB/,
  },
  {
    name: 'api',
    what: "a daemon whose API never comes up, with apiWaitTimeout 0 (init-sync's wait-api waits for ever)",
    phase: 'waiting-for-api',
    container: 'init-sync',
    values: `apiWaitTimeout: "0"\ndaemon:\n${fakeEnv({ LILY_FAKE_API_DELAY: '1h' })}`,
    stallTimeout: '8s',
    progress: "the daemon is starting \\(init-sync's wait-api\\)",
    // Both the script's line and the daemon's, in either order: init-sync's echo and
    // the daemon it started in the background write to one log side by side.
    tail: /--- last lines of init-sync [^\n]*\n(?=(?:.*\n){0,12}Starting daemon\.\.\.\n)(?=(?:.*\n){0,12}.*Generating new API secret)/,
  },
  {
    name: 'stall',
    what: 'a sync that stops advancing',
    phase: 'syncing-chain',
    container: 'init-sync',
    values: `daemon:\n${fakeEnv({ LILY_FAKE_SYNC_TIME: '60s', LILY_FAKE_SYNC_STALL_AFTER: '4s' })}`,
    stallTimeout: '8s',
    progress: 'height \\d+ of \\d+ \\(\\d+ epochs to go, message sync\\)',
    tail: /State: message sync; Current Epoch: \d+; Todo: \d+/,
  },
];

describe('Lily start-up phases on the real node', { skip, concurrency: true }, () => {
  const env = useE2E({ realNode: true });
  let snapshot: string;
  /** 2 MiB: an import paced over a minute reads it in 64-KiB steps every 2 s. */
  let bigSnapshot: string;
  let nodeIp: string;

  before(async () => {
    if (typeof node === 'string') return;
    nodeIp = node.ip;
    await createDatabase(node, DATABASE, ROLE, PASSWORD);
    snapshot = writeSnapshot(node, 'phases.car');
    bigSnapshot = writeSnapshot(node, 'phases-big.car', 2048);
  });

  const inputsOf = (major: 3 | 4, release: string, values: string, url = snapshot) => ({
    release: `${release}-h${major}`,
    namespace: uniqueName(`${release}-h${major}`),
    'create-namespace': 'true',
    'chart-version': CHART_VERSION,
    'values-files': `${HEALTHY_VALUES_FILES}\n${REAL_NODE_VALUES}`,
    values: `importSnapshot: {enabled: true, url: "${url}"}\n${values}`,
  });
  const podOf = (major: 3 | 4, release: string) => `lily-${release}-h${major}-dev-mainnet-daemon-0`;

  /** A deploy that stalls as `stall` says fails at once, saying so. */
  const itStalls = (major: 3 | 4, stall: (typeof STALLS)[number]) =>
    it(`${stall.what} fails at once as lily-stalled in ${stall.phase}, with the last progress and the log tail`, async (t) => {
      const release = `ph-${stall.name}`;
      const result = await deploy(env.e2e, major, {
        ...inputsOf(major, release, stall.values, stall.name === 'import' ? bigSnapshot : snapshot),
        timeout: '5m',
        'stall-timeout': stall.stallTimeout,
      });
      assert.notEqual(result.exitCode, 0, result.log);
      t.diagnostic(startupLines(result.log));
      assert.equal(result.outputs['failure-reason'], 'lily-stalled', result.log);
      assert.equal(result.outputs['lily-phase'], stall.phase);
      const name = podOf(major, release);
      assert.match(
        result.log,
        new RegExp(
          `Lily pod ${name} stalled in ${stall.phase}: no progress for \\d+s \\(stall-timeout ${stall.stallTimeout}\\); last progress seen: ${stall.progress}`,
        ),
      );
      assert.match(
        result.log,
        new RegExp(`--- last lines of ${stall.container} of ${name}, stalled in ${stall.phase}:`),
      );
      assert.match(result.log, stall.tail);
      // Stopped at the stall, long before timeout; helm recorded the release as failed, nothing pending.
      assert.ok(result.durationMs < 300_000, `${result.durationMs} ms`);
      assert.equal(result.outputs.status, 'failed');
    });

  for (const major of [3, 4] as const) {
    // The majors side by side, each one's tests one after the other.
    describe(`helm ${major}`, { concurrency: false }, () => {
      const inputs = (release: string, values: string) => inputsOf(major, release, values);
      const pod = (release: string) => podOf(major, release);

      it('a first deploy goes through every phase, with a progress line per pod, and the phase table', async (t) => {
        if (typeof node === 'string') return;
        const schema = `phases_h${major}`;
        const url = `postgres://${ROLE}:${PASSWORD}@${nodeIp}:5432/${DATABASE}?sslmode=require`;
        await migrateLatest(node, url, schema);
        const result = await deploy(env.e2e, major, {
          ...inputs(
            'ph-first',
            [
              'test: {realNode: true, datastoreSettleSeconds: 8, jobStartDelaySeconds: 1}',
              'daemon:',
              fakeEnv({ LILY_FAKE_IMPORT_TIME: '8s', LILY_FAKE_SYNC_TIME: '8s' }),
              '  jobs:',
              '    - command: watch',
              '      name: blocks',
              '      storage: db',
              '      jobArgs: ["--storage=db", "--tasks=block_header"]',
              '      commandArgs: ["--confidence=0"]',
            ].join('\n'),
          ),
          'database-host': nodeIp,
          'database-name': DATABASE,
          'database-user': ROLE,
          'database-password': PASSWORD,
          'database-schema': schema,
          timeout: '3m',
          'stall-timeout': '40s',
        });
        assert.equal(result.exitCode, 0, result.log);
        t.diagnostic(startupLines(result.log));
        const name = pod('ph-first');
        // The phases a poll (every 2 s) cannot miss: each lasts 8 s or more. A line
        // is printed as a phase begins, saying where in it the pod was then
        // (init-datastore about to start, or already importing).
        assert.match(
          result.log,
          new RegExp(`${name} {2}importing-snapshot: (about to start|importing the snapshot)`),
          result.log,
        );
        assert.match(
          result.log,
          new RegExp(
            `${name} {2}syncing-chain: height \\d+ of \\d+ \\(\\d+ epochs to go, message sync\\); \\d+s in this phase`,
          ),
        );
        assert.match(
          result.log,
          new RegExp(
            `${name} {2}settling: synced, waiting for the datastore to settle \\(chain head \\d+\\)`,
          ),
        );
        assert.equal(result.outputs['lily-phase'], 'indexing');
        assert.match(result.summary, /#### Lily start-up\n/);
        assert.match(result.summary, new RegExp(`\\| ${name} \\| indexing \\| running and Ready;`));
      });

      it('a start-up longer than timeout that keeps progressing succeeds, with atomic, not rolled back', async () => {
        // A 30-s import whose bar the runtime logs in 16 KiB pieces (redrawn every
        // 2 ms, many pieces): the newest count is read past the tail's byte limit.
        const slow = {
          LILY_FAKE_IMPORT_TIME: '30s',
          LILY_FAKE_BAR_REFRESH: '2ms',
          LILY_FAKE_SYNC_TIME: '15s',
        };
        const result = await deploy(env.e2e, major, {
          ...inputs('ph-long', `daemon:\n${fakeEnv(slow)}`),
          timeout: '20s',
          'stall-timeout': '15s',
          atomic: 'true',
        });
        assert.equal(result.exitCode, 0, result.log);
        assert.equal(result.outputs.status, 'deployed');
        assert.equal(result.outputs.revision, '1');
        // An import of 30 s and two syncs of 15 s (init-sync, then the hook's): well past timeout.
        assert.ok(result.durationMs > 20_000, `${result.durationMs} ms`);
        assert.match(
          result.log,
          new RegExp(
            `${pod('ph-long')} {2}importing-snapshot: importing the snapshot: [1-9][\\d.]* KiB of 256\\.04 KiB`,
          ),
        );
        assert.match(
          result.log,
          /Lily start-up: helm waits up to startup-timeout 5h30m while every unready Lily pod progresses \(stall-timeout 15s\); anything else has timeout 20s/,
        );
        assert.match(result.log, new RegExp(`${pod('ph-long')} {2}syncing-chain: height`));
      });

      for (const stall of STALLS) itStalls(major, stall);

      it('wait-for: started succeeds while the chain still syncs, and says so in the summary', async () => {
        const result = await deploy(env.e2e, major, {
          ...inputs('ph-started', `daemon:\n${fakeEnv({ LILY_FAKE_SYNC_TIME: '90s' })}`),
          'wait-for': 'started',
          timeout: '1m',
          'stall-timeout': '20s',
        });
        assert.equal(result.exitCode, 0, result.log);
        assert.equal(result.outputs.status, 'deployed');
        assert.ok(
          ['importing-snapshot', 'waiting-for-api', 'syncing-chain'].includes(
            result.outputs['lily-phase'] ?? '',
          ),
          result.outputs['lily-phase'],
        );
        assert.match(result.summary, /#### Lily start-up under way \(wait-for: started\)/);
        assert.match(result.summary, /`command: status`/);
        assert.match(
          result.log,
          /wait-for: started: every Lily pod's start-up is under way \(least advanced: [a-z-]+\); nothing waited for Ready/,
        );
      });
    });
  }
});

/** What the user reads of the start-up in the log: its progress lines and a stall's report. */
function startupLines(log: string): string {
  const lines = log.split('\n');
  return lines
    .filter(
      (line, i) =>
        /^(Lily start-up|Lily pod .* stalled|--- last lines of)/.test(line) ||
        /^(Lily start-up|--- last lines of)/.test(
          lines.slice(0, i).findLast((l) => !/^ {2}|^(Worker|State|Validated):/.test(l)) ?? '',
        ),
    )
    .join('\n');
}

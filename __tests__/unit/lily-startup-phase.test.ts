// A Lily pod's start-up phase, named from the container statuses and the
// exact lines shared/lily-runtime.md records (§1.2 echo lines, §2.1 the
// import's `\r` bar, §2.4 `sync wait`'s redrawn blocks), and the deadlines
// that follow its progress.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ContainerStatus, Pod } from '../../src/kube/types.js';
import { type Deadlines, StartupTracker } from '../../src/lily/startup-deadline.js';
import {
  estimateLeftMs,
  leastAdvanced,
  namePhase,
  type PhaseReading,
  terminalLines,
} from '../../src/lily/startup-phase.js';

const INITS = ['init-datastore', 'init-sync', 'init-database'];
const done: ContainerStatus['state'] = { terminated: { exitCode: 0, reason: 'Completed' } };
const running: ContainerStatus['state'] = { running: { startedAt: '2026-12-04T00:00:00Z' } };
const waiting: ContainerStatus['state'] = { waiting: { reason: 'PodInitializing' } };

/** A chart pod whose init container `at` runs (those before it completed); 'hook' / 'running' after them. */
function pod(at: string, ready = false): Pod {
  const index = INITS.indexOf(at);
  const after = index === -1;
  return {
    metadata: { name: 'lily-daemon-0' },
    spec: {
      nodeName: 'node-1',
      containers: [{ name: 'daemon' }],
      initContainers: INITS.map((name) => ({ name })),
    },
    status: {
      initContainerStatuses: INITS.map((name, i) => ({
        name,
        state: after || i < index ? done : i === index ? running : waiting,
      })),
      containerStatuses: [{ name: 'daemon', ready, state: at === 'running' ? running : waiting }],
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
    },
  };
}

const ESC = '\x1b';
const ERASE = `\r${ESC}[2K${ESC}[A`;
/** `lily sync wait`'s output (§2.4): a 2-line block, then 3-line blocks, each erasing the one before. */
function syncWait(ticks: [current: number, target: number, stage: string][]): string {
  return ticks
    .map(([current, target, stage], i) => {
      const erase = ERASE.repeat(i === 0 ? 0 : i === 1 ? 2 : 3);
      const block = [
        `Worker: 1; Base: 4500000; Target: ${target} (diff: ${target - 4500000})`,
        `State: ${stage}; Current Epoch: ${current}; Todo: ${target - current}`,
        ...(i > 0 ? ['Validated 0 messages (0 per second)'] : []),
      ];
      return erase + block.map((l) => `${l}\n`).join('');
    })
    .join('');
}

const INIT_SYNC_START =
  'Starting daemon...\n{"level":"info","ts":"2026-12-04T00:00:01.000Z","logger":"lily/commands","caller":"commands/setup.go:77","msg":"lily version:v0.24.3"}\n';

describe('the start-up phase of a Lily pod', () => {
  it('import: the `*** Importing snapshot...` marker and the `\\r`-redrawn bar, its bytes and percent', () => {
    const log =
      '*** Downloading snapshot from url https://forest-archive.chainsafe.dev/latest/mainnet/...\n' +
      '*** Importing snapshot...\n' +
      '{"level":"info","logger":"lily/commands","msg":"importing chain from /var/lib/lily/datastore/snapshot.car..."}\n' +
      '\r 1.02 GiB / 50.00 GiB   2.04% 45.67 MiB/s 18m12s' +
      '\r 1.23 GiB / 50.00 GiB   2.46% 45.67 MiB/s 17m30s';
    const r = namePhase({
      pod: pod('init-datastore'),
      log: { container: 'init-datastore', text: log },
    });
    assert.equal(r.phase, 'importing-snapshot');
    assert.equal(r.progress, 'importing the snapshot: 1.23 GiB of 50.00 GiB (2.46%)');
    assert.equal(r.marker, 'init-datastore: 1.23 GiB');
    assert.deepEqual(r.amount, { done: 2.46, total: 100, unit: 'percent' });
  });

  it('import: a bar cut mid-redraw (the runtime logs it in 16 KiB pieces) gives way to the whole one before it', () => {
    const log =
      '\r 1.23 GiB / 50.00 GiB   2.46% 45.67 MiB/s 17m30s' + '\r 1.23 GiB / 50.00 GiB   2';
    const r = namePhase({
      pod: pod('init-datastore'),
      log: { container: 'init-datastore', text: log },
    });
    assert.equal(r.progress, 'importing the snapshot: 1.23 GiB of 50.00 GiB (2.46%)');
    assert.equal(r.marker, 'init-datastore: 1.23 GiB');
  });

  it('import from /dev/stdin (a .car.zst): the size is unknown, `/ ?`', () => {
    const log = '*** Importing snapshot...\n\r 512.00 MiB / ?';
    const r = namePhase({
      pod: pod('init-datastore'),
      log: { container: 'init-datastore', text: log },
    });
    assert.equal(r.progress, 'importing the snapshot: 512.00 MiB of an unknown size');
    assert.equal(r.amount, undefined);
  });

  it('download: the `*** Downloading snapshot from url` marker, any new line is progress', () => {
    const log = '*** Downloading snapshot from url https://example.test/snap.car...\n';
    const r = namePhase({
      pod: pod('init-datastore'),
      log: { container: 'init-datastore', text: log },
    });
    assert.deepEqual([r.phase, r.progress], ['importing-snapshot', 'downloading the snapshot']);
    assert.equal(
      r.marker,
      'init-datastore: *** Downloading snapshot from url https://example.test/snap.car...',
    );
  });

  it("init-sync before `Waiting for network sync to complete...`: waiting for the daemon's API", () => {
    const r = namePhase({
      pod: pod('init-sync'),
      log: { container: 'init-sync', text: INIT_SYNC_START },
    });
    assert.equal(r.phase, 'waiting-for-api');
    assert.equal(r.step, 2);
  });

  it("sync wait's redrawn blocks: the last block's height, target and epochs to go", () => {
    const log =
      INIT_SYNC_START +
      'Waiting for network sync to complete...\n' +
      syncWait([
        [4500100, 4501000, 'header sync'],
        [4500400, 4501000, 'message sync'],
        [4500900, 4501000, 'message sync'],
      ]);
    const r = namePhase({ pod: pod('init-sync'), log: { container: 'init-sync', text: log } });
    assert.equal(r.phase, 'syncing-chain');
    assert.equal(r.progress, 'height 4500900 of 4501000 (100 epochs to go, message sync)');
    assert.equal(r.marker, 'init-sync: sync 4500900/4501000');
    // As a terminal shows it: only the last block remains.
    assert.deepEqual(terminalLines(log).slice(-3), [
      'Worker: 1; Base: 4500000; Target: 4501000 (diff: 1000)',
      'State: message sync; Current Epoch: 4500900; Todo: 100',
      'Validated 0 messages (0 per second)',
    ]);
  });

  it("the import's bar as a terminal shows it, also when the read ends in the middle of a redraw", () => {
    const redraw = ' 131.96 KiB / 2.00 MiB   6.44% 0 B/s';
    const bar = `importing chain...\n\r${redraw}\r${redraw}`;
    assert.deepEqual(terminalLines(bar), ['importing chain...', redraw]);
    // A runtime's 16 KiB piece cut the last redraw: the whole one it began to overwrite shows.
    assert.deepEqual(terminalLines(`${bar}\r 131.96 KiB / 2.0`), ['importing chain...', redraw]);
    assert.deepEqual(terminalLines(`${bar}\r`), ['importing chain...', redraw]);
    // A redraw that is no prefix of the one before is what a terminal shows of it.
    assert.deepEqual(terminalLines(`${bar}\r 140.00 KiB / 2.0`), [
      'importing chain...',
      ' 140.00 KiB / 2.0',
    ]);
  });

  it('a log tail of only redrawn blocks, starting in the middle of one, still names the last one', () => {
    const full = syncWait([
      [10, 50, 'header sync'],
      [20, 50, 'header sync'],
      [30, 50, 'header sync'],
    ]);
    // Four blocks a second push `Waiting for network sync to complete...` out of the tail.
    const tail = full.slice(full.indexOf('Current Epoch: 20') - 40);
    const r = namePhase({ pod: pod('init-sync'), log: { container: 'init-sync', text: tail } });
    assert.equal(r.progress, 'height 30 of 50 (20 epochs to go, header sync)');
  });

  it('init-database: checking the database', () => {
    const log = 'Checking for database readiness for db...\n';
    const r = namePhase({
      pod: pod('init-database'),
      log: { container: 'init-database', text: log },
    });
    assert.deepEqual([r.phase, r.container], ['checking-database', 'init-database']);
  });

  it('the postStart hook, from the API: waiting, syncing, settling, starting jobs; then indexing', () => {
    const hook = pod('hook');
    assert.equal(namePhase({ pod: hook, api: { answered: false } }).phase, 'waiting-for-api');
    assert.equal(namePhase({ pod: hook, api: { answered: false } }).marker, undefined);
    const sync = namePhase({
      pod: hook,
      api: {
        answered: true,
        head: 90,
        jobs: 0,
        syncing: { height: 90, target: 100, stage: 'message sync' },
      },
    });
    assert.deepEqual([sync.phase, sync.step], ['syncing-chain', 6]);
    assert.equal(
      namePhase({ pod: hook, api: { answered: true, head: 100, jobs: 0 } }).phase,
      'settling',
    );
    assert.equal(
      namePhase({ pod: hook, api: { answered: true, head: 101, jobs: 1 } }).phase,
      'starting-jobs',
    );
    assert.equal(namePhase({ pod: pod('running', true) }).phase, 'indexing');
  });

  it('an unscheduled pod is pending; the least advanced pod names the release', () => {
    const pending = { ...pod('init-datastore'), spec: { containers: [{ name: 'daemon' }] } };
    const readings = [namePhase({ pod: pod('running', true) }), namePhase({ pod: pending })];
    assert.equal(leastAdvanced(readings)?.phase, 'pending');
  });

  it('an estimate from the rate between two readings of the phase', () => {
    const at = (done: number): PhaseReading => ({
      phase: 'syncing-chain',
      step: 3,
      progress: '',
      amount: { done, total: 1000, unit: 'epochs' },
    });
    assert.equal(
      estimateLeftMs({ at: 0, reading: at(100) }, { at: 10_000, reading: at(200) }),
      80_000,
    );
    assert.equal(
      estimateLeftMs({ at: 0, reading: at(100) }, { at: 10_000, reading: at(100) }),
      undefined,
    );
  });
});

describe('the deadlines that follow a Lily start-up', () => {
  const deadlines: Deadlines = {
    timeout: '10m',
    timeoutMs: 600_000,
    stall: '5m',
    stallMs: 300_000,
    startup: '5h30m',
    startupMs: 19_800_000,
  };
  const syncingAt = (height: number): PhaseReading => ({
    phase: 'syncing-chain',
    step: 3,
    progress: `height ${height}`,
    marker: `sync ${height}`,
  });

  it('a start-up that keeps advancing goes on past timeout, up to startup-timeout', () => {
    const t = new StartupTracker(deadlines, 0);
    for (let minute = 0; minute <= 60; minute++) {
      t.see([{ name: 'p', ready: false, reading: syncingAt(minute) }], minute * 60_000);
      assert.deepEqual(t.decide(minute * 60_000), { kind: 'wait' });
    }
    t.see([{ name: 'p', ready: false, reading: syncingAt(999) }], deadlines.startupMs);
    assert.equal(t.decide(deadlines.startupMs).kind, 'timeout');
  });

  it('a marker unchanged for stall-timeout is a stall, at once', () => {
    const t = new StartupTracker(deadlines, 0);
    t.see([{ name: 'p', ready: false, reading: syncingAt(5) }], 0);
    t.see([{ name: 'p', ready: false, reading: syncingAt(5) }], 299_000);
    assert.equal(t.decide(299_000).kind, 'wait');
    t.see([{ name: 'p', ready: false, reading: syncingAt(5) }], 300_000);
    assert.deepEqual(
      JSON.parse(JSON.stringify(t.decide(300_000), ['kind', 'pods', 'name', 'advancedAt'])),
      { kind: 'stalled', pods: [{ name: 'p', advancedAt: 0 }] },
    );
  });

  it('timeout keeps its meaning for a pod that is not Lily, and for a phase that shows nothing for stall-timeout', () => {
    const t = new StartupTracker(deadlines, 0);
    const hook: PhaseReading = { phase: 'waiting-for-api', step: 5, progress: '' };
    t.see(
      [
        { name: 'p', ready: false, reading: syncingAt(1) },
        { name: 'redis', ready: false },
      ],
      599_000,
    );
    assert.equal(t.decide(599_000).kind, 'wait');
    assert.deepEqual(t.decide(600_000), {
      kind: 'timeout',
      why: "timeout 10m passed and the deploy is not a progressing Lily start-up: redis is not Ready and is not Lily's",
    });
    const u = new StartupTracker(deadlines, 0);
    // A phase with no marker counts as progress for stall-timeout after it began, no longer.
    u.see([{ name: 'p', ready: false, reading: hook }], 0);
    u.see([{ name: 'p', ready: false, reading: hook }], 600_000);
    assert.match(JSON.stringify(u.decide(600_000)), /shows no progress to follow/);
  });

  it('once every pod is Ready, what helm still waits for gets timeout from the end of the start-up', () => {
    const t = new StartupTracker(deadlines, 0);
    t.see([{ name: 'p', ready: false, reading: syncingAt(1) }], 3_000_000);
    const indexing: PhaseReading = { phase: 'indexing', step: 9, progress: '', marker: 'i' };
    t.see([{ name: 'p', ready: true, reading: indexing }], 3_001_000);
    assert.deepEqual(t.decide(3_001_000), { kind: 'wait' });
    assert.deepEqual(t.decide(3_599_000), { kind: 'wait' });
    assert.equal(t.decide(3_600_000).kind, 'timeout');
    const none = new StartupTracker(deadlines, 0);
    none.see([], 600_000);
    assert.deepEqual(none.decide(600_000), {
      kind: 'timeout',
      why: 'timeout 10m passed and the deploy is not a progressing Lily start-up: no Lily pod is starting up',
    });
  });

  it('a container that exited or waits to restart is no progressing start-up: timeout applies', () => {
    const crashing = pod('running');
    crashing.status!.containerStatuses![0]!.state = { waiting: { reason: 'CrashLoopBackOff' } };
    const reading = namePhase({ pod: crashing });
    assert.equal(reading.stopped, 'CrashLoopBackOff');
    const failedInit = pod('init-database');
    failedInit.status!.initContainerStatuses![2]!.state = {
      terminated: { exitCode: 1, reason: 'Error' },
    };
    assert.equal(namePhase({ pod: failedInit }).stopped, 'Error, exit code 1');
    // The pod's first container not started (a volume that does not attach): Kubernetes' part.
    const stuck = pod('init-datastore');
    stuck.status!.initContainerStatuses![0]!.state = { waiting: { reason: 'PodInitializing' } };
    assert.equal(namePhase({ pod: stuck }).stopped, 'PodInitializing');
    // A later one about to start: the start-up between two containers.
    const between = pod('init-sync');
    between.status!.initContainerStatuses![1]!.state = { waiting: { reason: 'PodInitializing' } };
    assert.equal(namePhase({ pod: between }).stopped, undefined);
    const t = new StartupTracker(deadlines, 0);
    t.see([{ name: 'p', ready: false, reading }], 600_000);
    assert.deepEqual(t.decide(600_000), {
      kind: 'timeout',
      why: 'timeout 10m passed and the deploy is not a progressing Lily start-up: p (waiting-for-api): daemon is not running (CrashLoopBackOff)',
    });
  });

  it('wait-for started: every pod scheduled and advanced since first seen', () => {
    const t = new StartupTracker(deadlines, 0);
    t.see([{ name: 'p', ready: false, reading: syncingAt(1) }], 1000);
    assert.equal(t.allStarted(1000), false);
    t.see([{ name: 'p', ready: false, reading: syncingAt(2) }], 2000);
    assert.equal(t.allStarted(2000), true);
  });
});

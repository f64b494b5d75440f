// command status, judged and worded (pure).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { statusLines, statusReport, statusSummary } from '../../src/deploy/status-report.js';
import type { Pod } from '../../src/kube/types.js';
import type { LilyPodReading } from '../../src/verify/lily-api.js';

const NAME = 'lily-lily-dev-mainnet-daemon-0';
const EXPECTED = 5_000_000;
const NOW = (1598306400 + EXPECTED * 30 + 10) * 1000;

function pod(over: { waiting?: string; restarts?: number; running?: boolean } = {}): Pod {
  const running = over.running ?? !over.waiting;
  return {
    metadata: { name: NAME },
    spec: { nodeName: 'node-0', containers: [] },
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: running ? 'True' : 'False' }],
      containerStatuses: [
        {
          name: 'daemon',
          restartCount: over.restarts ?? 0,
          state: over.waiting
            ? { waiting: { reason: over.waiting } }
            : running
              ? { running: {} }
              : { waiting: { reason: 'PodInitializing' } },
        },
      ],
    },
  };
}

function reading(over: Partial<LilyPodReading> = {}): LilyPodReading {
  const head = { height: EXPECTED - 1, timestamp: 0 };
  return {
    pod: NAME,
    expected: ['blocks'],
    first: head,
    last: head,
    jobs: [{ ID: 1, Name: 'x/blocks-abc', Type: 'watch', Error: '', Running: true }],
    ...over,
  };
}

const report = (pods: { pod: Pod; reading: LilyPodReading }[]) =>
  statusReport({
    release: 'lily',
    namespace: 'lily',
    revision: 3,
    pods,
    nowMs: NOW,
    maxLag: '10m',
    maxLagMs: 600_000,
    restartThreshold: 3,
  });

describe('statusReport', () => {
  it('is healthy with jobs running and the head within max-lag, and says the lag', () => {
    const r = report([{ pod: pod(), reading: reading() }]);
    assert.deepEqual(r.problems, []);
    assert.deepEqual(statusLines(r), [
      "Lily release lily in lily (revision 3): healthy; mainnet's expected height now 5000000, max-lag 10m",
      `  ${NAME}: indexing (Running), Ready, restarts 0, API answered, head 4999999, lag 1 epoch(s) (30s)`,
      '    job 1 x/blocks-abc: running',
    ]);
    assert.match(statusSummary(r), /\| x\/blocks-abc \| yes \| {2}\|/);
  });

  it('is unhealthy for a failed job, a head beyond max-lag and a crash loop', () => {
    const r = report([
      {
        pod: pod({ waiting: 'CrashLoopBackOff', restarts: 4 }),
        reading: reading({
          last: { height: EXPECTED - 21, timestamp: 0 },
          jobs: [{ ID: 1, Name: 'x/blocks-abc', Type: 'watch', Error: 'boom', Running: false }],
        }),
      },
    ]);
    assert.deepEqual(r.problems, [
      `pod ${NAME} crash-loops: container daemon restarted 4 time(s) (CrashLoopBackOff)`,
      `Lily's job "x/blocks-abc" (id 1) in pod ${NAME} failed: boom`,
      `Lily's chain head in pod ${NAME} is at height 4999979, 21 epoch(s) (10m30s) behind mainnet's expected height 5000000: more than max-lag 10m`,
    ]);
    assert.match(statusSummary(r), /❌ unhealthy/);
  });

  it('sees a crash loop on a real kubelet, where a probe-less container shows terminated between restarts, never CrashLoopBackOff', () => {
    const crashed = { exitCode: 1, reason: 'Error' };
    /** The daemon after `restarts` failed runs: terminated again, or running (Ready) for `upMs`. */
    const daemon = (restarts: number, upMs?: number): Pod => {
      const p = pod();
      const state =
        upMs === undefined
          ? { terminated: crashed }
          : { running: { startedAt: new Date(NOW - upMs).toISOString() } };
      const ready = upMs !== undefined;
      p.status!.containerStatuses = [
        {
          name: 'daemon',
          ready,
          restartCount: restarts,
          state,
          lastState: { terminated: crashed },
        },
      ];
      return p;
    };
    const unread = reading({ last: undefined, jobs: undefined, error: 'HTTP 503' });
    // Between two restarts; then running again for a moment, its API even answering.
    assert.deepEqual(report([{ pod: daemon(3), reading: unread }]).problems, [
      `pod ${NAME} crash-loops: container daemon restarted 3 time(s); last exit code 1 (Error)`,
    ]);
    assert.deepEqual(report([{ pod: daemon(4, 5_000), reading: reading() }]).problems, [
      `pod ${NAME} crash-loops: container daemon restarted 4 time(s); last exit code 1 (Error)`,
    ]);
    // Below fail-fast-restarts, or Ready for a minute since: not a loop.
    const once = daemon(2);
    const recovered = daemon(5, 61_000);
    assert.deepEqual(report([{ pod: once, reading: unread }]).problems, []);
    assert.deepEqual(report([{ pod: recovered, reading: reading() }]).problems, []);
  });

  it('warns, never passes silently, when the API may not be read or the pod is starting', () => {
    const denied = reading({ last: undefined, jobs: undefined, error: 'HTTP 403', denied: true });
    const starting = reading({ last: undefined, jobs: undefined, error: 'HTTP 503' });
    const r = report([
      { pod: pod(), reading: denied },
      { pod: pod({ running: false }), reading: starting },
    ]);
    assert.deepEqual(r.problems, []);
    assert.deepEqual(r.unread, [
      `Lily's API in pod ${NAME} not read: HTTP 403`,
      `Lily's API in pod ${NAME} not read: the pod is not running (PodInitializing)`,
    ]);
  });

  it('is unhealthy when a running Lily does not answer, or there is no Lily pod', () => {
    const silent = reading({ last: undefined, jobs: undefined, error: 'HTTP 503: refused' });
    assert.match(report([{ pod: pod(), reading: silent }]).problems[0] ?? '', /did not answer/);
    assert.deepEqual(report([]).problems, ['release lily has no Lily pod in namespace lily']);
  });
});

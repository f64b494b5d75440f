// Lily's health from its API (pure): the jobs the values configure against
// those it lists, a head that must move, the lag behind mainnet.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LilyJob } from '../../src/lily/api.js';
import {
  apiUnanswered,
  chainLag,
  expectedJobs,
  isJobNamed,
  judgeJobs,
  stalledHead,
} from '../../src/lily/health.js';

const POD = 'lily-lily-dev-mainnet-daemon-0';
const job = (over: Partial<LilyJob>): LilyJob => ({
  ID: 1,
  Name: 'lily-lily-dev-mainnet/blocks-a1b2c3',
  Type: 'watch',
  Error: '',
  Running: true,
  ...over,
});
const PERSIST =
  'index: notify tipset: persist result (block_header.BlockHeader): persisting model: ERROR #57P01 terminating connection due to administrator command';

describe('expectedJobs', () => {
  const values = {
    daemon: { jobs: [{ command: 'watch', name: 'blocks' }, { command: 'survey' }] },
    cluster: {
      jobs: [
        { command: 'watch', name: 'notify' },
        { command: 'tipset-worker', name: 'w' },
      ],
    },
  };

  it("names the daemon's jobs by name, else by command", () => {
    assert.deepEqual(expectedJobs(values, 'lily-lily-dev-mainnet-daemon'), ['blocks', 'survey']);
  });

  it("gives the notifier the cluster's jobs without tipset-worker, and nothing to a worker or redis", () => {
    assert.deepEqual(expectedJobs(values, 'lily-lily-dev-mainnet-notifier'), ['notify']);
    assert.deepEqual(expectedJobs(values, 'lily-lily-dev-mainnet-worker'), []);
    assert.deepEqual(expectedJobs(values, 'lily-redis'), []);
    assert.deepEqual(expectedJobs({}, 'lily-lily-dev-mainnet-daemon'), []);
  });
});

describe('isJobNamed', () => {
  it("matches the chart's names: plain, or <instance>/<name>-<uid>", () => {
    assert.ok(isJobNamed('blocks', 'blocks'));
    assert.ok(isJobNamed('lily-lily-dev-mainnet/blocks-a1b2c3', 'blocks'));
    assert.ok(!isJobNamed('lily-lily-dev-mainnet/blocksx-a1b2c3', 'blocks'));
    assert.ok(!isJobNamed('messages', 'blocks'));
  });
});

describe('judgeJobs', () => {
  it("fails a job with an Error at once, quoting Lily's error, running or not", () => {
    const [failed, restarted] = judgeJobs(
      POD,
      ['blocks'],
      [job({ Running: false, Error: PERSIST }), job({ ID: 2, Name: 'x', Error: 'boom' })],
      false,
    );
    assert.equal(failed?.reason, 'lily-job');
    assert.equal(failed.fatal, true);
    assert.equal(
      failed.summary,
      `Lily's job "lily-lily-dev-mainnet/blocks-a1b2c3" (id 1) in pod ${POD} failed: ${PERSIST}`,
    );
    assert.match(failed.remedy, /lily job start --id=<id>/);
    assert.match(restarted?.summary ?? '', /\(id 2\) in pod \S+ failed and was restarted: boom/);
  });

  it('judges a missing or ended job only when final', () => {
    assert.deepEqual(judgeJobs(POD, ['blocks', 'msgs'], [job({ Running: false })], false), []);
    const final = judgeJobs(POD, ['blocks', 'msgs'], [job({ Running: false })], true);
    assert.deepEqual(
      final.map((f) => f.summary),
      [
        `Lily's job "lily-lily-dev-mainnet/blocks-a1b2c3" (id 1) in pod ${POD} is not running: it ended or was stopped`,
        `Lily in pod ${POD} does not list the job "msgs" that the values configure (its jobs: lily-lily-dev-mainnet/blocks-a1b2c3)`,
      ],
    );
  });

  it('passes running jobs without an Error', () => {
    assert.deepEqual(judgeJobs(POD, ['blocks'], [job({})], true), []);
  });
});

describe('stalledHead', () => {
  const head = (height: number) => ({ height, timestamp: 1598306400 + height * 30 });

  it('fails a head that did not advance in the window, naming its height and block time', () => {
    const [finding] = stalledHead(POD, head(5_000_000), head(5_000_000), '2m');
    assert.equal(finding?.reason, 'lily-stalled');
    assert.equal(
      finding.summary,
      `Lily's chain head in pod ${POD} did not advance in 2m: it stayed at height 5000000 (its block of 2025-05-27T00:40:00.000Z)`,
    );
    assert.deepEqual(stalledHead(POD, head(5_000_000), head(5_000_001), '2m'), []);
  });
});

describe('chainLag', () => {
  it("measures against mainnet's expected height (now − 1598306400) / 30, in epochs and time", () => {
    const now = (1598306400 + 5_000_000 * 30 + 29) * 1000;
    assert.deepEqual(chainLag(4_999_980, now), { expected: 5_000_000, epochs: 20, ms: 600_000 });
    assert.deepEqual(chainLag(5_000_001, now), { expected: 5_000_000, epochs: -1, ms: -30_000 });
  });
});

describe('apiUnanswered', () => {
  it("names the pod, the port and the proxy's error as lily-api", () => {
    const finding = apiUnanswered(POD, 'HTTP 503: connection refused');
    assert.equal(finding.reason, 'lily-api');
    assert.equal(
      finding.summary,
      `Lily's API in pod ${POD} (port 1234, /rpc/v0) did not answer through the API server's pod proxy: HTTP 503: connection refused`,
    );
  });
});

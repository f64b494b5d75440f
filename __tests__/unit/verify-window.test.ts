// The verify window's loop, with checks that say what they are told to: it
// polls until the window closes, stops at the first fatal finding and reads
// that check's evidence at once, logs progress, and retries a failed read.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Finding } from '../../src/failure-reason.js';
import { type RunningCheck, runVerifyWindow, type VerifyCheck } from '../../src/verify/window.js';

const crash: Finding = {
  reason: 'crash-loop',
  pod: 'p',
  container: 'daemon',
  fatal: true,
  summary: 'container daemon of pod p restarted 1 time(s)',
  remedy: 'r',
};

/** A check whose polls answer in turn from `answers` (an Error is thrown), then []. */
function scripted(answers: (Finding[] | Error)[], calls: string[] = []): VerifyCheck {
  return {
    start: () => {
      calls.push('start');
      return Promise.resolve<RunningCheck>({
        poll: () => {
          calls.push('poll');
          const next = answers.shift() ?? [];
          return next instanceof Error ? Promise.reject(next) : Promise.resolve(next);
        },
        progress: () => 'all well',
        evidence: () => {
          calls.push('evidence');
          return Promise.resolve({ lines: ['the crashed run'], pods: [] });
        },
        verified: (window) => `stayed up for ${window}`,
      });
    },
  };
}

const options = (log: string[], windowMs = 60) => ({
  window: `${windowMs}ms`,
  windowMs,
  pollMs: 10,
  progressMs: 20,
  log: (line: string) => log.push(line),
});

describe('runVerifyWindow', () => {
  it('passes when no check finds anything until the window closes, saying what each verified', async () => {
    const log: string[] = [];
    const result = await runVerifyWindow([scripted([]), scripted([])], options(log));
    assert.deepEqual(result, {
      passed: true,
      verified: ['stayed up for 60ms', 'stayed up for 60ms'],
    });
    assert.ok(log.some((l) => /^Verifying \(\d+s of 60ms\): all well; all well$/.test(l)));
  });

  it("acts on a check's fatal finding without waiting for a slow check's poll", async () => {
    const slow: VerifyCheck = {
      start: () =>
        Promise.resolve<RunningCheck>({
          // Lily's API through the pod proxy of a crashed pod: no answer until its timeout.
          poll: () => new Promise<Finding[]>(() => undefined),
          progress: () => 'waiting',
          evidence: () => Promise.resolve({ lines: [], pods: [] }),
          verified: () => '',
        }),
    };
    const result = await runVerifyWindow([slow, scripted([[crash]])], options([], 60_000));
    assert.ok(!result.passed);
    assert.deepEqual(result.evidence.lines, ['the crashed run']);
  });

  it("polls a check with its own interval as often as it asks, the others at the window's", async () => {
    const pods: string[] = [];
    const api: string[] = [];
    const often = { ...scripted([], pods), pollMs: 10 };
    const result = await runVerifyWindow([often, scripted([], api)], {
      ...options([], 200),
      pollMs: 40,
    });
    assert.equal(result.passed, true);
    const polls = (calls: string[]) => calls.filter((c) => c === 'poll').length;
    // Every round for the first, every fourth (and the closing one) for the second.
    assert.ok(polls(pods) > polls(api), `${polls(pods)} against ${polls(api)}`);
    assert.ok(polls(api) <= Math.ceil(polls(pods) / 4) + 1, `${polls(pods)} against ${polls(api)}`);
  });

  it('fails at the first fatal finding, with the evidence read at once', async () => {
    const calls: string[] = [];
    const result = await runVerifyWindow([scripted([[], [crash]], calls)], options([], 10_000));
    assert.equal(result.passed, false);
    assert.ok(!result.passed);
    assert.deepEqual(result.findings, [crash]);
    assert.deepEqual(result.evidence.lines, ['the crashed run']);
    assert.ok(result.afterMs < 10_000);
    assert.deepEqual(calls, ['start', 'poll', 'poll', 'evidence']);
  });

  it('a finding that is not fatal does not fail it', async () => {
    const result = await runVerifyWindow([scripted([[{ ...crash, fatal: false }]])], options([]));
    assert.equal(result.passed, true);
  });

  it('says a failed read once and tries again; the read closing the window must succeed', async () => {
    const log: string[] = [];
    const down = new Error('connection refused');
    const result = await runVerifyWindow([scripted([down, down])], options(log));
    assert.equal(result.passed, true);
    assert.equal(log.filter((l) => l.includes('connection refused')).length, 1);
    const always = Array.from({ length: 100 }, () => down);
    await assert.rejects(runVerifyWindow([scripted(always)], options([])), {
      message: 'Could not verify the release at the end of the verify window: connection refused',
    });
  });
});

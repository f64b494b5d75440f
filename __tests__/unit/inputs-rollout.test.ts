import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseRollout } from '../../src/inputs/rollout.js';
import { parseGroup } from './fake-inputs.js';

describe('parseRollout', () => {
  it('waits up to 10 minutes, failing fast, by default', () => {
    const { parsed, errors } = parseGroup(parseRollout, {});
    assert.deepEqual(errors, []);
    assert.deepEqual(parsed, {
      wait: true,
      atomic: false,
      timeout: '10m',
      failure: {
        failFast: true,
        failFastRestarts: 3,
        unschedulableGraceMs: 45_000,
        databaseTimeout: '3m',
        databaseTimeoutMs: 180_000,
        logLines: 200,
        remediate: false,
        stuckReleaseTimeoutMs: 15 * 60_000,
        recoverStuckRelease: false,
      },
      startup: {
        waitFor: 'ready',
        timeoutMs: 600_000,
        stallTimeout: '10m',
        stallTimeoutMs: 600_000,
        startupTimeout: '5h30m',
        startupTimeoutMs: 19_800_000,
      },
      verify: { enabled: true, window: '2m', windowMs: 120_000 },
      status: { maxLag: '10m', maxLagMs: 600_000 },
    });
  });

  it('takes durations as helm does and turns the failure ones into milliseconds', () => {
    const { parsed, errors } = parseGroup(parseRollout, {
      wait: 'false',
      atomic: 'true',
      timeout: '1h30m',
      'unschedulable-grace': '10s',
      'database-timeout': '20s',
      'stuck-release-timeout': '2m',
      'log-lines': '100000',
      verify: 'false',
      'verify-window': '1m30s',
      'max-lag': '1h',
    });
    assert.deepEqual(errors, []);
    assert.equal(parsed.wait, false);
    assert.equal(parsed.atomic, true);
    assert.equal(parsed.timeout, '1h30m');
    assert.equal(parsed.failure.unschedulableGraceMs, 10_000);
    assert.equal(parsed.failure.databaseTimeout, '20s');
    assert.equal(parsed.failure.databaseTimeoutMs, 20_000);
    assert.equal(parsed.failure.stuckReleaseTimeoutMs, 120_000);
    assert.equal(parsed.failure.logLines, 100_000);
    assert.deepEqual(parsed.verify, { enabled: false, window: '1m30s', windowMs: 90_000 });
    assert.deepEqual(parsed.status, { maxLag: '1h', maxLagMs: 3_600_000 });
  });

  it('reports each bad input, in the order of the inputs', () => {
    const { errors } = parseGroup(parseRollout, {
      wait: 'yes',
      atomic: '1',
      timeout: '600',
      'fail-fast-restarts': '0',
      'database-timeout': '3',
      'log-lines': 'all',
      'recover-stuck-release': 'on',
      verify: 'off',
      'verify-window': '2',
      'max-lag': '10',
    });
    assert.deepEqual(errors, [
      "Input 'wait' is 'yes'; allowed: true, false",
      "Input 'atomic' is '1'; allowed: true, false",
      "Input 'timeout' is '600'; allowed: a Go duration above zero such as 10m, 90s or 1h30m",
      "Input 'fail-fast-restarts' is '0'; allowed: a whole number from 1 to 1000",
      "Input 'database-timeout' is '3'; allowed: a Go duration above zero such as 10m, 90s or 1h30m",
      "Input 'log-lines' is 'all'; allowed: a whole number from 1 to 100000",
      "Input 'recover-stuck-release' is 'on'; allowed: true, false",
      "Input 'verify' is 'off'; allowed: true, false",
      "Input 'verify-window' is '2'; allowed: a Go duration above zero such as 10m, 90s or 1h30m",
      "Input 'max-lag' is '10'; allowed: a Go duration above zero such as 10m, 90s or 1h30m",
    ]);
  });

  it('refuses bad Lily start-up inputs, naming each', () => {
    assert.deepEqual(
      parseGroup(parseRollout, {
        'wait-for': 'Ready',
        'stall-timeout': '0',
        'startup-timeout': '5h',
      }).errors,
      [
        "Input 'wait-for' is 'Ready'; allowed: ready, started",
        "Input 'stall-timeout' is '0'; allowed: a Go duration above zero such as 10m, 90s or 1h30m",
      ],
    );
    assert.deepEqual(parseGroup(parseRollout, { timeout: '1h', 'startup-timeout': '30m' }).errors, [
      "Input 'startup-timeout' is '30m', shorter than timeout '1h'; allowed: a Go duration at least as long as timeout (a Lily start-up may take longer than timeout, never less)",
    ]);
    assert.deepEqual(parseGroup(parseRollout, { 'stall-timeout': '6h' }).errors, [
      "Input 'stall-timeout' is '6h', longer than startup-timeout '5h30m'; allowed: a Go duration up to startup-timeout",
    ]);
    const { parsed } = parseGroup(parseRollout, { 'wait-for': 'started', 'stall-timeout': '90s' });
    assert.equal(parsed.startup.waitFor, 'started');
    assert.equal(parsed.startup.stallTimeoutMs, 90_000);
  });
});

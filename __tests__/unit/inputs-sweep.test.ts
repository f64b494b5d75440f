import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSweepAndLock } from '../../src/inputs/sweep.js';
import { parseGroup } from './fake-inputs.js';

describe('parseSweepAndLock', () => {
  it('sweeps closed pull requests of this repository only, for real, and waits 5m for a lock', () => {
    assert.deepEqual(parseGroup(parseSweepAndLock, {}), {
      parsed: {
        sweep: { previewTtlMs: undefined, dryRun: false, otherRepositories: false },
        lock: { timeoutMs: 300_000 },
      },
      errors: [],
      secrets: [],
    });
  });

  it('takes a TTL, a dry run, other repositories and a lock timeout', () => {
    const { parsed, errors } = parseGroup(parseSweepAndLock, {
      'preview-ttl': '168h',
      'dry-run': 'true',
      'sweep-other-repositories': 'True',
      'lock-timeout': '90s',
    });
    assert.deepEqual(errors, []);
    assert.deepEqual(parsed, {
      sweep: { previewTtlMs: 168 * 3_600_000, dryRun: true, otherRepositories: true },
      lock: { timeoutMs: 90_000 },
    });
  });

  it('reports each bad input, naming it, what was given and what is allowed', () => {
    const { parsed, errors } = parseGroup(parseSweepAndLock, {
      'preview-ttl': '7d',
      'dry-run': 'yes',
      'sweep-other-repositories': '1',
      'lock-timeout': '300',
    });
    assert.equal(parsed.sweep.previewTtlMs, undefined, 'a bad TTL removes nothing for age');
    assert.deepEqual(errors, [
      "Input 'preview-ttl' is '7d'; allowed: a Go duration above zero such as 72h or 168h (Go durations have no days), or empty for no TTL",
      "Input 'dry-run' is 'yes'; allowed: true, false",
      "Input 'sweep-other-repositories' is '1'; allowed: true, false",
      "Input 'lock-timeout' is '300'; allowed: a Go duration above zero such as 10m, 90s or 1h30m",
    ]);
  });

  it('refuses a TTL of zero, which would remove every open pull request’s preview', () => {
    const { errors } = parseGroup(parseSweepAndLock, { 'preview-ttl': '0s' });
    assert.equal(errors.length, 1);
    assert.match(errors[0] ?? '', /^Input 'preview-ttl' is '0s'/);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isManagedFor } from '../../src/kube/objects.js';
import {
  holderIdentity,
  type Lease,
  leaseDecision,
  leaseManifest,
  leaseName,
  lockTimeoutMessage,
  microTime,
  takeOverWarning,
  waitingLine,
} from '../../src/lock/lease.js';

const ME = 'https://github.com/o/a/actions/runs/1/attempts/1 (job deploy, aaa)';
const OTHER = 'https://github.com/o/b/actions/runs/2/attempts/1 (job deploy, bbb)';
const NOW = new Date('2026-12-02T10:05:00.000Z');

function heldBy(holder: string, acquireTime: string, renewTime: string, seconds = 30): Lease {
  return {
    spec: { holderIdentity: holder, leaseDurationSeconds: seconds, acquireTime, renewTime },
  };
}

describe('leaseName', () => {
  it('is lily-deploy-<release>, within 63 characters, as a DNS label', () => {
    assert.equal(leaseName('lily-pr-42'), 'lily-deploy-lily-pr-42');
    const long = `lily-${'x'.repeat(47)}a`;
    assert.equal(long.length, 53);
    const name = leaseName(long);
    assert.ok(name.length <= 63, name);
    assert.match(name, /^lily-deploy-[-a-z0-9]*-[0-9a-f]{6}$/);
    assert.notEqual(leaseName(`${long.slice(0, -1)}b`), name, 'another release, another Lease');
  });
});

describe('leaseManifest', () => {
  it('is a coordination.k8s.io/v1 Lease in micro time, labelled as ours', () => {
    const manifest = leaseManifest({
      release: 'lily',
      namespace: 'ns',
      holder: ME,
      acquiredAt: new Date('2026-12-02T10:00:00Z'),
      renewedAt: new Date('2026-12-02T10:00:10.250Z'),
      resourceVersion: '17',
    }) as { metadata: { labels: Record<string, string> } };
    assert.deepEqual(manifest, {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name: 'lily-deploy-lily',
        namespace: 'ns',
        labels: manifest.metadata.labels,
        resourceVersion: '17',
      },
      spec: {
        holderIdentity: ME,
        leaseDurationSeconds: 30,
        acquireTime: '2026-12-02T10:00:00.000000Z',
        renewTime: '2026-12-02T10:00:10.250000Z',
        leaseTransitions: 0,
      },
    });
    assert.ok(isManagedFor(manifest.metadata.labels, 'lily'));
  });

  it('writes micro time, with six fractional digits', () => {
    assert.equal(
      microTime(new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 67))),
      '2026-01-02T03:04:05.067000Z',
    );
  });
});

describe('holderIdentity', () => {
  it('names the run attempt and job, and tells processes apart', () => {
    const run = { runUrl: 'https://github.com/o/a/actions/runs/1', attempt: '2', job: 'deploy' };
    const first = holderIdentity({ ...run, id: 'aaa' });
    assert.equal(first, 'https://github.com/o/a/actions/runs/1/attempts/2 (job deploy, aaa)');
    assert.notEqual(holderIdentity({ ...run, id: 'bbb' }), first);
  });
});

describe('leaseDecision', () => {
  it('takes a lock nobody holds', () => {
    assert.deepEqual(leaseDecision(undefined, ME, NOW), { kind: 'take' });
    assert.deepEqual(leaseDecision({ spec: {} }, ME, NOW), { kind: 'take' });
    assert.deepEqual(leaseDecision({ spec: { holderIdentity: '' } }, ME, NOW), { kind: 'take' });
  });

  it('renews its own lock', () => {
    const lease = heldBy(ME, '2026-12-02T10:00:00.000000Z', '2026-12-02T10:00:00.000000Z');
    assert.deepEqual(leaseDecision(lease, ME, NOW), { kind: 'renew' });
  });

  it('waits for a holder that still renews, saying since when it holds it', () => {
    const lease = heldBy(OTHER, '2026-12-02T10:00:00.000000Z', '2026-12-02T10:04:48.500000Z');
    const decision = leaseDecision(lease, ME, NOW);
    assert.deepEqual(decision, {
      kind: 'wait',
      holder: OTHER,
      heldSince: new Date('2026-12-02T10:00:00Z'),
      heldForMs: 300_000,
      renewedAgoMs: 11_500,
    });
    assert.equal(
      waitingLine('lily', decision),
      `Waiting for the lock on release lily, held by ${OTHER} since 2026-12-02T10:00:00Z (for 5m, renewed 11 s ago) …`,
    );
  });

  it('waits up to the end of the duration, and takes over just after', () => {
    const at = (renewTime: string) => heldBy(OTHER, '2026-12-02T10:00:00Z', renewTime, 30);
    assert.equal(leaseDecision(at('2026-12-02T10:04:30.000000Z'), ME, NOW).kind, 'wait');
    assert.deepEqual(leaseDecision(at('2026-12-02T10:04:29.999000Z'), ME, NOW), {
      kind: 'take-over',
      holder: OTHER,
      renewedAt: new Date('2026-12-02T10:04:29.999Z'),
      silentForMs: 30_001,
    });
  });

  it('goes by the holder’s own duration, and ours when it has none', () => {
    const minuteAgo = '2026-12-02T10:04:00.000000Z';
    assert.equal(leaseDecision(heldBy(OTHER, minuteAgo, minuteAgo, 120), ME, NOW).kind, 'wait');
    const noDuration: Lease = { spec: { holderIdentity: OTHER, renewTime: minuteAgo } };
    assert.equal(leaseDecision(noDuration, ME, NOW).kind, 'take-over');
    const secondsAgo = '2026-12-02T10:04:40.000000Z';
    assert.equal(leaseDecision(heldBy(OTHER, secondsAgo, secondsAgo, 0), ME, NOW).kind, 'wait');
  });

  it('takes over a held Lease with no time it can read, and says so', () => {
    const lease: Lease = { spec: { holderIdentity: OTHER, renewTime: 'soon' } };
    const decision = leaseDecision(lease, ME, NOW);
    assert.deepEqual(decision, { kind: 'take-over', holder: OTHER });
    if (decision.kind !== 'take-over') assert.fail(`took over, not ${decision.kind}`);
    assert.match(
      takeOverWarning('lily', decision),
      /from https:\/\/github.com\/o\/b\/.*, which left no renewal time on it/,
    );
  });

  it('waits for a holder whose clock runs ahead rather than taking over', () => {
    const lease = heldBy(OTHER, '2026-12-02T10:05:20Z', '2026-12-02T10:05:20Z');
    assert.deepEqual(leaseDecision(lease, ME, NOW), {
      kind: 'wait',
      holder: OTHER,
      heldSince: new Date('2026-12-02T10:05:20Z'),
      heldForMs: 0,
      renewedAgoMs: 0,
    });
  });
});

describe('lock messages', () => {
  it('name the holder, the silence and the wait', () => {
    const decision = leaseDecision(
      heldBy(OTHER, '2026-12-02T10:00:00Z', '2026-12-02T10:03:00.000000Z'),
      ME,
      NOW,
    );
    if (decision.kind !== 'take-over') assert.fail(`took over, not ${decision.kind}`);
    assert.equal(
      takeOverWarning('lily', decision),
      `Taking over the lock on release lily from ${OTHER}, which has not renewed it since 2026-12-02T10:03:00Z (2m, longer than the Lease's duration): that run is gone or stuck.`,
    );
    assert.equal(
      lockTimeoutMessage('lily', OTHER, 300_000),
      `The lock on release lily is held by ${OTHER}; gave up after waiting 5m (lock-timeout). Let that run finish and run this one again, or raise lock-timeout.`,
    );
  });
});

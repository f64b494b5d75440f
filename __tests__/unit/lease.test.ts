import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isManagedFor } from '../../src/kube/objects.js';
import {
  holderIdentity,
  type Lease,
  type LeaseSighting,
  leaseDecision,
  leaseManifest,
  leaseName,
  lockTimeoutMessage,
  microTime,
  sightLease,
  takeOverWarning,
  terminatingNamespaceMessage,
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
    assert.deepEqual(leaseDecision(undefined, ME, 0, NOW), { kind: 'take' });
    assert.deepEqual(leaseDecision({ spec: {} }, ME, 0, NOW), { kind: 'take' });
    assert.deepEqual(leaseDecision({ spec: { holderIdentity: '' } }, ME, 0, NOW), {
      kind: 'take',
    });
  });

  it('renews its own lock', () => {
    const lease = heldBy(ME, '2026-12-02T10:00:00.000000Z', '2026-12-02T10:00:00.000000Z');
    assert.deepEqual(leaseDecision(lease, ME, 60_000, NOW), { kind: 'renew' });
  });

  it('waits for a holder that still renews, saying since when it holds it', () => {
    const lease = heldBy(OTHER, '2026-12-02T10:00:00.000000Z', '2026-12-02T10:04:48.500000Z');
    const decision = leaseDecision(lease, ME, 0, NOW);
    assert.deepEqual(decision, {
      kind: 'wait',
      holder: OTHER,
      heldSince: new Date('2026-12-02T10:00:00Z'),
      heldForMs: 300_000,
      renewedAgoMs: 11_500,
    });
    if (decision.kind !== 'wait') assert.fail(`waited, not ${decision.kind}`);
    assert.equal(
      waitingLine('lily', decision),
      `Waiting for the lock on release lily, held by ${OTHER} since 2026-12-02T10:00:00Z (for 5m, renewed 11 s ago) …`,
    );
  });

  it('waits while it has seen the Lease unchanged up to its duration, and takes over just after', () => {
    const lease = heldBy(OTHER, '2026-12-02T10:00:00Z', '2026-12-02T10:04:50.000000Z', 30);
    assert.equal(leaseDecision(lease, ME, 30_000, NOW).kind, 'wait');
    assert.deepEqual(leaseDecision(lease, ME, 30_001, NOW), {
      kind: 'take-over',
      holder: OTHER,
      renewedAt: new Date('2026-12-02T10:04:50Z'),
      unchangedForMs: 30_001,
    });
  });

  it('goes by the holder’s own duration, and ours when it has none', () => {
    const minuteAgo = '2026-12-02T10:04:00.000000Z';
    const long = heldBy(OTHER, minuteAgo, minuteAgo, 120);
    assert.equal(leaseDecision(long, ME, 60_000, NOW).kind, 'wait');
    assert.equal(leaseDecision(long, ME, 120_001, NOW).kind, 'take-over');
    const noDuration: Lease = { spec: { holderIdentity: OTHER, renewTime: minuteAgo } };
    assert.equal(leaseDecision(noDuration, ME, 30_000, NOW).kind, 'wait');
    assert.equal(leaseDecision(noDuration, ME, 30_001, NOW).kind, 'take-over');
    assert.equal(
      leaseDecision(heldBy(OTHER, minuteAgo, minuteAgo, 0), ME, 30_000, NOW).kind,
      'wait',
    );
  });

  it('waits out a held Lease with no time it can read like any other, then takes it over', () => {
    const lease: Lease = { spec: { holderIdentity: OTHER, renewTime: 'soon' } };
    const waiting = leaseDecision(lease, ME, 0, NOW);
    assert.deepEqual(waiting, { kind: 'wait', holder: OTHER });
    if (waiting.kind !== 'wait') assert.fail(`waited, not ${waiting.kind}`);
    assert.equal(
      waitingLine('lily', waiting),
      `Waiting for the lock on release lily, held by ${OTHER} (no renewal time on it) …`,
    );
    const decision = leaseDecision(lease, ME, 31_000, NOW);
    assert.deepEqual(decision, { kind: 'take-over', holder: OTHER, unchangedForMs: 31_000 });
    assert.match(
      takeOverWarning('lily', decision),
      /from https:\/\/github.com\/o\/b\/.*, which left no renewal time on it \(unchanged for 31s/,
    );
  });

  it('waits for a holder whose clock runs ahead rather than taking over', () => {
    const lease = heldBy(OTHER, '2026-12-02T10:05:20Z', '2026-12-02T10:05:20Z');
    assert.deepEqual(leaseDecision(lease, ME, 0, NOW), {
      kind: 'wait',
      holder: OTHER,
      heldSince: new Date('2026-12-02T10:05:20Z'),
      heldForMs: 0,
      renewedAgoMs: 0,
    });
  });

  it('waits for a live holder however far behind its clock is: a renewTime older than the duration expires nothing by itself', () => {
    // The waiter's clock runs a minute ahead of the holder's: by the waiter's
    // time, the holder's fresh renewal is a minute old.
    const fresh = heldBy(OTHER, '2026-12-02T10:00:00Z', '2026-12-02T10:04:00.000000Z');
    assert.equal(leaseDecision(fresh, ME, 0, NOW).kind, 'wait');
    assert.equal(leaseDecision(fresh, ME, 29_000, NOW).kind, 'wait');
  });
});

describe('sightLease', () => {
  const at = (renewTime: string, resourceVersion: string): Lease => ({
    ...heldBy(OTHER, '2026-12-02T10:00:00Z', renewTime),
    metadata: { resourceVersion },
  });

  it('keeps the first sighting while the Lease stays the same, and starts again when it changes', () => {
    const first = sightLease(undefined, at('2026-12-02T10:04:00Z', '7'), 1_000);
    assert.equal(first.sinceMs, 1_000);
    assert.equal(sightLease(first, at('2026-12-02T10:04:00Z', '7'), 25_000), first);
    assert.equal(sightLease(first, at('2026-12-02T10:04:10Z', '8'), 25_000).sinceMs, 25_000);
    assert.equal(sightLease(first, undefined, 25_000).sinceMs, 25_000);
  });

  it('a holder that renews every 10 s is never taken over, however far behind its clock is', () => {
    let seen: LeaseSighting | undefined;
    for (let atMs = 0; atMs <= 300_000; atMs += 5_000) {
      const renewals = Math.floor(atMs / 10_000);
      // The holder's clock is a minute behind the waiter's.
      const renewTime = microTime(new Date(NOW.getTime() - 60_000 + renewals * 10_000));
      const lease = at(renewTime, String(renewals));
      seen = sightLease(seen, lease, atMs);
      const now = new Date(NOW.getTime() + atMs);
      assert.equal(
        leaseDecision(lease, ME, atMs - seen.sinceMs, now).kind,
        'wait',
        `at ${atMs} ms`,
      );
    }
  });
});

describe('lock messages', () => {
  it('name the holder, the silence and the wait', () => {
    const decision = leaseDecision(
      heldBy(OTHER, '2026-12-02T10:00:00Z', '2026-12-02T10:03:00.000000Z'),
      ME,
      120_000,
      NOW,
    );
    if (decision.kind !== 'take-over') assert.fail(`took over, not ${decision.kind}`);
    assert.equal(
      takeOverWarning('lily', decision),
      `Taking over the lock on release lily from ${OTHER}, which has not renewed it since 2026-12-02T10:03:00Z (unchanged for 2m as this run watched it, longer than the Lease's duration): that run is gone or stuck.`,
    );
    assert.equal(
      lockTimeoutMessage('lily', OTHER, 300_000),
      `The lock on release lily is held by ${OTHER}; gave up after waiting 5m (lock-timeout). Let that run finish and run this one again, or raise lock-timeout.`,
    );
    assert.equal(
      terminatingNamespaceMessage('lily', 'lily-ns', 300_000),
      'Namespace lily-ns is being terminated (Terminating) and takes no new Lease; gave up on the lock on release lily after waiting 5m for it to go (lock-timeout). ' +
        'See what keeps it (kubectl get namespace lily-ns -o yaml: its finalizers and conditions), or raise lock-timeout.',
    );
  });
});

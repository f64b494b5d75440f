// The lock of a release against a fake API server over real HTTP, in virtual
// time (ManualClock): renewals that overlap or meet a stale version, a waiter
// whose clock runs ahead of the holder's, a namespace stuck in Terminating.
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { DeployError } from '../../src/failure-reason.js';
import type { KubeApi } from '../../src/kube/api.js';
import { type Lease, leaseManifest, leaseName, microTime } from '../../src/lock/lease.js';
import { ReleaseLock } from '../../src/lock/release-lock.js';
import { FakeKubeApi } from '../../test/support/fake-kube-api.js';
import { ManualClock } from '../../test/support/manual-clock.js';

const ME = 'https://github.com/o/a/actions/runs/1/attempts/1 (job deploy, aaa)';
const OTHER = 'https://github.com/o/b/actions/runs/2/attempts/1 (job deploy, bbb)';
const NAMESPACE = 'lily-ns';
const NAME = leaseName('lily');
const WALL = new Date('2026-12-02T10:05:00.000Z');

let server: FakeKubeApi;
let api: KubeApi;
let clock: ManualClock;
let said: { info: string[]; warning: string[]; error: string[] };

function lock(): ReleaseLock {
  said = { info: [], warning: [], error: [] };
  return new ReleaseLock({
    api: () => Promise.resolve(api),
    release: 'lily',
    namespace: NAMESPACE,
    holder: ME,
    clock,
    output: {
      info: (line) => said.info.push(line),
      warning: (message) => said.warning.push(message),
      error: (message) => said.error.push(message),
    },
  });
}

/** A Lease held by `holder`, as that run (whose clock may differ from ours) wrote it. */
function heldBy(holder: string, renewedAt: Date): Lease {
  return leaseManifest({
    release: 'lily',
    namespace: NAMESPACE,
    holder,
    acquiredAt: renewedAt,
    renewedAt,
  });
}

/** A failure with failure-reason lock-timeout whose message matches `message`. */
function lockTimeout(message: RegExp): (err: unknown) => boolean {
  return (err) => {
    assert.ok(err instanceof DeployError);
    assert.equal(err.reason, 'lock-timeout');
    assert.match(err.message, message);
    return true;
  };
}

before(async () => {
  // Where the lock saves what it holds for the post step.
  const state = join(await mkdtemp(join(tmpdir(), 'release-lock-')), 'state');
  await writeFile(state, '');
  process.env.GITHUB_STATE = state;
});

beforeEach(async () => {
  server = await FakeKubeApi.start();
  api = await server.client();
  clock = new ManualClock(WALL);
});

afterEach(async () => {
  await server.close();
});

after(() => {
  delete process.env.GITHUB_STATE;
});

describe('renewing the lock', () => {
  it('waits for a slow renewal before the next: never two in flight, and the next writes over the version the slow one got', async () => {
    const held = lock();
    assert.equal(await held.take(60_000), 'held');
    const slow = server.hold('PUT');
    clock.advance(10_000);
    await slow.received;
    // Two more renewal periods pass while the first renewal's reply is on its way.
    clock.advance(20_000);
    slow.release();
    await server.answered('PUT', 2);
    await held.release();
    assert.equal(server.maxInFlight, 1);
    assert.deepEqual(server.log(), ['POST 201', 'PUT 200', 'PUT 200', 'DELETE 200']);
    const [created, first, second] = server.requests;
    assert.equal(first?.resourceVersion, '101', 'the first renewal writes over the created Lease');
    assert.equal(second?.resourceVersion, '102', 'the second over what the first wrote');
    assert.equal(created?.resourceVersion, undefined);
    assert.deepEqual([...said.warning, ...said.error], []);
    assert.equal(server.lease(NAMESPACE, NAME), undefined, 'released');
  });

  it('a renewal refused over a stale version of a Lease still its own reads it again and renews over the fresh one', async () => {
    const held = lock();
    assert.equal(await held.take(60_000), 'held');
    // The Lease changed under the run and is still the run's: a renewal written
    // whose reply was lost, say.
    const ours = server.lease(NAMESPACE, NAME);
    assert.ok(ours);
    server.put(NAMESPACE, NAME, ours);
    clock.advance(10_000);
    await server.answered('PUT', 2);
    assert.equal(server.lease(NAMESPACE, NAME)?.spec?.renewTime, microTime(clock.now()));
    await held.release();
    assert.deepEqual(server.log(), ['POST 201', 'PUT 409', 'GET 200', 'PUT 200', 'DELETE 200']);
    assert.deepEqual([...said.warning, ...said.error], []);
    assert.equal(server.lease(NAMESPACE, NAME), undefined, 'still the run’s to release');
  });

  it('a Lease another run took is said as an error, and the run stops renewing it and leaves it alone', async () => {
    const held = lock();
    assert.equal(await held.take(60_000), 'held');
    server.put(NAMESPACE, NAME, heldBy(OTHER, clock.now()));
    clock.advance(10_000);
    await server.answered('GET', 1);
    clock.advance(30_000);
    await held.release();
    assert.deepEqual(server.log(), ['POST 201', 'PUT 409', 'GET 200']);
    assert.equal(said.error.length, 1);
    assert.match(
      said.error[0] ?? '',
      /^The lock on release lily was taken from this run \(Lease lily-ns\/lily-deploy-lily is now held by https:\/\/github.com\/o\/b\/.*\): this run goes on without it/,
    );
    assert.equal(server.lease(NAMESPACE, NAME)?.spec?.holderIdentity, OTHER);
  });
});

describe('waiting for the lock', () => {
  it('a waiter whose clock runs a minute ahead does not take over a Lease it has not seen unchanged for its duration', async () => {
    // By the waiter's clock the holder renewed a minute ago; it may have, by its own.
    server.put(NAMESPACE, NAME, heldBy(OTHER, new Date(WALL.getTime() - 60_000)));
    const waiting = lock();
    await assert.rejects(
      clock.runToEnd(waiting.take(20_000)),
      lockTimeout(/is held by https:\/\/github.com\/o\/b\/.*; gave up after waiting 20s/),
    );
    assert.equal(server.lease(NAMESPACE, NAME)?.spec?.holderIdentity, OTHER);
    assert.ok(!server.log().includes('PUT 200'), server.log().join(', '));
    assert.deepEqual(said.warning, []);
  });

  it('takes over a Lease once it has seen it unchanged for longer than its duration, on its own clock', async () => {
    server.put(NAMESPACE, NAME, heldBy(OTHER, new Date(WALL.getTime() - 60_000)));
    const waiting = lock();
    assert.equal(await clock.runToEnd(waiting.take(120_000)), 'held');
    assert.ok(
      clock.monotonicMs() > 30_000 && clock.monotonicMs() <= 32_000,
      `${clock.monotonicMs()}`,
    );
    const lease = server.lease(NAMESPACE, NAME);
    assert.equal(lease?.spec?.holderIdentity, ME);
    assert.equal(lease.spec.leaseTransitions, 1);
    assert.equal(said.warning.length, 1);
    assert.match(
      said.warning[0] ?? '',
      /^Taking over the lock on release lily from https:\/\/github.com\/o\/b\/.*, which has not renewed it since 2026-12-02T10:04:00Z \(unchanged for 3[01]s as this run watched it/,
    );
    await waiting.release();
  });

  it('a namespace stuck in Terminating: the wait ends at lock-timeout, naming the namespace', async () => {
    server.terminate(NAMESPACE);
    const waiting = lock();
    await assert.rejects(
      clock.runToEnd(waiting.take(60_000)),
      lockTimeout(
        /^Namespace lily-ns is being terminated \(Terminating\) and takes no new Lease; gave up on the lock on release lily after waiting 1m/,
      ),
    );
    assert.equal(clock.monotonicMs(), 60_000);
    assert.deepEqual(said.info, [
      'Waiting for namespace lily-ns, which is being terminated, to go before taking the lock on release lily …',
      'Waiting for namespace lily-ns, which is being terminated, to go before taking the lock on release lily …',
    ]);
    assert.equal(server.lease(NAMESPACE, NAME), undefined);
  });
});

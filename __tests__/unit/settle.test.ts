import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ReleaseStatus } from '../../src/helm/helm.js';
import { isRollbackUnfinished, needsPendingRepair } from '../../src/deploy/settle.js';

function release(status: string, revision: number): ReleaseStatus {
  return {
    name: 'lily',
    namespace: 'lily',
    revision,
    status,
    chartName: 'lily',
    chartVersion: '0.1.4',
    appVersion: 'v0.12.0',
    lastDeployed: '2026-12-02T10:00:00Z',
  };
}

describe('needsPendingRepair', () => {
  it('repairs a pending release only when helm had to be killed', () => {
    assert.equal(needsPendingRepair(release('pending-upgrade', 3), true), true);
    // helm stopped by SIGTERM records the release as failed itself.
    assert.equal(needsPendingRepair(release('pending-upgrade', 3), false), false);
    assert.equal(needsPendingRepair(release('failed', 3), true), false);
    assert.equal(needsPendingRepair(undefined, true), false);
  });
});

describe('isRollbackUnfinished', () => {
  it('finishes an atomic rollback that left the release failed at the attempted revision or later', () => {
    assert.equal(isRollbackUnfinished(true, release('failed', 3), 3), true);
    assert.equal(isRollbackUnfinished(true, release('failed', 4), 3), true);
  });

  it('leaves alone a release helm rolled back, a non-atomic deploy, and an older failure', () => {
    assert.equal(isRollbackUnfinished(true, release('deployed', 4), 3), false);
    assert.equal(isRollbackUnfinished(false, release('failed', 3), 3), false);
    assert.equal(isRollbackUnfinished(true, release('failed', 2), 3), false);
    assert.equal(isRollbackUnfinished(true, undefined, 3), false);
  });
});

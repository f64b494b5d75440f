import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ReleaseStatus } from '../../src/helm/helm.js';
import {
  afterVerifyFailure,
  isRollbackUnfinished,
  needsPendingRepair,
} from '../../src/deploy/settle.js';
import type { Settings } from '../../src/settings.js';

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

  it('undoes with atomic a revision helm deployed and the verify window failed', () => {
    assert.equal(isRollbackUnfinished(true, release('deployed', 3), 3), true);
    assert.equal(isRollbackUnfinished(false, release('deployed', 3), 3), false);
  });
});

describe('afterVerifyFailure', () => {
  const settings = { release: 'lily', namespace: 'prod' } as Settings;

  it('says what atomic did', () => {
    assert.equal(
      afterVerifyFailure(settings, release('deployed', 4), 3, { kind: 'rollback', revision: 2 }),
      'Release lily was rolled back (atomic): revision 4 is deployed.',
    );
    assert.equal(
      afterVerifyFailure(settings, undefined, 1, { kind: 'uninstall' }),
      'Release lily was uninstalled (atomic: its first install failed).',
    );
  });

  it("without atomic, leaves helm's record and gives the exact command that undoes it", () => {
    assert.equal(
      afterVerifyFailure(settings, release('deployed', 3), 3, { kind: 'rollback', revision: 2 }),
      'Revision 3 of lily stays deployed, as helm recorded it (atomic is off); undo it with `helm rollback lily 2 --namespace prod`.',
    );
    assert.match(
      afterVerifyFailure(settings, release('deployed', 1), 1, { kind: 'uninstall' }),
      /undo it with `helm uninstall lily --namespace prod`\.$/,
    );
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ReleaseStatus } from '../../src/helm/helm.js';
import { recoveryPlan, stuckDecision } from '../../src/helm/stuck-release.js';

const release = (status: string, lastDeployed: string): ReleaseStatus => ({
  name: 'r',
  namespace: 'n',
  revision: 3,
  status,
  chartName: 'lily',
  chartVersion: '0.1.4',
  appVersion: '0.12.0',
  lastDeployed,
});
const NOW = Date.parse('2026-11-21T12:00:00Z');
const MIN = 60_000;

describe('stuckDecision', () => {
  it('deploys over no release or a settled one', () => {
    assert.equal(stuckDecision(undefined, NOW, 15 * MIN, false), 'deploy');
    assert.equal(
      stuckDecision(release('failed', '2026-11-21T11:59:00Z'), NOW, 15 * MIN, false),
      'deploy',
    );
    assert.equal(
      stuckDecision(release('deployed', '2026-11-21T11:59:00Z'), NOW, 15 * MIN, false),
      'deploy',
    );
  });
  it('refuses a young pending release: another deploy is probably running', () => {
    assert.equal(
      stuckDecision(release('pending-upgrade', '2026-11-21T11:50:00Z'), NOW, 15 * MIN, false),
      'refuse',
    );
  });
  it('recovers an old pending release, or any when forced', () => {
    assert.equal(
      stuckDecision(release('pending-install', '2026-11-21T11:40:00Z'), NOW, 15 * MIN, false),
      'recover',
    );
    assert.equal(
      stuckDecision(release('pending-rollback', '2026-11-21T11:59:59Z'), NOW, 15 * MIN, true),
      'recover',
    );
  });
});

describe('recoveryPlan', () => {
  it('rolls back to the newest deployed revision', () => {
    assert.deepEqual(
      recoveryPlan([
        { revision: 1, status: 'superseded', updated: '' },
        { revision: 2, status: 'deployed', updated: '' },
        { revision: 3, status: 'pending-upgrade', updated: '' },
      ]),
      { kind: 'rollback', revision: 2 },
    );
  });
  it('falls back to the newest superseded one, and uninstalls a first install that never deployed', () => {
    assert.deepEqual(
      recoveryPlan([
        { revision: 1, status: 'superseded', updated: '' },
        { revision: 2, status: 'failed', updated: '' },
        { revision: 3, status: 'pending-upgrade', updated: '' },
      ]),
      { kind: 'rollback', revision: 1 },
    );
    assert.deepEqual(recoveryPlan([{ revision: 1, status: 'pending-install', updated: '' }]), {
      kind: 'uninstall',
    });
  });
});

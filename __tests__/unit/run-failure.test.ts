// How a failed run is named and how helm's own error is kept whole.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InputError } from '../../src/inputs/read.js';
import { CommandError } from '../../src/process.js';
import { DeployError } from '../../src/failure-reason.js';
import {
  failureReasonOf,
  helmErrorHint,
  helmErrorText,
  helmFailureReason,
  isConcurrentDeploy,
} from '../../src/failure/run-failure.js';

const result = (stderr: string) => ({ exitCode: 1, signal: null, stdout: '', stderr });

describe('failureReasonOf', () => {
  it('is never empty: the reason carried, else where it happened', () => {
    assert.equal(failureReasonOf(new DeployError('missing-crd', 'x')), 'missing-crd');
    assert.equal(failureReasonOf(new InputError(['Input x is bad'])), 'bad-input');
    assert.equal(failureReasonOf(new InputError(['Input x Lily refuses'], 'lily-config')), 'lily-config');
    assert.equal(
      failureReasonOf(new CommandError('helm show values filecoin/lily', result('Error: x'))),
      'helm-error',
    );
    assert.equal(failureReasonOf(new CommandError('kubectl apply', result('x'))), 'error');
    assert.equal(failureReasonOf(new Error('anything')), 'error');
  });
});

describe('helmErrorText', () => {
  it("keeps helm's whole error, from Error: on, without the warnings around it", () => {
    const stderr = [
      'WARNING: Kubernetes configuration file is group-readable. This is insecure.',
      'coalesce.go:298: warning: destination for lily.cluster.redis is a table. Ignoring non-table value ()',
      'Error: UPGRADE FAILED: resource mapping not found for name: "lily-r-dev-mainnet-daemon-metrics-svcmon" namespace: "ns" from "": no matches for kind "ServiceMonitor" in version "monitoring.coreos.com/v1"',
      'ensure CRDs are installed first',
      '',
    ].join('\n');
    assert.equal(
      helmErrorText(stderr),
      'Error: UPGRADE FAILED: resource mapping not found for name: "lily-r-dev-mainnet-daemon-metrics-svcmon" namespace: "ns" from "": no matches for kind "ServiceMonitor" in version "monitoring.coreos.com/v1"\nensure CRDs are installed first',
    );
  });

  it('keeps output without an Error: line, less its warnings', () => {
    assert.equal(helmErrorText('WARNING: x\nsomething broke\n'), 'something broke');
  });
});

describe('helmErrorHint', () => {
  it('names the value for a missing ServiceMonitor CRD', () => {
    assert.match(
      helmErrorHint('no matches for kind "ServiceMonitor" in version "monitoring.coreos.com/v1"') ??
        '',
      /prometheusOperatorServiceMonitor: false/,
    );
  });

  it('points a server-side schema refusal to server-side: auto or false', () => {
    assert.match(
      helmErrorHint(
        'failed to create typed patch object (ns/x-daemon-pdb; policy/v1, Kind=PodDisruptionBudget): .spec.selector.app.kubernetes.io/name: field not declared in schema',
      ) ?? '',
      /server-side: auto/,
    );
  });

  it('adds nothing to an error it does not know', () => {
    assert.equal(helmErrorHint('Error: chart "lily" version "9.9.9" not found'), undefined);
  });
});

describe('helmFailureReason', () => {
  const ended = { cancelled: false, stdout: '', stderr: '' };
  const crashLoop = {
    reason: 'crash-loop' as const,
    pod: 'lily-0',
    fatal: true,
    summary: 'container daemon keeps crashing',
    remedy: 'read its log',
  };

  it('names what fail-fast stopped helm for', () => {
    assert.equal(helmFailureReason({ ...ended, stoppedFor: [crashLoop] }), 'crash-loop');
  });

  it('tells a cancelled job, a timeout and helm failing by itself apart', () => {
    assert.equal(helmFailureReason({ ...ended, cancelled: true }), 'cancelled');
    assert.equal(
      helmFailureReason({
        ...ended,
        stderr: 'Error: UPGRADE FAILED: context deadline exceeded',
      }),
      'timeout',
    );
    assert.equal(
      helmFailureReason({ ...ended, stderr: 'Error: UPGRADE FAILED: an error occurred' }),
      'helm-error',
    );
  });
});

describe('isConcurrentDeploy', () => {
  it("recognises helm's words for a release another operation holds", () => {
    assert.equal(
      isConcurrentDeploy(
        'Error: UPGRADE FAILED: another operation (install/upgrade/rollback) is in progress',
      ),
      true,
    );
    assert.equal(
      isConcurrentDeploy('Error: INSTALLATION FAILED: cannot re-use a name that is still in use'),
      true,
    );
    assert.equal(isConcurrentDeploy('Error: UPGRADE FAILED: timed out waiting'), false);
  });
});

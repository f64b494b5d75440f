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
    assert.equal(
      failureReasonOf(new InputError(['Input x Lily refuses'], 'lily-config')),
      'lily-config',
    );
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
  const ended = { cancelled: false, stderr: '' };
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

  it("is a timeout only in helm's words for its wait running out, on Helm 3 and Helm 4", () => {
    const timedOut = [
      // Helm 3.17, --wait (install and upgrade; with --atomic, after the rollback).
      'Error: INSTALLATION FAILED: context deadline exceeded',
      'Error: UPGRADE FAILED: release lily failed, and has been rolled back due to atomic being set: context deadline exceeded',
      // Helm 4.1, --wait=watcher: the objects not ready, then the context's error.
      'Error: UPGRADE FAILED: resource StatefulSet/lily/lily-daemon not ready. status: InProgress, message: Ready: 0/1\ncontext deadline exceeded',
      // Older Helm 3, and a hook's wait.
      'Error: UPGRADE FAILED: pre-upgrade hooks failed: 1 error occurred:\n\t* timed out waiting for the condition',
    ];
    for (const stderr of timedOut)
      assert.equal(helmFailureReason({ ...ended, stderr }), 'timeout', stderr);
    const notTimedOut = [
      // A field name in a validation error.
      'Error: UPGRADE FAILED: cannot patch "lily-daemon" with kind StatefulSet: StatefulSet.apps "lily-daemon" is invalid: spec.template.spec.containers[0].readinessProbe.timeoutSeconds: Invalid value: -1: must be greater than or equal to 0',
      // The API server did not answer: not helm's wait.
      'Error: Kubernetes cluster unreachable: Get "https://10.0.0.1:6443/version": dial tcp 10.0.0.1:6443: i/o timeout',
      'Error: UPGRADE FAILED: Get "https://10.0.0.1:6443/api/v1/namespaces/lily/secrets": context deadline exceeded (Client.Timeout exceeded while awaiting headers)',
    ];
    for (const stderr of notTimedOut)
      assert.equal(helmFailureReason({ ...ended, stderr }), 'helm-error', stderr);
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

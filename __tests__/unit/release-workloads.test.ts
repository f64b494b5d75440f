import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  isReleaseClaim,
  selectorString,
  workloadsInManifest,
} from '../../src/kube/release-workloads.js';
import { remediesFor } from '../../src/deploy/remediation.js';
import type { Finding } from '../../src/failure-reason.js';

const MANIFEST = `---
# Source: lily/templates/lily.yaml
apiVersion: v1
kind: Service
metadata: {name: lily-a-dev-mainnet-daemon-api-svc}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: lily-a-dev-mainnet-daemon}
spec:
  replicas: 1
  selector:
    matchLabels: {app.kubernetes.io/name: lily, app.kubernetes.io/instance: lily-a-dev-mainnet}
    matchExpressions: [{key: tier, operator: In, values: [a, b]}, {key: canary, operator: DoesNotExist}]
  volumeClaimTemplates:
  - metadata: {name: datastore-volume}
---
apiVersion: batch/v1
kind: Job
metadata: {name: migrate, namespace: other}
spec:
  template:
    metadata: {labels: {job: migrate}}
`;

describe('workloadsInManifest', () => {
  it('finds the workloads, their selectors and claim templates, and skips the rest', () => {
    const workloads = workloadsInManifest(MANIFEST);
    assert.deepEqual(
      workloads.map((w) => [w.kind, w.name, w.namespace]),
      [
        ['StatefulSet', 'lily-a-dev-mainnet-daemon', ''],
        ['Job', 'migrate', 'other'],
      ],
    );
    assert.deepEqual(workloads[0]?.claimTemplates, ['datastore-volume']);
    assert.equal(
      selectorString(workloads[0].selector),
      'app.kubernetes.io/name=lily,app.kubernetes.io/instance=lily-a-dev-mainnet,tier in (a,b),!canary',
    );
    assert.equal(
      selectorString(workloads[1]!.selector),
      'job=migrate',
      "a Job's pods by its template labels",
    );
  });

  it("tells the release's claims from others", () => {
    const workloads = workloadsInManifest(MANIFEST);
    assert.ok(isReleaseClaim(workloads, 'datastore-volume-lily-a-dev-mainnet-daemon-0'));
    assert.ok(isReleaseClaim(workloads, 'datastore-volume-lily-a-dev-mainnet-daemon-12'));
    assert.ok(!isReleaseClaim(workloads, 'datastore-volume-lily-a-dev-mainnet-daemon-x'));
    assert.ok(!isReleaseClaim(workloads, 'datastore-volume-lily-ab-dev-mainnet-daemon-0'));
    assert.ok(!isReleaseClaim(workloads, 'data-lily-a-dev-mainnet-daemon-0'));
  });
});

describe('remediesFor', () => {
  const workloads = workloadsInManifest(MANIFEST);
  const affinity = (pod: string, claims: string[]): Finding => ({
    reason: 'volume-node-affinity',
    pod,
    fatal: true,
    summary: 's',
    remedy: 'r',
    claims,
  });

  it("deletes only the release's own claims, once per pod", () => {
    const findings = [
      affinity('lily-a-dev-mainnet-daemon-0', [
        'datastore-volume-lily-a-dev-mainnet-daemon-0',
        'someone-elses-claim',
      ]),
      affinity('lily-a-dev-mainnet-daemon-0', ['datastore-volume-lily-a-dev-mainnet-daemon-0']),
    ];
    assert.deepEqual(remediesFor(findings, workloads, new Set()), [
      {
        kind: 'delete-claims-and-pod',
        pod: 'lily-a-dev-mainnet-daemon-0',
        claims: ['datastore-volume-lily-a-dev-mainnet-daemon-0'],
        because: 's',
      },
    ]);
    assert.deepEqual(
      remediesFor(findings, workloads, new Set(['lily-a-dev-mainnet-daemon-0'])),
      [],
    );
    assert.deepEqual(
      remediesFor([affinity('p', ['someone-elses-claim'])], workloads, new Set()),
      [],
    );
  });

  it('deletes a pod stuck on Multi-Attach, and nothing for other causes', () => {
    const finding = (reason: Finding['reason'], fatal = true): Finding => ({
      reason,
      pod: 'p',
      fatal,
      summary: 's',
      remedy: 'r',
    });
    assert.deepEqual(remediesFor([finding('multi-attach')], workloads, new Set()), [
      { kind: 'delete-pod', pod: 'p', because: 's' },
    ]);
    assert.deepEqual(remediesFor([finding('multi-attach', false)], workloads, new Set()), []);
    assert.deepEqual(
      remediesFor([finding('crash-loop'), finding('image-pull')], workloads, new Set()),
      [],
    );
  });
});

// The preflight's decisions on rendered objects and cluster facts: what fails
// the run before any change, what only warns, and how it is worded.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type ClusterFacts,
  podTemplateRequests,
  preflight,
  undeclaredFieldsWarning,
} from '../../src/preflight/preflight.js';
import { parseManifest } from '../../src/kube/manifest.js';

const DAEMON_STS = `
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: lily-r-dev-mainnet-daemon}
spec:
  template:
    spec:
      initContainers:
      - name: init-sync
        resources: {requests: {cpu: '1', memory: 1Gi}}
      containers:
      - name: daemon
        resources:
          requests: {cpu: 31000m, memory: 254Gi}
          limits: {cpu: 31000m, memory: 254Gi}
      - name: sidecar
        resources: {limits: {cpu: 500m, memory: 512Mi}}
  volumeClaimTemplates:
  - metadata: {name: datastore-volume}
    spec: {storageClassName: gp2}
`;
const SERVICE_MONITOR = `
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: lily-r-dev-mainnet-daemon-metrics-svcmon}
`;
const PDB = `
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: lily-r-dev-mainnet-daemon-pdb}
spec:
  selector:
    matchLabels:
    app.kubernetes.io/name: lily
    app.kubernetes.io/instance: lily-r-dev-mainnet
`;

const objects = parseManifest([DAEMON_STS, SERVICE_MONITOR, PDB].join('---\n'));
const served = new Map([
  ['apps/v1', new Set(['StatefulSet'])],
  ['policy/v1', new Set(['PodDisruptionBudget'])],
]);
const facts: ClusterFacts = {
  servedKinds: served,
  storageClasses: [
    { name: 'standard', isDefault: true },
    { name: 'fast', isDefault: false },
  ],
  nodes: [
    { name: 'small', cpu: 8, memory: 32 * 2 ** 30 },
    { name: 'big', cpu: 32, memory: 128 * 2 ** 30 },
  ],
};

describe('preflight', () => {
  it('names a kind the cluster does not serve, and for ServiceMonitor the value that turns it off', () => {
    const { problems } = preflight(objects, facts);
    const crd = problems.find((p) => p.reason === 'missing-crd');
    assert.ok(crd);
    assert.match(crd.summary, /ServiceMonitor \(monitoring\.coreos\.com\/v1\)/);
    assert.match(crd.summary, /lily-r-dev-mainnet-daemon-metrics-svcmon/);
    assert.match(crd.remedy, /prometheusOperatorServiceMonitor: false/);
  });

  it('names a missing StorageClass, the ones that exist and the value to set', () => {
    const { problems } = preflight(objects, facts);
    const sc = problems.find((p) => p.reason === 'missing-storage-class');
    assert.ok(sc);
    assert.match(sc.summary, /StorageClass "gp2", which does not exist/);
    assert.match(sc.summary, /standard \(default\), fast/);
    assert.match(sc.remedy, /daemon\.volumes\.datastore\.storageClassName/);
    assert.match(sc.remedy, /e\.g\. standard/);
  });

  it('warns (never fails) about a pod larger than every node, by how much, and which values to lower', () => {
    const { warnings, problems } = preflight(objects, facts);
    assert.ok(problems.every((p) => !p.summary.includes('requests')));
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /requests 31\.5 CPU \/ 254\.5Gi per pod/);
    assert.match(warnings[0]!, /largest: big, 32 CPU \/ 128Gi/);
    assert.match(warnings[0]!, /short of memory by 126\.5Gi/);
    assert.match(warnings[0]!, /Lower daemon\.resources/);
  });

  it('skips the checks whose facts the credentials could not read', () => {
    const report = preflight(objects, { servedKinds: served });
    assert.deepEqual(
      report.problems.map((p) => p.reason),
      ['missing-crd'],
    );
    assert.deepEqual(report.warnings, []);
  });

  it('finds nothing in a release the cluster can take', () => {
    const fits = parseManifest(
      DAEMON_STS.replaceAll('31000m', '2').replaceAll('254Gi', '8Gi').replace('gp2', 'fast'),
    );
    assert.deepEqual(preflight(fits, facts), { problems: [], warnings: [] });
  });

  it("sizes a pod as its containers' sum, or its largest init container when larger", () => {
    assert.deepEqual(podTemplateRequests(objects[0]!), {
      cpu: 31.5,
      memory: 254 * 2 ** 30 + 512 * 2 ** 20,
    });
  });
});

describe('undeclaredFieldsWarning', () => {
  it('names the fields, where they belong, and what an emptied PDB selector means', () => {
    const pdb = objects[2]!;
    const text = undeclaredFieldsWarning(pdb, [
      {
        path: '.spec.selector.app.kubernetes.io/name',
        keys: ['spec', 'selector', 'app.kubernetes.io/name'],
        belongsUnder: '.spec.selector.matchLabels',
      },
      {
        path: '.spec.selector.app.kubernetes.io/instance',
        keys: ['spec', 'selector', 'app.kubernetes.io/instance'],
        belongsUnder: '.spec.selector.matchLabels',
      },
    ]);
    assert.match(text, /^PodDisruptionBudget\/lily-r-dev-mainnet-daemon-pdb has fields/);
    assert.match(
      text,
      /\.spec\.selector\.app\.kubernetes\.io\/name \(belongs under \.spec\.selector\.matchLabels\)/,
    );
    assert.match(text, /applies client-side, as Helm 3 does/);
    assert.match(text, /empty selector selects every pod in the namespace/);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ObjectChange, planChanges, valuesDiff } from '../../src/plan/diff.js';
import { liveRelease, rendered, short } from './plan-fixtures.js';

function byObject(changes: ObjectChange[]): Record<string, ObjectChange> {
  return Object.fromEntries(changes.map((c) => [c.object, c]));
}

const STATEFULSET = 'StatefulSet/indexer/lily-a-lily-daemon';

describe('planChanges', () => {
  it('a first install adds every object, in install order, each with its whole manifest as a diff', () => {
    const changes = planChanges(rendered({ rc: true }), [], [], []);
    assert.deepEqual(
      changes.map((c) => [c.object, c.change]),
      [
        ['Secret/indexer/lily-a-lily-env', 'added'],
        ['ConfigMap/indexer/lily-a-lily-config', 'added'],
        ['Service/indexer/lily-a-lily-api', 'added'],
        [STATEFULSET, 'added'],
      ],
    );
    const statefulSet = byObject(changes)[STATEFULSET]!;
    assert.match(
      statefulSet.diff,
      /^--- \/dev\/null\n\+\+\+ planned\/StatefulSet\/indexer\/lily-a-lily-daemon\n@@ /,
    );
    assert.match(statefulSet.diff, /^\+ {8}- name: init-datastore$/m);
    assert.equal(statefulSet.diff.split('\n').filter((l) => l.startsWith('-')).length, 1);
  });

  it('the same chart against its live release changes nothing, whatever the server defaulted', () => {
    const changes = planChanges(rendered(), liveRelease(), rendered(), []);
    assert.deepEqual(
      changes.map((c) => [c.object, c.change, c.fields, c.diff]),
      changes.map((c) => [c.object, 'unchanged', [], '']),
    );
  });

  it('an upgrade to 0.1.5-rc1: the new init containers and the new image, the PDB removed, nothing else', () => {
    const changes = byObject(planChanges(rendered({ rc: true }), liveRelease(), rendered(), []));
    const statefulSet = changes[STATEFULSET]!;
    assert.equal(statefulSet.change, 'changed');
    assert.deepEqual(statefulSet.fields, [
      'spec.template.spec.initContainers',
      'spec.template.spec.containers[daemon].image',
    ]);
    assert.match(
      statefulSet.diff,
      /^-( +)image: filecoin\/lily:v0\.12\.0\n\+\1image: filecoin\/lily:v0\.13\.0$/m,
    );
    assert.match(statefulSet.diff, /^\+ +initContainers:$/m);
    // Defaulted fields are in neither side of the diff.
    assert.doesNotMatch(
      statefulSet.diff,
      /imagePullPolicy|dnsPolicy|terminationMessagePath|protocol|revisionHistoryLimit|managedFields|meta\.helm\.sh/,
    );
    assert.equal(changes['PodDisruptionBudget/indexer/lily-a-lily-daemon-pdb']!.change, 'removed');
    for (const name of [
      'Service/indexer/lily-a-lily-api',
      'ConfigMap/indexer/lily-a-lily-config',
      'Secret/indexer/lily-a-lily-env',
    ])
      assert.equal(changes[name]!.change, 'unchanged', name);
  });

  it('a values change of one field shows that field only', () => {
    const changes = planChanges(rendered({ logLevel: 'debug' }), liveRelease(), rendered(), []);
    assert.deepEqual(
      changes.filter((c) => c.change !== 'unchanged').map((c) => [c.object, c.fields]),
      [[STATEFULSET, ['spec.template.spec.containers[daemon].env[GOLOG_LOG_LEVEL].value']]],
    );
    assert.match(byObject(changes)[STATEFULSET]!.diff, /^- +value: info\n\+ +value: debug$/m);
  });

  it('an object removed by the new chart shows what goes, as the release set it', () => {
    const changes = byObject(planChanges(rendered({ rc: true }), liveRelease(), rendered(), []));
    const pdb = changes['PodDisruptionBudget/indexer/lily-a-lily-daemon-pdb']!;
    assert.equal(pdb.change, 'removed');
    assert.deepEqual(pdb.fields, []);
    assert.match(
      pdb.diff,
      /^--- live\/PodDisruptionBudget\/indexer\/lily-a-lily-daemon-pdb\n\+\+\+ \/dev\/null\n/,
    );
    assert.match(pdb.diff, /^- +maxUnavailable: 1$/m);
    assert.doesNotMatch(pdb.diff, /disruptionsAllowed|uid|^\+(?!\+\+ )/m);
  });

  it('a field the new chart stops setting shows as removed', () => {
    const previous = rendered();
    const desired = rendered();
    const spec = desired.find((o) => o.kind === 'Service')!.body.spec as Record<string, unknown>;
    delete spec.type;
    const service = planChanges(desired, liveRelease(), previous, []).find(
      (c) => c.kind === 'Service',
    )!;
    assert.deepEqual(service.fields, ['spec.type']);
    assert.match(service.diff, /^- +type: ClusterIP$/m);
  });
});

describe('valuesDiff', () => {
  it('is empty when the values are alike, else a diff of the field that changed, and its hashes', () => {
    const values = { daemon: { logLevel: 'info', storage: { size: '100Gi' } } };
    assert.deepEqual(valuesDiff(values, structuredClone(values), []), {
      diff: '',
      fieldChanges: [],
    });
    const { diff, fieldChanges } = valuesDiff(
      values,
      { daemon: { logLevel: 'debug', storage: { size: '100Gi' } } },
      [],
    );
    assert.match(diff, /^- {2}logLevel: info\n\+ {2}logLevel: debug$/m);
    assert.deepEqual(fieldChanges, [
      { path: 'daemon.logLevel', change: 'changed', from: short('info'), to: short('debug') },
    ]);
    assert.match(valuesDiff(undefined, values, []).diff, /^\+daemon:$/m);
  });
});

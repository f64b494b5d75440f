import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  comparableDesired,
  comparableLive,
  liveObject,
  normalizeLive,
  renderedObjects,
  withoutFields,
} from '../../src/plan/objects.js';
import { liveStatefulSet, NAMESPACE, rendered } from './plan-fixtures.js';

function statefulSet(objects = rendered()) {
  return objects.find((o) => o.kind === 'StatefulSet')!.body;
}

describe('renderedObjects', () => {
  it('keys objects by group-qualified kind, namespace and name, in the release namespace when the manifest names none', () => {
    const keys = rendered().map((o) => o.key);
    assert.deepEqual(keys, [
      'PodDisruptionBudget.policy/indexer/lily-a-lily-daemon-pdb',
      'Secret/indexer/lily-a-lily-env',
      'ConfigMap/indexer/lily-a-lily-config',
      'Service/indexer/lily-a-lily-api',
      'StatefulSet.apps/indexer/lily-a-lily-daemon',
    ]);
  });

  it('keeps a namespace the manifest names, and none for a cluster-scoped kind', () => {
    const manifest = [
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: shared, namespace: monitoring}',
      'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: lily-reader}',
      'apiVersion: example.io/v1\nkind: Widget\nmetadata: {name: w}',
    ].join('\n---\n');
    assert.deepEqual(
      renderedObjects(manifest, { namespace: NAMESPACE }).map((o) => o.key),
      [
        'ConfigMap/monitoring/shared',
        'ClusterRole.rbac.authorization.k8s.io//lily-reader',
        'Widget.example.io/indexer/w',
      ],
    );
    // What discovery says (namespaced or not) decides when given.
    const discovered = (_: string, kind: string) => kind === 'Widget' || kind === 'ClusterRole';
    assert.deepEqual(
      renderedObjects(manifest, { namespace: NAMESPACE, isClusterScoped: discovered }).map(
        (o) => o.key,
      ),
      [
        'ConfigMap/monitoring/shared',
        'ClusterRole.rbac.authorization.k8s.io//lily-reader',
        'Widget.example.io//w',
      ],
    );
  });

  it('the live object and the rendered one get the same key', () => {
    assert.equal(
      liveObject(liveStatefulSet())!.key,
      rendered().find((o) => o.kind === 'StatefulSet')!.key,
    );
    assert.equal(liveObject({ kind: 'Status' }), undefined);
  });
});

describe('normalizeLive', () => {
  it('drops what the server and helm manage', () => {
    const normal = normalizeLive(liveStatefulSet());
    assert.equal('status' in normal, false);
    assert.deepEqual(normal.metadata, {
      name: 'lily-a-lily-daemon',
      namespace: 'indexer',
      labels: { 'app.kubernetes.io/instance': 'lily-a', 'app.kubernetes.io/managed-by': 'Helm' },
    });
  });

  it('keeps the annotations a chart sets', () => {
    const normal = normalizeLive({
      metadata: {
        name: 'x',
        annotations: {
          'meta.helm.sh/release-name': 'lily-a',
          'kubectl.kubernetes.io/last-applied-configuration': '{"data":{"url":"c2VjcmV0"}}',
          'lily/owner': 'indexing',
        },
      },
    });
    assert.deepEqual(normal.metadata, { name: 'x', annotations: { 'lily/owner': 'indexing' } });
  });
});

describe('comparableLive', () => {
  it('the live StatefulSet of the same chart compares equal: server-defaulted fields are ignored', () => {
    const desired = statefulSet();
    assert.deepEqual(comparableLive(liveStatefulSet(), desired), comparableDesired(desired));
  });

  it('a field the live object has and the manifest does not set is not compared, unless the previous release set it', () => {
    const previous = statefulSet();
    const desired = structuredClone(previous);
    delete (desired.spec as Record<string, unknown>).serviceName;
    assert.equal(
      'serviceName' in (comparableLive(liveStatefulSet(), desired).spec as object),
      false,
    );
    assert.equal(
      (comparableLive(liveStatefulSet(), desired, previous).spec as Record<string, unknown>)
        .serviceName,
      'lily-a-lily-api',
    );
  });

  it('a quantity the server rewrote compares by value; a different one does not', () => {
    const desired = { spec: { resources: { requests: { cpu: 0.5, memory: '1024Mi' } } } };
    const live = { spec: { resources: { requests: { cpu: '500m', memory: '1Gi' } } } };
    assert.deepEqual(comparableLive(live, desired), desired);
    const bigger = { spec: { resources: { requests: { cpu: '1', memory: '1Gi' } } } };
    assert.deepEqual(comparableLive(bigger, desired), {
      spec: { resources: { requests: { cpu: '1', memory: '1024Mi' } } },
    });
  });

  it('a live list element the release does not set is kept whole', () => {
    const desired = { spec: { containers: [{ name: 'daemon', image: 'a' }] } };
    const live = {
      spec: {
        containers: [
          { name: 'daemon', image: 'a', imagePullPolicy: 'IfNotPresent' },
          { name: 'sidecar', image: 'b', imagePullPolicy: 'Always' },
        ],
      },
    };
    assert.deepEqual(comparableLive(live, desired), {
      spec: {
        containers: [
          { name: 'daemon', image: 'a' },
          { name: 'sidecar', image: 'b', imagePullPolicy: 'Always' },
        ],
      },
    });
  });
});

describe('withoutFields', () => {
  it('drops the fields at the given key paths (keys with dots included), leaving the body as it was', () => {
    const body = {
      spec: {
        selector: { matchLabels: { a: 'b' }, 'app.kubernetes.io/name': 'lily' },
        list: [{ keep: 1, drop: 2 }],
      },
    };
    const before = structuredClone(body);
    assert.deepEqual(
      withoutFields(body, [
        ['spec', 'selector', 'app.kubernetes.io/name'],
        ['spec', 'list', 0, 'drop'],
        ['spec', 'missing', 'x'],
      ]),
      { spec: { selector: { matchLabels: { a: 'b' } }, list: [{ keep: 1 }] } },
    );
    assert.deepEqual(body, before);
  });
});

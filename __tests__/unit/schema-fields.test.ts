// Undeclared fields against an OpenAPI v3 document shaped like the API
// server's (policy/v1, trimmed to what a PodDisruptionBudget uses).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  kindSchema,
  type OpenApiDocument,
  schemaDocumentsNeeded,
  schemasOfKinds,
  undeclaredFields,
  undeclaredInObjects,
} from '../../src/preflight/schema-fields.js';

const ref = (name: string) => ({ allOf: [{ $ref: `#/components/schemas/${name}` }] });
const DOC: OpenApiDocument = {
  components: {
    schemas: {
      'io.k8s.api.policy.v1.PodDisruptionBudget': {
        type: 'object',
        properties: {
          apiVersion: { type: 'string' },
          kind: { type: 'string' },
          metadata: ref('io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta'),
          spec: ref('io.k8s.api.policy.v1.PodDisruptionBudgetSpec'),
        },
        'x-kubernetes-group-version-kind': [
          { group: 'policy', version: 'v1', kind: 'PodDisruptionBudget' },
        ],
      },
      'io.k8s.api.policy.v1.PodDisruptionBudgetSpec': {
        type: 'object',
        properties: {
          maxUnavailable: { 'x-kubernetes-int-or-string': true },
          selector: ref('io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector'),
        },
      },
      'io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector': {
        type: 'object',
        properties: {
          matchExpressions: { type: 'array', items: { type: 'object', properties: { key: {} } } },
          matchLabels: { type: 'object', additionalProperties: { type: 'string' } },
        },
      },
      'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta': {
        type: 'object',
        properties: {
          name: { type: 'string' },
          labels: { type: 'object', additionalProperties: { type: 'string' } },
        },
      },
    },
  },
};

const schema = kindSchema(DOC, 'policy', 'v1', 'PodDisruptionBudget');

describe('undeclaredFields', () => {
  it('finds the selector labels written beside matchLabels, and says they belong under it', () => {
    assert.ok(schema);
    const pdb = {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: 'x-daemon-pdb', labels: { 'any/label': 'is fine' } },
      spec: {
        maxUnavailable: 1,
        selector: { matchLabels: null, 'app.kubernetes.io/name': 'lily' },
      },
    };
    assert.deepEqual(undeclaredFields(pdb, schema, DOC), [
      {
        path: '.spec.selector.app.kubernetes.io/name',
        keys: ['spec', 'selector', 'app.kubernetes.io/name'],
        belongsUnder: '.spec.selector.matchLabels',
      },
    ]);
  });

  it('accepts a well-formed object, list items included', () => {
    assert.ok(schema);
    const pdb = {
      spec: {
        selector: { matchLabels: { a: 'b' }, matchExpressions: [{ key: 'k' }] },
      },
    };
    assert.deepEqual(undeclaredFields(pdb, schema, DOC), []);
  });

  it('reports a field inside a list item by its index', () => {
    assert.ok(schema);
    const pdb = { spec: { selector: { matchExpressions: [{ key: 'k', operater: 'In' }] } } };
    assert.deepEqual(undeclaredFields(pdb, schema, DOC), [
      {
        path: '.spec.selector.matchExpressions[0].operater',
        keys: ['spec', 'selector', 'matchExpressions', 0, 'operater'],
      },
    ]);
  });

  it('finds no schema for a kind the document does not hold', () => {
    assert.equal(kindSchema(DOC, 'apps', 'v1', 'StatefulSet'), undefined);
  });
});

describe('the documents the schema check reads', () => {
  const pdb = {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    body: {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: 'pdb' },
      spec: { selector: { matchLabels: null, 'app.kubernetes.io/name': 'lily' } },
    },
  };
  // Nothing but metadata, and a misspelt field in it.
  const account = {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    body: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'lily', lables: {} } },
  };

  it('leaves out a group-version whose objects have nothing but metadata: any document holds ObjectMeta', () => {
    assert.deepEqual(schemaDocumentsNeeded([account, pdb]), ['policy/v1']);
    assert.deepEqual(
      schemaDocumentsNeeded([account, { ...pdb, apiVersion: 'v1', kind: 'Service' }]),
      ['v1'],
      'an object with fields of its kind needs its own document',
    );
    assert.deepEqual(
      schemaDocumentsNeeded([account]),
      ['v1'],
      'one document when none else is read',
    );
    assert.deepEqual(schemaDocumentsNeeded([]), []);
  });

  it('still finds what the whole documents would: the misplaced selector, and the misspelt metadata through another document', () => {
    const found = undeclaredInObjects([account, pdb], new Map([['policy/v1', DOC]]));
    assert.deepEqual(
      found.map(({ object, fields }) => [object.kind, fields.map((f) => f.path)]),
      [
        ['ServiceAccount', ['.metadata.lables']],
        ['PodDisruptionBudget', ['.spec.selector.app.kubernetes.io/name']],
      ],
    );
  });

  it('does not judge an object with fields of its kind when no document declares it', () => {
    const service = { ...pdb, apiVersion: 'v1', kind: 'Service' };
    assert.deepEqual(undeclaredInObjects([service], new Map([['policy/v1', DOC]])), []);
  });
});

describe('schemasOfKinds', () => {
  const withOthers: OpenApiDocument = {
    components: {
      schemas: {
        ...DOC.components?.schemas,
        'io.k8s.api.policy.v1.Eviction': {
          type: 'object',
          properties: { deleteOptions: ref('io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions') },
          'x-kubernetes-group-version-kind': [{ group: 'policy', version: 'v1', kind: 'Eviction' }],
        },
        'io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions': { type: 'object' },
      },
    },
  };
  const pdbKind = { group: 'policy', version: 'v1', kind: 'PodDisruptionBudget' };

  it('keeps the kinds checked, ObjectMeta and every schema they refer to, nothing else', () => {
    const reduced = schemasOfKinds(withOthers, [pdbKind]);
    assert.deepEqual(Object.keys(reduced.components?.schemas ?? {}).sort(), [
      'io.k8s.api.policy.v1.PodDisruptionBudget',
      'io.k8s.api.policy.v1.PodDisruptionBudgetSpec',
      'io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector',
      'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta',
    ]);
    assert.deepEqual(
      Object.keys(schemasOfKinds(withOthers, []).components?.schemas ?? {}),
      ['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta'],
      'an object of nothing but metadata is checked against ObjectMeta',
    );
  });

  it('finds what the whole document finds', () => {
    const objects = [
      {
        apiVersion: 'policy/v1',
        kind: 'PodDisruptionBudget',
        body: {
          metadata: { name: 'x', lables: {} },
          spec: { selector: { matchLabels: {}, 'app.kubernetes.io/name': 'lily' }, surprise: 1 },
        },
      },
      { apiVersion: 'v1', kind: 'ServiceAccount', body: { metadata: { nmae: 'x' } } },
    ];
    const whole = undeclaredInObjects(objects, new Map([['policy/v1', withOthers]]));
    const reduced = undeclaredInObjects(
      objects,
      new Map([['policy/v1', schemasOfKinds(withOthers, [pdbKind])]]),
    );
    assert.equal(whole.length, 2);
    assert.deepEqual(reduced, whole);
  });
});

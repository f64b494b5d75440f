import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { explainClusterError } from '../../src/kube/cluster-errors.js';
import {
  isManagedFor,
  managedLabels,
  namespaceManifest,
  previewAnnotations,
  previewMarksOf,
  secretManifest,
} from '../../src/kube/objects.js';

describe('secretManifest', () => {
  it('carries the URL base64-encoded under the key, with our labels', () => {
    const manifest = secretManifest({
      name: 's',
      namespace: 'ns',
      key: 'url',
      value: 'postgres://x',
      release: 'r',
    }) as {
      data: Record<string, string>;
      metadata: { labels: Record<string, string> };
    };
    assert.equal(Buffer.from(manifest.data.url!, 'base64').toString(), 'postgres://x');
    assert.ok(isManagedFor(manifest.metadata.labels, 'r'));
    assert.ok(!isManagedFor(manifest.metadata.labels, 'other'));
    assert.ok(
      !isManagedFor({ ...managedLabels('r'), 'app.kubernetes.io/managed-by': 'Helm' }, 'r'),
    );
    assert.ok(!isManagedFor(undefined, 'r'));
  });
});

describe('preview marks', () => {
  const marks = {
    number: 42,
    repository: 'filecoin-project/lily',
    deployedAt: new Date('2026-12-02T10:00:00.000Z'),
  };

  it('are annotations a preview carries and reads back', () => {
    const annotations = previewAnnotations(marks);
    assert.deepEqual(annotations, {
      'lily-deploy/pull-request': '42',
      'lily-deploy/repository': 'filecoin-project/lily',
      'lily-deploy/deployed-at': '2026-12-02T10:00:00.000Z',
    });
    assert.deepEqual(previewMarksOf({ metadata: { annotations } }), marks);
  });

  it('are read only when all are there and valid', () => {
    const good = previewAnnotations(marks);
    const bad: Record<string, string>[] = [
      { 'lily-deploy/pull-request': '0' },
      { 'lily-deploy/pull-request': '4x2' },
      { 'lily-deploy/repository': 'lily' },
      { 'lily-deploy/repository': 'a/b/c' },
      { 'lily-deploy/deployed-at': 'yesterday' },
      { 'lily-deploy/deployed-at': '1' },
      { 'lily-deploy/deployed-at': '2026-13-45T99:00:00Z' },
    ];
    for (const change of bad) {
      const annotations = { ...good, ...change };
      assert.equal(
        previewMarksOf({ metadata: { annotations } }),
        undefined,
        JSON.stringify(change),
      );
    }
    for (const key of Object.keys(good)) {
      const annotations = Object.fromEntries(Object.entries(good).filter(([k]) => k !== key));
      assert.equal(previewMarksOf({ metadata: { annotations } }), undefined, `without ${key}`);
    }
    assert.equal(previewMarksOf({ metadata: {} }), undefined);
    assert.equal(previewMarksOf({}), undefined);
  });

  it('go on the namespace and Secret when given, and change nothing when not', () => {
    const annotations = previewAnnotations(marks);
    assert.deepEqual(namespaceManifest('ns', 'r'), {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'ns', labels: managedLabels('r') },
    });
    assert.deepEqual(namespaceManifest('ns', 'r', {}), namespaceManifest('ns', 'r'));
    const namespace = namespaceManifest('ns', 'r', annotations) as { metadata: object };
    assert.deepEqual(previewMarksOf(namespace), marks);
    const spec = { name: 's', namespace: 'ns', key: 'url', value: 'x', release: 'r' };
    assert.ok(!('annotations' in (secretManifest(spec) as { metadata: object }).metadata));
    const secret = secretManifest({ ...spec, annotations }) as { metadata: object };
    assert.deepEqual(previewMarksOf(secret), marks);
  });
});

describe('explainClusterError', () => {
  const cases: [string, RegExp | undefined][] = [
    [
      'The connection to the server 127.0.0.1:1 was refused - did you specify the right host or port?',
      /refused/,
    ],
    ['dial tcp: lookup k8s.invalid on 127.0.0.53:53: no such host', /does not resolve/],
    ['Unable to connect to the server: dial tcp 10.0.0.1:443: i/o timeout', /in time/],
    [
      'Unable to connect to the server: tls: failed to verify certificate: x509: certificate signed by unknown authority',
      /certificate/,
    ],
    ['error: You must be logged in to the server (Unauthorized)', /credentials/],
    [
      'Error from server (Forbidden): secrets is forbidden: User "ci" cannot create resource',
      /permission/,
    ],
    ['error: context "prod" does not exist', /kube-context/],
    ['Error: template: lily/templates/x.yaml:3: bad', undefined],
  ];
  for (const [output, reason] of cases) {
    it(output.slice(0, 50), () => {
      const got = explainClusterError(output);
      if (reason) assert.match(got ?? '', reason);
      else assert.equal(got, undefined);
    });
  }
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { explainClusterError } from '../../src/kube/cluster-errors.js';
import { isManagedFor, managedLabels, secretManifest } from '../../src/kube/objects.js';

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

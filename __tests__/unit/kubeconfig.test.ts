import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeKubeconfig } from '../../src/kubeconfig.js';

const KUBECONFIG = `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: "https://127.0.0.1:6443", certificate-authority-data: Q0EK}
contexts:
- {name: one, context: {cluster: c, user: token-user}}
- {name: two, context: {cluster: c, user: exec-user}}
current-context: one
users:
- name: token-user
  user: {token: tok-123456, client-key-data: S0VZ}
- name: exec-user
  user:
    exec:
      command: aws
      env: [{name: AWS_SECRET_ACCESS_KEY, value: aws-secret-789}]
- name: oidc-user
  user:
    auth-provider: {name: oidc, config: {id-token: idtok-1, client-secret: cs-2}}
`;

describe('decodeKubeconfig', () => {
  it('reads raw YAML, listing contexts and every credential', () => {
    const kc = decodeKubeconfig(KUBECONFIG);
    assert.ok(kc);
    assert.deepEqual(kc.contexts, ['one', 'two']);
    assert.deepEqual(
      new Set(kc.secrets),
      new Set(['tok-123456', 'S0VZ', 'aws-secret-789', 'idtok-1', 'cs-2']),
    );
  });

  it('reads base64, also wrapped over several lines', () => {
    const b64 = Buffer.from(KUBECONFIG)
      .toString('base64')
      .replace(/(.{60})/g, '$1\n');
    assert.equal(decodeKubeconfig(b64)?.text, KUBECONFIG);
  });

  it('refuses text that is neither', () => {
    assert.equal(decodeKubeconfig('hello world'), undefined);
    assert.equal(decodeKubeconfig(Buffer.from('just: yaml').toString('base64')), undefined);
    assert.equal(decodeKubeconfig('clusters: [unclosed'), undefined);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  chooseContext,
  decodeKubeconfig,
  KUBECONFIG_INPUT,
  kubeconfigContents,
  parseKubeconfig,
} from '../../src/kube/kubeconfig.js';
import {
  missingExecPluginMessage,
  noKubeconfigMessage,
  runnerKubeconfigFiles,
} from '../../src/kube/kubeconfig-source.js';

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

describe('chooseContext', () => {
  const kc = decodeKubeconfig(KUBECONFIG);
  assert.ok(kc);

  it('takes kube-context, else current-context, with the exec plugin its user runs', () => {
    assert.deepEqual(chooseContext(kc, undefined, KUBECONFIG_INPUT), { context: 'one' });
    assert.deepEqual(chooseContext(kc, 'two', KUBECONFIG_INPUT), {
      context: 'two',
      execCommand: 'aws',
    });
  });

  it('names the missing kube-context and the contexts there are', () => {
    assert.deepEqual(chooseContext(kc, 'three', KUBECONFIG_INPUT), {
      problem:
        "Input 'kube-context' is 'three', which the kubeconfig input does not define; it defines: one, two",
    });
  });

  it('names a current-context the kubeconfig does not define, or its absence', () => {
    const gone = { ...kc, currentContext: 'gone' };
    assert.deepEqual(chooseContext(gone, undefined, KUBECONFIG_INPUT), {
      problem:
        "Input 'kubeconfig' has current-context 'gone', which it does not define; it defines: one, two. Set kube-context to one of them",
    });
    const none = { ...kc, currentContext: '' };
    assert.match(
      (chooseContext(none, undefined, KUBECONFIG_INPUT) as { problem: string }).problem,
      /^Input 'kubeconfig' names no current-context .*: one, two$/,
    );
  });
});

describe('kubeconfigContents', () => {
  it('merges files as kubectl does: the first to set a context, user or current-context wins', () => {
    const first = parseKubeconfig(
      'current-context: a\ncontexts: [{name: a, context: {user: u}}]\nusers: [{name: u, user: {exec: {command: first-plugin}}}]\n',
    );
    const second = parseKubeconfig(
      'current-context: b\ncontexts: [{name: a, context: {user: v}}, {name: b, context: {user: u}}]\nusers: [{name: u, user: {exec: {command: second-plugin}}}, {name: v, user: {token: t-1}}]\n',
    );
    assert.ok(first && second);
    const merged = kubeconfigContents([first, second]);
    assert.deepEqual(merged.contexts, ['a', 'b']);
    assert.equal(merged.currentContext, 'a');
    assert.deepEqual(merged.execCommands, { a: 'first-plugin', b: 'first-plugin' });
    assert.deepEqual(merged.secrets, ['t-1']);
  });
});

describe('the runner kubeconfig', () => {
  it("is KUBECONFIG's list when set, else ~/.kube/config", () => {
    assert.deepEqual(runnerKubeconfigFiles(undefined, '/home/r'), ['/home/r/.kube/config']);
    assert.deepEqual(runnerKubeconfigFiles('/a:/b:', '/home/r'), ['/a', '/b']);
  });

  it('missing: the error names the three places looked at', () => {
    assert.equal(
      noKubeconfigMessage(undefined, '/home/r'),
      'No kubeconfig: the kubeconfig input is empty, KUBECONFIG is not set, and /home/r/.kube/config does not exist. ' +
        'Pass the cluster’s kubeconfig in the kubeconfig input (from a secret), or write one in an earlier step ' +
        '(for example aws eks update-kubeconfig, google-github-actions/get-gke-credentials or azure/aks-set-context).',
    );
    assert.match(
      noKubeconfigMessage('/tmp/k1:/tmp/k2', '/home/r'),
      /the kubeconfig input is empty, KUBECONFIG is set to \/tmp\/k1:\/tmp\/k2, none of which exists \(\/home\/r\/\.kube\/config is not read while KUBECONFIG is set\)/,
    );
  });

  it('an exec plugin not on PATH: the error names the plugin, the context and the other contexts', () => {
    const kc = decodeKubeconfig(KUBECONFIG);
    assert.ok(kc);
    assert.equal(
      missingExecPluginMessage(KUBECONFIG_INPUT, kc, 'two', 'aws'),
      "Input 'kubeconfig': context 'two' gets its credentials from the exec plugin 'aws', which is not on PATH. " +
        'Install it in an earlier step (EKS: the AWS CLI; GKE: gke-gcloud-auth-plugin; AKS: kubelogin), ' +
        'or choose another context with kube-context (the kubeconfig has: one, two)',
    );
  });
});

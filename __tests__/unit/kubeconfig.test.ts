import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  apiRoute,
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

describe('apiRoute', () => {
  const doc = (text: string) => {
    const parsed = parseKubeconfig(text);
    assert.ok(parsed);
    return parsed;
  };
  const kubeconfig = doc(KUBECONFIG);

  it('goes straight to the server with static credentials: the CA, a client certificate and key, a token', () => {
    const inline = doc(
      KUBECONFIG.replace(
        'user: {token: tok-123456, client-key-data: S0VZ}',
        'user: {token: tok-123456, client-certificate-data: Q0VSVA==, client-key-data: S0VZ}',
      ),
    );
    assert.deepEqual(apiRoute([{ doc: inline, dir: '/etc/kube' }], 'one', {}), {
      direct: {
        server: 'https://127.0.0.1:6443',
        insecure: false,
        ca: { pem: 'CA\n' },
        clientCertificate: { pem: 'CERT' },
        clientKey: { pem: 'KEY' },
        token: 'tok-123456',
      },
    });
  });

  it('reads files relative to the kubeconfig that names them, a token file too, and keeps the path prefix', () => {
    const files = doc(
      'clusters: [{name: c, cluster: {server: "https://proxy.example/k8s/clusters/c-1/", certificate-authority: ca.crt, tls-server-name: api.internal}}]\n' +
        'contexts: [{name: x, context: {cluster: c, user: u}}]\n' +
        'users: [{name: u, user: {client-certificate: /abs/cert.pem, client-key: keys/key.pem, tokenFile: token}}]\n',
    );
    assert.deepEqual(apiRoute([{ doc: files, dir: '/home/r/.kube' }], 'x', {}), {
      direct: {
        server: 'https://proxy.example/k8s/clusters/c-1',
        insecure: false,
        ca: { file: '/home/r/.kube/ca.crt' },
        clientCertificate: { file: '/abs/cert.pem' },
        clientKey: { file: '/home/r/.kube/keys/key.pem' },
        tlsServerName: 'api.internal',
        tokenFile: '/home/r/.kube/token',
      },
    });
    // The input has no folder of its own: its relative paths are left to kubectl.
    assert.deepEqual(apiRoute([{ doc: files }], 'x', {}), {
      viaKubectl: 'a path in the kubeconfig is relative to a file kubectl reads',
    });
  });

  it('leaves to kubectl what only kubectl does: exec plugins, auth providers, proxies, the system roots', () => {
    const withUser = (
      user: string,
      cluster = 'server: "https://h:6443", certificate-authority-data: Q0EK',
    ) =>
      doc(
        `clusters: [{name: c, cluster: {${cluster}}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\nusers: [{name: u, user: {${user}}}]\n`,
      );
    const cases: [Record<string, unknown>, NodeJS.ProcessEnv, string][] = [
      [withUser('exec: {command: aws}'), {}, "the context uses 'exec'"],
      [withUser('auth-provider: {name: oidc}'), {}, "the context uses 'auth-provider'"],
      [withUser('username: a, password: b'), {}, "the context uses 'username'"],
      [withUser('token: t, as: admin'), {}, "the context uses 'as'"],
      [
        withUser(
          'token: t',
          'server: "https://h", certificate-authority-data: Q0EK, proxy-url: "http://p:3128"',
        ),
        {},
        "the context uses 'proxy-url'",
      ],
      [withUser('token: t'), { HTTPS_PROXY: 'http://p:3128' }, 'HTTPS_PROXY is set'],
      [
        withUser(
          'token: t',
          'server: "https://h", certificate-authority-data: Q0EK, certificate-authority: /ca',
        ),
        {},
        'both certificate-authority and certificate-authority-data are set',
      ],
      [
        withUser('token: t', 'server: "https://h"'),
        {},
        'no certificate-authority: kubectl trusts the system roots',
      ],
      [
        withUser(
          'token: t',
          'server: "https://h", insecure-skip-tls-verify: true, certificate-authority-data: Q0EK',
        ),
        {},
        'both insecure-skip-tls-verify and a CA',
      ],
      [
        withUser('client-certificate-data: Q0VSVAo='),
        {},
        'a client certificate without its key (or a key without it)',
      ],
      [
        withUser('token: t', 'server: "h:6443", certificate-authority-data: Q0EK'),
        {},
        'the cluster has no http(s) server URL',
      ],
    ];
    for (const [config, env, why] of cases) {
      assert.deepEqual(apiRoute([{ doc: config, dir: '/k' }], 'x', env), { viaKubectl: why });
    }
    // Without a CA, only insecure-skip-tls-verify (or plain http) goes straight.
    assert.ok(
      'direct' in
        apiRoute(
          [{ doc: withUser('token: t', 'server: "https://h", insecure-skip-tls-verify: true') }],
          'x',
          {},
        ),
    );
    assert.ok(
      'direct' in
        apiRoute([{ doc: withUser('token: t', 'server: "http://h:8080"') }], 'x', {
          HTTPS_PROXY: 'http://p',
        }),
    );
  });

  it('takes each entry from the first file to name it, as kubectl merges KUBECONFIG', () => {
    const first = doc('users: [{name: token-user, user: {exec: {command: plugin}}}]\n');
    assert.deepEqual(apiRoute([{ doc: first }, { doc: kubeconfig }], 'one', {}), {
      viaKubectl: "the context uses 'exec'",
    });
    assert.deepEqual(apiRoute([{ doc: kubeconfig }], 'nowhere', {}), {
      viaKubectl: "context 'nowhere' has no settings",
    });
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

// The credentials production runs use: a ServiceAccount bound to `admin` in
// one namespace only, as a token and through an exec credential plugin; and
// kubeconfigs that cannot work, refused before anything is downloaded or the
// cluster is called. Real cluster (RBAC on), helm 3 and helm 4.
import assert from 'node:assert/strict';
import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { rootCertificates } from 'node:tls';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import * as yaml from 'js-yaml';
import { removeAtExit } from '../../test/support/cache.js';
import { deploy, uniqueName, useE2E } from '../../test/support/e2e.js';
import { type ActionResult, pathWith, scanForLeaks } from '../../test/support/runner.js';
import {
  FIXTURE_ROLE_RULES,
  kubeconfigFor,
  namespacedServiceAccount,
} from '../../test/support/service-account.js';
import { recordArgv } from '../../test/support/tool-shims.js';
import { type HelmMajor, helmTool } from '../../test/support/tools.js';

const env = useE2E();

const DAEMON = 'deploymentType: daemon\n';
const DB_URL = 'postgres://lily:Cnry-cred-pw-5e1d@postgres.db.svc:5432/chain';
const PLUGIN = 'lily-deploy-test-credential';

/** A directory holding the exec plugin: it prints an ExecCredential with the token it is given in its env. */
async function execPluginDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'lily-deploy-exec-plugin-'));
  removeAtExit(dir);
  await writeFile(
    join(dir, PLUGIN),
    `#!/bin/sh
printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s"}}' "$DEPLOYER_TOKEN"
`,
  );
  await chmod(join(dir, PLUGIN), 0o755);
  return dir;
}

function execUser(token: string): object {
  return {
    exec: {
      apiVersion: 'client.authentication.k8s.io/v1',
      command: PLUGIN,
      env: [{ name: 'DEPLOYER_TOKEN', value: token }],
      interactiveMode: 'Never',
    },
  };
}

/** A file holding `token`, as a projected ServiceAccount token is mounted. */
async function tokenFile(token: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'lily-deploy-token-file-'));
  removeAtExit(dir);
  await writeFile(join(dir, 'token'), token, { mode: 0o600 });
  return join(dir, 'token');
}

function errorsOf(result: ActionResult): string {
  return result.annotations
    .filter((a) => a.kind === 'error')
    .map((a) => a.message)
    .join('\n');
}

/** Runs the action with helm and kubectl recording their argv; fails the test on any leak of `token`. */
async function scannedDeploy(
  major: HelmMajor,
  inputs: Record<string, string>,
  token: string,
  pathDirs: string[] = [],
): Promise<ActionResult> {
  const tool = await helmTool(major);
  const toolCache = await mkdtemp(join(tmpdir(), 'lily-deploy-cred-tools-'));
  removeAtExit(toolCache);
  const argv = await recordArgv(tool, toolCache);
  const result = await deploy(env.e2e, major, inputs, {
    toolCache,
    env: { PATH: pathWith(argv.binDir, ...pathDirs) },
  });
  const scan = await scanForLeaks(result, [token], { extra: { argv: await argv.read() } });
  assert.deepEqual(scan.leaks, [], 'the token appears nowhere');
  assert.ok(scan.places.length > 10, `scanned ${scan.places.length} places`);
  return result;
}

/** A ServiceAccount bound to a Role of `rules` in a new namespace: its token, and a kubeconfig with it. */
async function roleAccount(
  namespace: string,
  rules: typeof FIXTURE_ROLE_RULES,
): Promise<{ token: string; kubeconfig: string }> {
  const token = await namespacedServiceAccount(env.kube, namespace, 'fixture-role', rules);
  return { token, kubeconfig: kubeconfigFor(env.e2e, namespace, { token }) };
}

/** Release `sa` and its database Secret are gone; the namespace (made by the test) stays. */
async function assertUninstalledKeepingNamespace(
  gone: ActionResult,
  namespace: string,
): Promise<void> {
  assert.equal(gone.exitCode, 0, gone.log);
  assert.equal(await env.kube.releaseStatus('sa', namespace), undefined, 'release gone');
  assert.equal(
    await env.kube.find(['get', 'secret', 'sa-lily-db', '-n', namespace]),
    undefined,
    'its database Secret is gone',
  );
  assert.ok(await env.kube.find(['get', 'namespace', namespace]), 'the namespace stays');
}

for (const major of [3, 4] as const) {
  for (const kind of ['token', 'token file', 'exec plugin'] as const) {
    describe(`a ServiceAccount with admin in one namespace only (${kind}), helm ${major}`, () => {
      it('deploys, upgrades, diagnoses a crash loop and uninstalls; the token appears nowhere', async () => {
        const namespace = uniqueName(`sa-${kind.replace(' ', '')}-h${major}`);
        const token = await namespacedServiceAccount(env.kube, namespace, 'admin');
        const pluginDirs = kind === 'exec plugin' ? [await execPluginDir()] : [];
        const user =
          kind === 'token'
            ? { token }
            : kind === 'token file'
              ? { tokenFile: await tokenFile(token) }
              : execUser(token);
        const kubeconfig = kubeconfigFor(env.e2e, namespace, user);
        const run = (inputs: Record<string, string>) =>
          scannedDeploy(major, { namespace, kubeconfig, ...inputs }, token, pluginDirs);

        const installed = await run({ release: 'sa', values: DAEMON, 'database-url': DB_URL });
        assert.equal(installed.exitCode, 0, installed.log);
        assert.match(
          installed.log,
          kind === 'exec plugin'
            ? /requests go through kubectl proxy \(the context uses 'exec'\)/
            : /requests go straight to https:\/\/127\.0\.0\.1:\d+ \(the kubeconfig's token\)/,
          'static credentials need no kubectl; an exec plugin is run by kubectl',
        );
        assert.equal(installed.outputs.revision, '1');
        assert.equal(installed.outputs.status, 'deployed');
        assert.match(
          installed.log,
          /access asked with 1 SelfSubjectRulesReview\(s\) and 0 SelfSubjectAccessReview\(s\)/,
          "the namespace's rules answer every check",
        );

        const upgraded = await run({
          release: 'sa',
          values: `${DAEMON}image:\n  tag: v0.12.1\n`,
          'database-url': DB_URL,
        });
        assert.equal(upgraded.exitCode, 0, upgraded.log);
        assert.equal(upgraded.outputs.revision, '2');
        assert.equal(
          (await env.kube.daemonStatefulSet('sa', namespace)).spec.template.spec.containers.find(
            (c) => c.name === 'daemon',
          )?.image,
          'filecoin/lily:v0.12.1',
        );

        const crashed = await run({
          release: 'sa-crash',
          values: `${DAEMON}test:\n  behavior: crash-loop\n`,
        });
        assert.equal(crashed.exitCode, 1);
        assert.equal(crashed.outputs['failure-reason'], 'crash-loop');
        assert.match(errorsOf(crashed), /lily-sa-crash-dev-mainnet-daemon-0 is crash-looping/);
        assert.match(crashed.log, /FATAL: could not connect to database \(fixture\)/);

        const gone = await run({ command: 'uninstall', release: 'sa' });
        await assertUninstalledKeepingNamespace(gone, namespace);
        // A RoleBinding of admin lets it read its own namespace: kept as one we did not create.
        assert.match(gone.summary, /namespace \S+ \(not created by lily-deploy for sa\)/);
        assert.equal(
          (await env.kube.releaseStatus('sa-crash', namespace))?.status,
          'failed',
          'the other release is untouched',
        );
      });
    });
  }
}

for (const major of [3, 4] as const) {
  describe(`a ServiceAccount that may not read its namespace, helm ${major}`, () => {
    it('deploys, and uninstall cleans up inside the namespace and keeps it, with a notice', async () => {
      const namespace = uniqueName(`sa-role-h${major}`);
      const token = await namespacedServiceAccount(env.kube, namespace, 'fixture-role');
      const kubeconfig = kubeconfigFor(env.e2e, namespace, { token });
      const installed = await scannedDeploy(
        major,
        { namespace, kubeconfig, release: 'sa', values: DAEMON, 'database-url': DB_URL },
        token,
      );
      assert.equal(installed.exitCode, 0, installed.log);
      assert.equal(installed.outputs.status, 'deployed');

      const gone = await scannedDeploy(
        major,
        { namespace, kubeconfig, command: 'uninstall', release: 'sa' },
        token,
      );
      await assertUninstalledKeepingNamespace(gone, namespace);
      assert.match(gone.summary, /namespace \S+ \(not readable with these credentials\)/);
      assert.ok(
        gone.annotations.some(
          (a) => a.kind === 'notice' && /may not read namespace/.test(a.message),
        ),
      );
    });
  });
}

for (const major of [3, 4] as const) {
  describe(`a ServiceAccount missing one permission, helm ${major}`, () => {
    it('gets the preflight table and a Role that grants it, and nothing is left changed', async () => {
      const namespace = uniqueName(`sa-nopdb-h${major}`);
      const withoutPdb = FIXTURE_ROLE_RULES.filter((r) => r.apiGroup !== 'policy');
      const { token, kubeconfig } = await roleAccount(namespace, withoutPdb);
      const result = await scannedDeploy(
        major,
        { namespace, kubeconfig, release: 'nopdb', values: DAEMON, 'database-url': DB_URL },
        token,
      );
      assert.equal(result.exitCode, 1);
      assert.equal(result.outputs['failure-reason'], 'access-denied');
      const error = errorsOf(result);
      assert.match(
        error,
        /\| policy \| poddisruptionbudgets \| \S+ \| get, list, watch, create, patch, update, delete \| the release \|/,
      );
      assert.match(
        error,
        /kind: Role[\s\S]*apiGroups: \[policy\][\s\S]*resources: \[poddisruptionbudgets\]/,
      );
      assert.match(
        result.log,
        /access asked with 1 SelfSubjectRulesReview\(s\) and 7 SelfSubjectAccessReview\(s\)/,
        'only the 7 verbs the rules do not allow are asked one by one',
      );
      assert.match(result.summary, /access-denied/);
      assert.equal(await env.kube.releaseStatus('nopdb', namespace), undefined);
      assert.equal(
        await env.kube.find(['get', 'secret', 'nopdb-lily-db', '-n', namespace]),
        undefined,
        'the database Secret this run wrote is taken back',
      );
    });
  });

  describe(`a ServiceAccount that may not list pods, helm ${major}`, () => {
    it("a deploy helm refuses fails with helm's own error, and says the pods could not be read", async () => {
      const namespace = uniqueName(`sa-nopods-h${major}`);
      const withoutPods = FIXTURE_ROLE_RULES.map((r) => ({
        ...r,
        resources: r.resources
          .split(',')
          .filter((resource) => resource !== 'pods')
          .join(','),
      }));
      const { token, kubeconfig } = await roleAccount(namespace, withoutPods);
      // A label value the API server refuses, whose words hold "timeout": helm fails by itself.
      const invalid = 'readiness timeoutSeconds: 5';
      const result = await scannedDeploy(
        major,
        {
          namespace,
          kubeconfig,
          release: 'nopods',
          values: `${DAEMON}labels:\n  lily-deploy.test/probe: '${invalid}'\n`,
          'database-url': DB_URL,
        },
        token,
      );
      assert.equal(result.exitCode, 1);
      assert.equal(result.outputs['failure-reason'], 'helm-error', result.log);
      const error = errorsOf(result);
      assert.match(error, /Deploy of nopods failed \(helm-error\): Error: /);
      assert.ok(error.includes(`Invalid value: "${invalid}"`), error);
      assert.match(result.summary, /helm said:/);
      assert.ok(result.summary.includes(`Invalid value: "${invalid}"`), result.summary);
      assert.ok(
        result.annotations.some(
          (a) =>
            a.kind === 'warning' &&
            a.properties.title === 'lily-deploy: diagnostics incomplete' &&
            /the release's pods: .*forbidden/.test(a.message),
        ),
        result.log,
      );
      assert.equal((await env.kube.releaseStatus('nopods', namespace))?.status, 'failed');
    });
  });

  describe(`a ServiceAccount that may not manage Leases, helm ${major}`, () => {
    it('deploys and uninstalls without the lock, with a warning saying what to grant', async () => {
      const namespace = uniqueName(`sa-nolease-h${major}`);
      const withoutLeases = FIXTURE_ROLE_RULES.filter((r) => r.apiGroup !== 'coordination.k8s.io');
      const { token, kubeconfig } = await roleAccount(namespace, withoutLeases);
      const inputs = { namespace, kubeconfig, release: 'nolease' };
      const warned = (result: ActionResult) =>
        result.annotations.some(
          (a) =>
            a.kind === 'warning' &&
            /may not manage Leases in namespace .*changed without the lock.*leases\.coordination\.k8s\.io/.test(
              a.message,
            ),
        );
      const deployed = await scannedDeploy(major, { ...inputs, values: DAEMON }, token);
      assert.equal(deployed.exitCode, 0, deployed.log);
      assert.equal(deployed.outputs.status, 'deployed');
      assert.ok(warned(deployed), deployed.log);
      const removed = await scannedDeploy(major, { ...inputs, command: 'uninstall' }, token);
      assert.equal(removed.exitCode, 0, removed.log);
      assert.ok(warned(removed), removed.log);
      assert.equal(await env.kube.releaseStatus('nolease', namespace), undefined);
    });
  });

  describe(`a kubeconfig that cannot work, helm ${major}`, () => {
    /** Runs the action; asserts it failed before downloading helm, reading the chart repository or running kubectl. */
    async function refused(
      inputs: Record<string, string>,
      extraEnv: Record<string, string> = {},
    ): Promise<string> {
      const requests = env.e2e.mirror.requests.length + env.e2e.repo.requests.length;
      const tool = await helmTool(major);
      const toolCache = await mkdtemp(join(tmpdir(), 'lily-deploy-cred-tools-'));
      removeAtExit(toolCache);
      const argv = await recordArgv(tool, toolCache);
      const result = await deploy(
        env.e2e,
        major,
        { release: 'nowhere', namespace: 'nowhere', ...inputs },
        { toolCache, env: { PATH: pathWith(argv.binDir, dirname(tool.kubectl)), ...extraEnv } },
      );
      assert.equal(result.exitCode, 1, result.log);
      assert.equal(
        env.e2e.mirror.requests.length + env.e2e.repo.requests.length,
        requests,
        'nothing was downloaded',
      );
      assert.equal(await argv.read(), '', 'neither helm nor kubectl ran');
      return errorsOf(result);
    }

    it('none anywhere: the error names the three places looked at', async () => {
      const error = await refused({ kubeconfig: '' });
      assert.match(
        error,
        /^No kubeconfig: the kubeconfig input is empty, KUBECONFIG is not set, and \/.*\/\.kube\/config does not exist\. Pass the cluster’s kubeconfig in the kubeconfig input/,
      );
    });

    it('KUBECONFIG naming a file that does not exist: the error says so', async () => {
      const error = await refused({ kubeconfig: '' }, { KUBECONFIG: '/nonexistent/kubeconfig' });
      assert.match(error, /KUBECONFIG is set to \/nonexistent\/kubeconfig, which does not exist/);
    });

    it("the runner's kubeconfig without the current-context: named, with the contexts it has", async () => {
      const dir = await mkdtemp(join(tmpdir(), 'lily-deploy-runner-kubeconfig-'));
      removeAtExit(dir);
      const path = join(dir, 'config');
      const doc = yaml.load(env.e2e.kubeconfig) as Record<string, unknown>;
      await writeFile(path, yaml.dump({ ...doc, 'current-context': 'production' }), {
        mode: 0o600,
      });
      const error = await refused({ kubeconfig: '' }, { KUBECONFIG: path });
      const contexts = (doc.contexts as { name: string }[]).map((c) => c.name).join(', ');
      assert.equal(
        error,
        `The runner's kubeconfig (${path}) has current-context 'production', which it does not define; it defines: ${contexts}. Set kube-context to one of them`,
      );
    });

    it('an exec plugin that is not on PATH: named, with the contexts there are; its token appears nowhere', async () => {
      const token = 'cnry-exec-token-5e1d';
      const kubeconfig = kubeconfigFor(env.e2e, 'nowhere', execUser(token));
      const requests = env.e2e.mirror.requests.length;
      const result = await scannedDeploy(major, { release: 'nowhere', kubeconfig }, token);
      assert.equal(result.exitCode, 1);
      assert.equal(env.e2e.mirror.requests.length, requests, 'nothing was downloaded');
      assert.equal(
        errorsOf(result),
        `Input 'kubeconfig': context 'deployer' gets its credentials from the exec plugin '${PLUGIN}', which is not on PATH. ` +
          'Install it in an earlier step (EKS: the AWS CLI; GKE: gke-gcloud-auth-plugin; AKS: kubelogin), ' +
          'or choose another context with kube-context (the kubeconfig has: deployer)',
      );
    });
  });
}

describe('a kubeconfig whose CA did not sign the API server', () => {
  it('fails as cluster-unreachable in the words of kubectl, tried once the direct TLS connection failed', async () => {
    const admin = yaml.load(env.e2e.kubeconfig) as {
      clusters: { cluster: Record<string, unknown> }[];
      users: { user: object }[];
    };
    const otherCa = Buffer.from(rootCertificates[0] ?? '').toString('base64');
    const kubeconfig = yaml.dump({
      ...admin,
      // The CA given inline only: kubectl refuses a kubeconfig that gives it both ways.
      clusters: admin.clusters.map(({ cluster, ...c }) => {
        const untrusted: Record<string, unknown> = {
          ...cluster,
          'certificate-authority-data': otherCa,
        };
        delete untrusted['certificate-authority'];
        return { ...c, cluster: untrusted };
      }),
    });
    const result = await deploy(env.e2e, 4, { release: 'untrusted', kubeconfig, values: DAEMON });
    assert.equal(result.exitCode, 1, result.log);
    assert.equal(result.outputs['failure-reason'], 'cluster-unreachable');
    assert.match(
      errorsOf(result),
      // (The runner masks each line of the kubeconfig input, `cluster:` among them.)
      /^Cannot use the Kubernetes .*the API server's TLS certificate is not trusted by the kubeconfig\.\nGET \/version: HTTP 500: tls: failed to verify certificate: x509: certificate signed by unknown authority$/,
    );
  });
});

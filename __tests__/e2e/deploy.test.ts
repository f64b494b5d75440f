// The happy path on a real control plane: install, upgrade, pinning, and the
// Secret and pod wiring, on Helm 3 and Helm 4.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Helm } from '../../src/helm/helm.js';
import { schemaCacheDir, schemaCacheKey } from '../../src/preflight/schema-cache.js';
import { removeAtExit } from '../../test/support/cache.js';
import { packageChartRepo, startChartRepo } from '../../test/support/chart-repo.js';
import { pathWith } from '../../test/support/runner.js';
import { recordArgv } from '../../test/support/tool-shims.js';
import {
  CHART_VERSIONS,
  deploy,
  FIXTURE_CHART,
  KWOK_SMALL_VALUES,
  README_VALUES,
  uniqueName,
  useE2E,
} from '../../test/support/e2e.js';
import { helmEnv, helmTool, runHelm, tempHelmHome } from '../../test/support/tools.js';

const PASSWORD = 'e2e p@ss:w/rd?#%+';

const env = useE2E();

for (const major of [3, 4] as const) {
  describe(`deploy with helm ${major}`, () => {
    const namespace = uniqueName(`deploy-h${major}`);
    const release = `lily-h${major}`;
    const base = {
      release,
      namespace,
      'create-namespace': 'true',
      values: 'deploymentType: daemon\n',
      'database-host': 'postgres.db.svc',
      'database-name': 'chain',
      'database-user': 'lily',
      'database-password': PASSWORD,
    };

    it('installs: revision 1, deployed, the Secret holds the exact URL, the pods read it', async () => {
      const result = await deploy(env.e2e, major, base);
      assert.equal(result.exitCode, 0, result.log);
      assert.equal(result.outputs.revision, '1');
      assert.equal(result.outputs.status, 'deployed');
      assert.equal(result.outputs['chart-version'], '0.1.4');
      assert.equal(result.outputs['app-version'], '0.12.0');
      assert.equal(result.outputs['secret-name'], `${release}-lily-db`);
      assert.match(result.outputs['helm-version'] ?? '', new RegExp(`^v${major}\\.`));

      const secret = await env.kube.json<{
        data: Record<string, string>;
        metadata: { labels: Record<string, string> };
      }>(['get', 'secret', `${release}-lily-db`, '-n', namespace]);
      assert.equal(
        Buffer.from(secret.data.url ?? '', 'base64').toString(),
        'postgres://lily:e2e%20p%40ss%3Aw%2Frd%3F%23%25%2B@postgres.db.svc:5432/chain?sslmode=require',
      );
      assert.equal(secret.metadata.labels['app.kubernetes.io/managed-by'], 'lily-deploy');

      const sts = await env.kube.daemonStatefulSet(release, namespace);
      assert.equal(sts.status.readyReplicas, sts.status.replicas);
      const containers = [
        ...sts.spec.template.spec.containers,
        ...(sts.spec.template.spec.initContainers ?? []),
      ];
      const daemon = containers.find((c) => c.name === 'daemon');
      const ref = daemon?.env?.find((e) => e.name === 'LILY_STORAGE_POSTGRESQL_DB_URL')?.valueFrom
        ?.secretKeyRef;
      assert.deepEqual(ref, { name: `${release}-lily-db`, key: 'url' });

      assert.match(result.summary, /\| Revision \| 1 \|/);
      assert.match(result.summary, /\| Status \| deployed \|/);
      assert.ok(!result.log.includes(PASSWORD));
    });

    it('upgrades with changed values and a new password to the next revision, and an identical third run succeeds', async () => {
      // Its own starting point, so that it passes alone as after the install test.
      const first = await deploy(env.e2e, major, base);
      assert.equal(first.exitCode, 0, first.log);
      const revision = Number(first.outputs.revision);
      const rotated = 'rotated p@ss';
      const second = await deploy(env.e2e, major, {
        ...base,
        'database-password': rotated,
        values: 'deploymentType: daemon\nimage:\n  tag: v0.12.1\n',
      });
      assert.equal(second.exitCode, 0, second.log);
      assert.equal(second.outputs.revision, String(revision + 1));
      // The existing Secret is applied over, by lily-deploy's field manager, the URL only in the request.
      assert.match(
        second.log,
        new RegExp(`Secret ${release}-lily-db updated by server-side apply \\(key 'url'`),
      );
      assert.ok(!second.log.includes(rotated));
      const secret = await env.kube.json<{
        data: Record<string, string>;
        metadata: { managedFields: { manager: string; operation: string }[] };
      }>(['get', 'secret', `${release}-lily-db`, '-n', namespace, '--show-managed-fields']);
      assert.equal(
        Buffer.from(secret.data.url ?? '', 'base64').toString(),
        'postgres://lily:rotated%20p%40ss@postgres.db.svc:5432/chain?sslmode=require',
      );
      assert.ok(
        secret.metadata.managedFields.some(
          (f) => f.manager === 'lily-deploy' && f.operation === 'Apply',
        ),
        JSON.stringify(secret.metadata.managedFields),
      );
      const sts = await env.kube.daemonStatefulSet(release, namespace);
      assert.equal(
        sts.spec.template.spec.containers.find((c) => c.name === 'daemon')?.image,
        'filecoin/lily:v0.12.1',
      );

      const third = await deploy(env.e2e, major, {
        ...base,
        values: 'deploymentType: daemon\nimage:\n  tag: v0.12.1\n',
      });
      assert.equal(third.exitCode, 0, third.log);
      assert.equal(third.outputs.revision, String(revision + 2));
      assert.equal(third.outputs.status, 'deployed');
    });

    it('follows the chart-version pin: an older version, then a prerelease', async () => {
      const older = await deploy(env.e2e, major, { ...base, 'chart-version': '0.1.3' });
      assert.equal(older.exitCode, 0, older.log);
      assert.equal(older.outputs['chart-version'], '0.1.3');
      const rc = await deploy(env.e2e, major, { ...base, 'chart-version': '0.1.5-rc1' });
      assert.equal(rc.exitCode, 0, rc.log);
      assert.equal(rc.outputs['chart-version'], '0.1.5-rc1');
      assert.equal((await env.kube.releaseStatus(release, namespace))?.chartVersion, '0.1.5-rc1');
    });

    if (major === 4)
      it("keeps the schema check's OpenAPI schemas in the tool cache, reduced to the kinds checked, and the next deploy reads them there", async () => {
        const toolCache = await mkdtemp(join(tmpdir(), 'lily-deploy-schemas-tools-'));
        removeAtExit(toolCache);
        const inputs = { ...base, namespace: uniqueName('schemas-h4') };
        const first = await deploy(env.e2e, major, inputs, { toolCache });
        assert.equal(first.exitCode, 0, first.log);
        // The entry of policy/v1 as the API server serves it now, for the chart's one kind there.
        const index = JSON.parse((await env.kube.run(['get', '--raw', '/openapi/v3'])).stdout) as {
          paths: Record<string, { serverRelativeURL: string }>;
        };
        const url = index.paths['apis/policy/v1']?.serverRelativeURL ?? '';
        const kept = join(
          schemaCacheDir(toolCache),
          `${schemaCacheKey(url, ['policy/v1/PodDisruptionBudget'])}.json`,
        );
        const doc = JSON.parse(await readFile(kept, 'utf8')) as {
          components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
        };
        const spec = doc.components.schemas['io.k8s.api.policy.v1.PodDisruptionBudgetSpec'];
        assert.ok(spec?.properties?.maxUnavailable, 'the kind checked and what it refers to');
        assert.equal(
          doc.components.schemas['io.k8s.api.policy.v1.Eviction'],
          undefined,
          'no other kind',
        );
        // A kept spec without maxUnavailable: the next deploy's warning names it, so the schemas it checked were these.
        delete spec.properties.maxUnavailable;
        await writeFile(kept, JSON.stringify(doc));
        const second = await deploy(env.e2e, major, inputs, { toolCache });
        assert.equal(second.exitCode, 0, second.log);
        assert.doesNotMatch(first.log, /\.spec\.maxUnavailable/);
        assert.match(second.log, /PodDisruptionBudget\/\S+ has fields[^\n]*\.spec\.maxUnavailable/);
      });

    it('on a cold runner, a helm download refused by its checksum changes nothing: the release, its lock, a new namespace', async () => {
      // The cluster is asked, the release read and its lock taken while helm downloads.
      const cold = () => mkdtemp(join(tmpdir(), 'lily-deploy-cold-tools-'));
      const refused = { 'helm-sha256': 'ab'.repeat(32) };
      const before = await env.kube.releaseStatus(release, namespace);
      const upgrade = await deploy(
        env.e2e,
        major,
        { ...base, ...refused },
        { toolCache: await cold() },
      );
      assert.equal(upgrade.exitCode, 1);
      assert.equal(upgrade.outputs['failure-reason'], 'helm-install', upgrade.log);
      assert.match(upgrade.log, /Checksum mismatch for .*helm-v.*expected abab/);
      assert.deepEqual(
        await env.kube.releaseStatus(release, namespace),
        before,
        'the release as it was',
      );
      assert.equal(
        await env.kube.find(['get', 'lease', `lily-deploy-${release}`, '-n', namespace]),
        undefined,
        'its lock released',
      );

      const fresh = uniqueName(`cold-h${major}`);
      const install = await deploy(
        env.e2e,
        major,
        { ...base, namespace: fresh, ...refused },
        { toolCache: await cold() },
      );
      assert.equal(install.outputs['failure-reason'], 'helm-install');
      assert.equal(
        await env.kube.find(['get', 'namespace', fresh]),
        undefined,
        'no namespace made',
      );
    });

    it("reports the version 'latest' resolved to", async () => {
      const result = await deploy(env.e2e, major, { ...base, 'chart-version': 'latest' });
      assert.equal(result.exitCode, 0, result.log);
      assert.equal(result.outputs['chart-version'], '0.1.4', 'latest is the newest stable version');
      assert.ok(
        result.annotations.some(
          (a) => a.kind === 'warning' && /chart-version is 'latest'/.test(a.message),
        ),
      );
    });
  });
}

for (const major of [3, 4] as const) {
  describe(`the chart pulled once, helm ${major}`, () => {
    it('reads the repository index and downloads the chart once; every helm command gets the archive, the upgrade without OpenAPI reads', async () => {
      const repo = await startChartRepo({ chartDir: FIXTURE_CHART, versions: CHART_VERSIONS });
      const toolCache = await mkdtemp(join(tmpdir(), 'lily-deploy-pull-tools-'));
      removeAtExit(toolCache);
      const argv = await recordArgv(await helmTool(major), toolCache);
      try {
        const result = await deploy(
          env.e2e,
          major,
          {
            release: 'pulled',
            namespace: uniqueName(`pulled-h${major}`),
            'create-namespace': 'true',
            'repo-url': repo.repoUrl,
            'chart-version': '0.1.5-rc1',
            values: 'deploymentType: daemon\n',
            'database-url': 'postgres://lily:pw@db:5432/chain',
          },
          { toolCache, env: { PATH: pathWith(argv.binDir) } },
        );
        assert.equal(result.exitCode, 0, result.log);
        assert.equal(result.outputs['chart-version'], '0.1.5-rc1');
        assert.equal(repo.count(repo.indexPath), 1, 'the index, read once, for the digest');
        const chart = repo.chart('0.1.5-rc1');
        assert.equal(repo.count(chart.path), 1, "the chart, by the action's own GET of its URL");
        assert.match(result.log, new RegExp(`Downloading ${repo.url}${chart.path}`));
        const helm = (await argv.read()).split('\n').filter((line) => line.startsWith('helm '));
        assert.deepEqual(
          helm.filter((line) => /filecoin\/|--repo|helm (show|repo|pull)/.test(line)),
          [],
          'no helm command reads the repository',
        );
        for (const command of ['helm template pulled ', 'helm upgrade --install pulled '])
          assert.match(
            helm.find((line) => line.startsWith(command)) ?? '',
            /^helm \S+ (--install )?pulled \/\S+\/lily-0\.1\.5-rc1\.tgz /,
            `${command}is given the downloaded archive`,
          );
        // The API server (1.36) validates fields itself: helm's OpenAPI validation would only read
        // its OpenAPI documents to learn so. helm template reads none.
        assert.match(
          helm.find((line) => line.startsWith('helm upgrade --install pulled ')) ?? '',
          / --disable-openapi-validation( |$)/,
        );
        assert.doesNotMatch(
          helm.find((line) => line.startsWith('helm template pulled ')) ?? '',
          /openapi/,
        );
      } finally {
        await repo.close();
      }
    });

    it('keeps the chart in the tool cache by version and digest: the next run downloads nothing, a chart republished under the same version is pulled again', async () => {
      const repo = await startChartRepo({ chartDir: FIXTURE_CHART, versions: CHART_VERSIONS });
      const toolCache = await mkdtemp(join(tmpdir(), 'lily-deploy-chart-cache-'));
      removeAtExit(toolCache);
      const inputs = {
        release: 'cached',
        namespace: uniqueName(`chart-cache-h${major}`),
        'create-namespace': 'true',
        'repo-url': repo.repoUrl,
        'chart-version': '0.1.4',
        values: 'deploymentType: daemon\n',
      };
      const argv = await recordArgv(await helmTool(major), toolCache);
      const run = () =>
        deploy(env.e2e, major, inputs, { toolCache, env: { PATH: pathWith(argv.binDir) } });
      const templatesOf = async (before: number) =>
        (await argv.read())
          .split('\n')
          .slice(before)
          .filter((line) => line.startsWith('helm template '));
      try {
        const chartPath = repo.chart('0.1.4').path;
        // The action's own GET of the archive fails once: helm pull fetches it instead.
        repo.fail(chartPath, { status: 503, times: 1 });
        const first = await run();
        assert.equal(first.exitCode, 0, first.log);
        assert.equal(repo.count(chartPath), 2, "the action's GET, then helm pull's");
        assert.match(
          first.log,
          /\[command\]helm pull http:\/\/127\.0\.0\.1:\d+\/.*lily-0\.1\.4\.tgz/,
        );
        assert.match(first.log, /Chart archive kept in the tool cache by its sha256 [0-9a-f]{64}/);

        const beforeSecond = (await argv.read()).split('\n').length - 1;
        const second = await run();
        assert.equal(second.exitCode, 0, second.log);
        // Rendered from the cached archive while the index was read: once, not again after it.
        const cachedArchive = `/lily-deploy-chart/${repo.chart('0.1.4').digest}/x64/lily-0.1.4.tgz`;
        assert.deepEqual(
          (await templatesOf(beforeSecond)).map((line) => line.includes(cachedArchive)),
          [true],
        );
        assert.equal(second.outputs.revision, '2');
        assert.equal(repo.count(chartPath), 2, 'the second run downloads no chart');
        assert.equal(repo.count(repo.indexPath), 2, 'each run reads the index, for the digest');
        assert.match(
          second.log,
          new RegExp(
            `Chart filecoin/lily 0\\.1\\.4 \\(sha256 ${repo.chart('0.1.4').digest}, as the repository index gives it\\) from the tool cache: not downloaded`,
          ),
        );

        // The same version published again with other content: another digest.
        const { charts } = await packageChartRepo({
          chartDir: FIXTURE_CHART,
          versions: [{ version: '0.1.4', appVersion: 'v0.99.0' }],
          root: repo.content.root,
          prefix: repo.content.prefix,
        });
        const republished = charts.find((c) => c.version === '0.1.4');
        assert.notEqual(republished?.digest, repo.chart('0.1.4').digest);
        const beforeThird = (await argv.read()).split('\n').length - 1;
        const third = await run();
        assert.equal(third.exitCode, 0, third.log);
        // The cached archive's render (a guess the index proved wrong) is not the one judged.
        assert.ok(
          (await templatesOf(beforeThird)).some(
            (line) => !line.includes(cachedArchive) && line.includes('/chart/lily-0.1.4.tgz '),
          ),
          'the republished archive, as downloaded, is rendered',
        );
        assert.equal(repo.count(chartPath), 3, 'the changed chart is downloaded, not served stale');
        assert.doesNotMatch(third.log, /\[command\]helm pull/, 'by the action itself');
        assert.equal(third.outputs['app-version'], 'v0.99.0');
        assert.doesNotMatch(third.log, /from the tool cache: not downloaded/);
      } finally {
        await repo.close();
      }
    });
  });
}

for (const major of [3, 4] as const) {
  describe(`with HELM_DRIVER=configmap, helm ${major}`, () => {
    const extra = { env: { HELM_DRIVER: 'configmap' } };
    const daemon = 'deploymentType: daemon\n';
    // As a user of the README installs the chart by hand: Helm 4 must apply it
    // client-side, or it refuses the chart's daemon PodDisruptionBudget.
    const HEALTHY_FLAGS = [
      '--values',
      README_VALUES,
      '--values',
      KWOK_SMALL_VALUES,
      ...(major === 4 ? ['--server-side=false'] : []),
    ];
    /** Plain helm in one namespace with HELM_DRIVER=configmap, as a workflow's own helm step. */
    const plainHelm = async (namespace: string) => {
      const tool = await helmTool(major);
      const home = await tempHelmHome();
      const driverEnv = { KUBECONFIG: env.e2e.kubeconfigPath, HELM_DRIVER: 'configmap' };
      return {
        run: (args: string[]) =>
          runHelm(tool, [...args, '--namespace', namespace], { home, env: driverEnv }),
        wrapper: new Helm(tool.helm, major, helmEnv(home, driverEnv)),
      };
    };

    it('reads the release records from the ConfigMaps, and deploys and upgrades the same', async () => {
      const namespace = uniqueName(`driver-h${major}`);
      const inputs = { release: 'cm', namespace, 'create-namespace': 'true', values: daemon };
      const first = await deploy(env.e2e, major, inputs, extra);
      assert.equal(first.exitCode, 0, first.log);
      const second = await deploy(
        env.e2e,
        major,
        { ...inputs, values: `${daemon}image:\n  tag: v0.12.1\n` },
        extra,
      );
      assert.equal(second.exitCode, 0, second.log);
      assert.equal(second.outputs.revision, '2');
      assert.equal(second.outputs['chart-version'], '0.1.4');
      assert.match(second.summary, /Chart notes/);
      const records = await env.kube.json<{ items: unknown[] }>([
        'get',
        'configmaps',
        '-n',
        namespace,
        '-l',
        'owner=helm,name=cm',
      ]);
      assert.equal(records.items.length, 2, 'helm kept its records in ConfigMaps');
    });

    it('uninstall keeps the namespace it created while a release installed by plain helm lives in it', async () => {
      const namespace = uniqueName(`driver-shared-h${major}`);
      const ours = await deploy(
        env.e2e,
        major,
        { release: 'a', namespace, 'create-namespace': 'true', values: daemon },
        extra,
      );
      assert.equal(ours.exitCode, 0, ours.log);
      const helm = await plainHelm(namespace);
      await helm.run(['install', 'b', FIXTURE_CHART, ...HEALTHY_FLAGS]);

      const gone = await deploy(
        env.e2e,
        major,
        { command: 'uninstall', release: 'a', namespace },
        extra,
      );
      assert.equal(gone.exitCode, 0, gone.log);
      const kept = await env.kube.find<{ status: { phase: string } }>([
        'get',
        'namespace',
        namespace,
      ]);
      assert.equal(kept?.status.phase, 'Active', 'the namespace stays with release b');
      const b = JSON.parse((await helm.run(['status', 'b', '-o', 'json'])).stdout) as {
        info: { status: string };
      };
      assert.equal(b.info.status, 'deployed', 'release b is still deployed');
      assert.equal(
        await env.kube
          .find(['get', 'statefulset', 'lily-b-dev-mainnet-daemon', '-n', namespace])
          .then((sts) => sts !== undefined),
        true,
        "release b's StatefulSet is still there",
      );
      assert.match(
        gone.summary,
        new RegExp(`namespace ${namespace} \\(it holds other releases: b\\)`),
      );
      const deleted = JSON.parse(gone.outputs.deleted ?? '[]') as { kind: string }[];
      assert.ok(!deleted.some((d) => d.kind === 'Namespace'), 'no namespace in deleted');
    });

    it('the helm wrapper lists the releases of every status (what other drivers rely on)', async () => {
      const namespace = uniqueName(`driver-list-h${major}`);
      await env.kube.run(['create', 'namespace', namespace]);
      const helm = await plainHelm(namespace);
      await helm.run(['install', 'healthy', FIXTURE_CHART, ...HEALTHY_FLAGS]);
      // Helm 3 lists an uninstalled release whose history is kept only when asked for all.
      await helm.run(['install', 'kept', FIXTURE_CHART, ...HEALTHY_FLAGS]);
      await helm.run(['uninstall', 'kept', '--keep-history']);
      const names = await helm.wrapper.list(namespace);
      assert.deepEqual(names.sort(), ['healthy', 'kept']);
    });
  });
}

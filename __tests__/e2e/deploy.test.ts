// The happy path on a real control plane: install, upgrade, pinning, and the
// Secret and pod wiring, on Helm 3 and Helm 4.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deploy, uniqueName, useE2E } from '../../test/support/e2e.js';

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

    it('upgrades with changed values to revision 2, and an identical third run succeeds', async () => {
      const second = await deploy(env.e2e, major, {
        ...base,
        values: 'deploymentType: daemon\nimage:\n  tag: v0.12.1\n',
      });
      assert.equal(second.exitCode, 0, second.log);
      assert.equal(second.outputs.revision, '2');
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
      assert.equal(third.outputs.revision, '3');
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

describe('with HELM_DRIVER=configmap', () => {
  it('asks helm itself for the release records, and deploys and upgrades the same', async () => {
    const namespace = uniqueName('driver');
    const inputs = {
      release: 'cm',
      namespace,
      'create-namespace': 'true',
      values: 'deploymentType: daemon\n',
    };
    const extra = { env: { HELM_DRIVER: 'configmap' } };
    const first = await deploy(env.e2e, 4, inputs, extra);
    assert.equal(first.exitCode, 0, first.log);
    const second = await deploy(
      env.e2e,
      4,
      { ...inputs, values: 'deploymentType: daemon\nimage:\n  tag: v0.12.1\n' },
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
});

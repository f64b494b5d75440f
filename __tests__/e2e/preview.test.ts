// PR preview releases on a real control plane, Helm 3 and Helm 4: opened,
// synchronized, closed (twice), with GitHub Deployments on a local API server.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { deploy, useE2E } from '../../test/support/e2e.js';
import { GithubApi } from '../../test/support/github-api.js';

const env = useE2E();
let api: GithubApi;

before(async () => {
  api = await GithubApi.start();
});
after(() => api.close());

const VALUES = 'deploymentType: daemon\ndaemon:\n  volumes:\n    datastore:\n      enabled: true\n';
const HEAD = 'b'.repeat(40);

/** The environment of a run started by a pull_request event with this action. */
function pullRequestEvent(number: number, action: string): Promise<Record<string, string>> {
  return api.pullRequestRun(number, action, { headSha: HEAD });
}

async function exists(args: string[]): Promise<boolean> {
  return (await env.kube.find(args)) !== undefined;
}

for (const major of [3, 4] as const) {
  describe(`PR previews with helm ${major}`, () => {
    const number = 100 + major;
    const release = `lily-pr-${number}`;
    const preview = {
      release: 'lily',
      preview: 'true',
      'github-token': 'ghs_canaryToken123',
      'environment-url': `https://pr-${number}.lily.example`,
      'database-url': 'postgres://lily:pw@db:5432/chain?sslmode=require',
    };

    it('opened: a release and a namespace of its own, Ready, and a successful GitHub deployment', async () => {
      const result = await deploy(
        env.e2e,
        major,
        { ...preview, values: VALUES },
        { env: await pullRequestEvent(number, 'opened') },
      );
      assert.equal(result.exitCode, 0, result.log);
      assert.equal(result.outputs['preview-release'], release);
      assert.equal(result.outputs['preview-namespace'], release);
      assert.equal(result.outputs.revision, '1');
      const ns = await env.kube.json<{ metadata: { labels: Record<string, string> } }>([
        'get',
        'namespace',
        release,
      ]);
      assert.equal(ns.metadata.labels['lily-deploy/release'], release);
      const sts = await env.kube.json<{ status: { readyReplicas?: number } }>([
        'get',
        'statefulset',
        `lily-${release}-dev-mainnet-daemon`,
        '-n',
        release,
      ]);
      assert.equal(sts.status.readyReplicas, 1);

      const created = api.requests.filter(
        (r) => r.method === 'POST' && r.path.endsWith('/deployments'),
      );
      const mine = created.at(-1);
      assert.ok(mine?.body);
      assert.equal(mine.body.environment, `preview/pr-${number}`);
      assert.equal(mine.body.ref, HEAD);
      assert.equal(mine.body.transient_environment, true);
      assert.equal(mine.authorization, 'Bearer ghs_canaryToken123');
      const deployment = api.deployments.at(-1);
      assert.deepEqual(deployment?.statuses, ['in_progress', 'success']);
      const success = api.requests.filter((r) => r.body?.state === 'success').at(-1);
      assert.ok(success?.body);
      assert.equal(success.body.environment_url, `https://pr-${number}.lily.example`);
      assert.equal(
        success.body.log_url,
        'https://github.example/octo/lily-infra/actions/runs/4242',
      );
      assert.ok(!result.log.includes('ghs_canaryToken123'));
    });

    // Each test brings the pull request to the state it starts from, so that it passes alone.
    const bringTo = async (action: 'opened' | 'closed') => {
      const result = await deploy(
        env.e2e,
        major,
        { ...preview, values: VALUES },
        { env: await pullRequestEvent(number, action) },
      );
      assert.equal(result.exitCode, 0, result.log);
      return result;
    };

    it('synchronize with new values: the next revision', async () => {
      const opened = await bringTo('opened');
      const result = await deploy(
        env.e2e,
        major,
        { ...preview, values: `${VALUES}image:\n  tag: v0.12.1\n` },
        {
          env: await pullRequestEvent(number, 'synchronize'),
        },
      );
      assert.equal(result.exitCode, 0, result.log);
      assert.equal(result.outputs.revision, String(Number(opened.outputs.revision) + 1));
    });

    it('closed: the release, its PVCs, our Secret and our namespace are gone; the deployments are inactive', async () => {
      await bringTo('opened');
      const claim = `datastore-volume-lily-${release}-dev-mainnet-daemon-0`;
      assert.ok(await exists(['get', 'pvc', claim, '-n', release]), 'the PVC exists before');
      const result = await deploy(env.e2e, major, preview, {
        env: await pullRequestEvent(number, 'closed'),
      });
      assert.equal(result.exitCode, 0, result.log);
      assert.deepEqual(JSON.parse(result.outputs.deleted ?? '[]'), [
        { kind: 'HelmRelease', namespace: release, name: release },
        { kind: 'PersistentVolumeClaim', namespace: release, name: claim },
        { kind: 'Secret', namespace: release, name: `${release}-lily-db` },
        { kind: 'Namespace', name: release },
      ]);
      assert.equal(await env.kube.releaseStatus(release, release), undefined);
      assert.ok(!(await exists(['get', 'namespace', release])), 'the namespace is gone');
      assert.match(result.summary, /Deleted:[\s\S]*PersistentVolumeClaim/);
      const mine = api.deployments.filter((d) => d.environment === `preview/pr-${number}`);
      assert.ok(mine.length >= 1);
      for (const d of mine) assert.equal(d.statuses.at(-1), 'inactive');
    });

    it('closed again: succeeds with a notice, deleting nothing', async () => {
      await bringTo('closed');
      const result = await deploy(env.e2e, major, preview, {
        env: await pullRequestEvent(number, 'closed'),
      });
      assert.equal(result.exitCode, 0, result.log);
      assert.deepEqual(JSON.parse(result.outputs.deleted ?? ''), []);
      assert.ok(
        result.annotations.some((a) => a.kind === 'notice' && /is not installed/.test(a.message)),
      );
    });
  });
}

for (const major of [3, 4] as const) {
  describe(`two repositories previewing release lily in one cluster, helm ${major}`, () => {
    const number = 200 + major;
    const A = 'octo/lily-infra';
    const B = 'octo/lily-archive';
    const name = `lily-pr-${number}`;
    const inputs = {
      release: 'lily',
      preview: 'true',
      'database-url': 'postgres://lily:pw@db:5432/chain',
      values: VALUES,
    };
    const run = async (repository: string, action: string, more: Record<string, string> = {}) =>
      deploy(
        env.e2e,
        major,
        { ...inputs, ...more },
        {
          env: await api.pullRequestRun(number, action, { repository, headSha: HEAD }),
        },
      );
    const secretRepository = async () =>
      (
        await env.kube.json<{ metadata: { annotations: Record<string, string> } }>([
          'get',
          'secret',
          `${name}-lily-db`,
          '-n',
          name,
        ])
      ).metadata.annotations['lily-deploy/repository'];
    let shared = '';

    after(async () => {
      await env.kube.run([
        'delete',
        'namespace',
        name,
        ...(shared ? [shared] : []),
        '--ignore-not-found',
        '--wait=false',
      ]);
    });

    it("refuses B's deploy and B's uninstall over A's preview, which stays as it was", async () => {
      const a = await run(A, 'opened');
      assert.equal(a.exitCode, 0, a.log);
      const b = await run(B, 'opened');
      assert.notEqual(b.exitCode, 0, 'refused');
      assert.match(
        b.log,
        new RegExp(
          `namespace ${name} holds the preview of ${A}#${number}, not the preview of ${B}#${number}.*shared-release: true`,
        ),
      );
      assert.equal(await secretRepository(), A, "A's Secret and marks are not overwritten");
      assert.deepEqual(await env.kube.releaseStatus(name, name).then((r) => r?.revision), 1);
      const closedB = await run(B, 'closed');
      assert.notEqual(closedB.exitCode, 0, "B's close does not uninstall A's preview");
      assert.equal((await env.kube.releaseStatus(name, name))?.status, 'deployed');
      assert.ok(await exists(['get', 'namespace', name]), "A's namespace stays");
    });

    it("with shared-release, B's preview has names of its own, and A's close leaves it alone", async () => {
      const b = await run(B, 'opened', { 'shared-release': 'true' });
      assert.equal(b.exitCode, 0, b.log);
      shared = b.outputs['preview-release'] ?? '';
      assert.match(shared, new RegExp(`^lily-[0-9a-f]{6}-pr-${number}$`));
      assert.equal(b.outputs['preview-namespace'], shared);
      const closedA = await run(A, 'closed');
      assert.equal(closedA.exitCode, 0, closedA.log);
      assert.equal(await env.kube.releaseStatus(name, name), undefined, "A's preview is gone");
      assert.equal((await env.kube.releaseStatus(shared, shared))?.status, 'deployed', "B's stays");
      assert.ok(await exists(['get', 'namespace', shared]), "B's namespace stays");
      const closedB = await run(B, 'closed', { 'shared-release': 'true' });
      assert.equal(closedB.exitCode, 0, closedB.log);
      assert.equal(await env.kube.releaseStatus(shared, shared), undefined);
    });

    it("refuses a preview's namespace lily-deploy did not create, writing no Secret there", async () => {
      const other = number + 10;
      const taken = `lily-pr-${other}`;
      await env.kube.run(['create', 'namespace', taken]);
      try {
        const result = await deploy(env.e2e, major, inputs, {
          env: await api.pullRequestRun(other, 'opened', { repository: A, headSha: HEAD }),
        });
        assert.notEqual(result.exitCode, 0);
        assert.match(
          result.log,
          new RegExp(
            `Namespace ${taken} exists and lily-deploy did not create it for preview ${taken}`,
          ),
        );
        assert.ok(!(await exists(['get', 'secret', `${taken}-lily-db`, '-n', taken])), 'no Secret');
        assert.equal(await env.kube.releaseStatus(taken, taken), undefined, 'no release');
        assert.ok(await exists(['get', 'namespace', taken]), 'the namespace is left as it is');
      } finally {
        await env.kube.run(['delete', 'namespace', taken, '--wait=false']);
      }
    });
  });
}

describe('uninstall keeps what lily-deploy did not create', () => {
  it('a namespace given by the workflow and a Secret of someone else survive; ours go', async () => {
    const namespace = 'shared-previews';
    await env.kube.run(['create', 'namespace', namespace]);
    await env.kube.run([
      'create',
      'secret',
      'generic',
      'team-credentials',
      '-n',
      namespace,
      '--from-literal=k=v',
    ]);
    const inputs = {
      release: 'lily',
      namespace,
      preview: 'true',
      'database-url': 'postgres://lily:pw@db:5432/chain',
      values: VALUES,
    };
    const opened = await deploy(env.e2e, 4, inputs, { env: await pullRequestEvent(7, 'opened') });
    assert.equal(opened.exitCode, 0, opened.log);
    assert.equal(opened.outputs['preview-namespace'], namespace);
    const closed = await deploy(env.e2e, 4, inputs, { env: await pullRequestEvent(7, 'closed') });
    assert.equal(closed.exitCode, 0, closed.log);
    const deleted = JSON.parse(closed.outputs.deleted ?? '[]') as { kind: string }[];
    assert.deepEqual(
      deleted.map((d) => d.kind),
      ['HelmRelease', 'PersistentVolumeClaim', 'Secret'],
    );
    assert.ok(
      await exists(['get', 'namespace', namespace]),
      'the namespace we did not create survives',
    );
    assert.ok(
      await exists(['get', 'secret', 'team-credentials', '-n', namespace]),
      'their Secret survives',
    );
    assert.ok(
      !(await exists(['get', 'secret', 'lily-pr-7-lily-db', '-n', namespace])),
      'ours is gone',
    );
    assert.match(
      closed.summary,
      /Kept:[\s\S]*namespace shared-previews \(not created by lily-deploy/,
    );
  });

  it('a namespace lily-deploy created stays while another release lives in it', async () => {
    const namespace = 'shared-by-two';
    const first = await deploy(env.e2e, 4, {
      release: 'first',
      namespace,
      'create-namespace': 'true',
      values: VALUES,
    });
    assert.equal(first.exitCode, 0, first.log);
    const second = await deploy(env.e2e, 4, { release: 'second', namespace, values: VALUES });
    assert.equal(second.exitCode, 0, second.log);
    const gone = await deploy(env.e2e, 4, { command: 'uninstall', release: 'first', namespace });
    assert.equal(gone.exitCode, 0, gone.log);
    assert.ok(await exists(['get', 'namespace', namespace]), 'the namespace stays');
    assert.equal((await env.kube.releaseStatus('second', namespace))?.status, 'deployed');
    assert.match(gone.summary, /namespace shared-by-two \(it holds other releases: second\)/);
  });

  it('makes no GitHub call without a token', async () => {
    const before = api.requests.length;
    const result = await deploy(
      env.e2e,
      4,
      { release: 'lily', preview: 'true', values: VALUES },
      { env: await pullRequestEvent(8, 'opened') },
    );
    assert.equal(result.exitCode, 0, result.log);
    const closed = await deploy(
      env.e2e,
      4,
      { release: 'lily', preview: 'true' },
      { env: await pullRequestEvent(8, 'closed') },
    );
    assert.equal(closed.exitCode, 0, closed.log);
    assert.equal(api.requests.length, before);
  });
});

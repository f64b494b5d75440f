// command sweep on a real control plane, Helm 3 and Helm 4: previews of pull
// requests open, closed, merged, open but idle, of another repository and
// unreadable, beside a namespace and a Secret lily-deploy did not make, and a
// release installed with plain helm beside a Secret forged to look like the
// closed pull request's preview.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  deploy,
  FIXTURE_CHART,
  KWOK_SMALL_VALUES,
  README_VALUES,
  uniqueName,
  useE2E,
} from '../../test/support/e2e.js';
import { GithubApi } from '../../test/support/github-api.js';
import { helmTool, runHelm, tempHelmHome } from '../../test/support/tools.js';

const env = useE2E();
let api: GithubApi;

before(async () => {
  api = await GithubApi.start();
});
after(() => api.close());

const REPOSITORY = 'octo/lily-infra';
const OTHER_REPOSITORY = 'octo/lily-archive';
const TOKEN = 'ghs_sweepCanary42';
const VALUES = 'deploymentType: daemon\ndaemon:\n  volumes:\n    datastore:\n      enabled: true\n';
const TEN_DAYS_AGO = new Date(Date.now() - 10 * 24 * 3_600_000).toISOString();

async function exists(args: string[]): Promise<boolean> {
  return (await env.kube.find(args)) !== undefined;
}

interface Swept {
  release: string;
  namespace: string;
  repository: string;
  pullRequest: number;
  why: string;
}

for (const major of [3, 4] as const) {
  describe(`command sweep with helm ${major}`, () => {
    const n = major * 100;
    const pr = {
      open: n + 1,
      closed: n + 2,
      merged: n + 3,
      idle: n + 4,
      otherRepository: n + 5,
      unreadable: n + 6,
    };
    const release = (number: number) => `lily-pr-${number}`;
    const claim = (number: number) =>
      `datastore-volume-lily-${release(number)}-dev-mainnet-daemon-0`;
    const foreign = `not-ours-${major}`;
    // A release installed with plain helm, and a Secret anyone who may create
    // one there labelled and marked as the closed pull request's preview of it.
    const prod = uniqueName(`prod-h${major}`);
    const plain = 'prod-db';
    const sweepInputs = (inputs: Record<string, string>) =>
      deploy(
        env.e2e,
        major,
        { command: 'sweep', 'github-token': TOKEN, 'preview-ttl': '72h', ...inputs },
        { env: api.env() },
      );

    before(async () => {
      api.pullRequests.set(`${REPOSITORY}#${pr.open}`, { state: 'open' });
      api.pullRequests.set(`${REPOSITORY}#${pr.closed}`, { state: 'closed' });
      api.pullRequests.set(`${REPOSITORY}#${pr.merged}`, { state: 'closed', merged: true });
      api.pullRequests.set(`${REPOSITORY}#${pr.idle}`, { state: 'open' });
      api.pullRequests.set(`${OTHER_REPOSITORY}#${pr.otherRepository}`, { state: 'closed' });
      api.pullRequests.set(`${REPOSITORY}#${pr.unreadable}`, { status: 502 });
      const previews = [
        [pr.open, REPOSITORY],
        [pr.closed, REPOSITORY],
        [pr.merged, REPOSITORY],
        [pr.idle, REPOSITORY],
        [pr.otherRepository, OTHER_REPOSITORY],
        [pr.unreadable, REPOSITORY],
      ] as const;
      // Three at a time: a deploy is a few processes, and the machine may be small.
      for (const batch of [previews.slice(0, 3), previews.slice(3)]) {
        await Promise.all(
          batch.map(async ([number, repository]) => {
            const result = await deploy(
              env.e2e,
              major,
              {
                release: 'lily',
                preview: 'true',
                'github-token': TOKEN,
                'database-url': 'postgres://lily:pw@db:5432/chain',
                values: VALUES,
              },
              { env: await api.pullRequestRun(number, 'opened', { repository }) },
            );
            assert.equal(result.exitCode, 0, result.log);
          }),
        );
      }
      // The idle preview: last deployed ten days ago, as its marks say.
      const mark = `lily-deploy/deployed-at=${TEN_DAYS_AGO}`;
      const idle = release(pr.idle);
      await env.kube.run(['annotate', '--overwrite', 'namespace', idle, mark]);
      await env.kube.run([
        'annotate',
        '--overwrite',
        'secret',
        `${idle}-lily-db`,
        '-n',
        idle,
        mark,
      ]);
      // What lily-deploy did not make, marked as if it were the closed pull request's preview.
      const marks = [
        `lily-deploy/pull-request=${pr.closed}`,
        `lily-deploy/repository=${REPOSITORY}`,
        `lily-deploy/deployed-at=${TEN_DAYS_AGO}`,
      ];
      await env.kube.run(['create', 'namespace', foreign]);
      await env.kube.run(['annotate', 'namespace', foreign, ...marks]);
      await env.kube.run([
        'create',
        'secret',
        'generic',
        'team-db',
        '-n',
        foreign,
        '--from-literal=url=x',
      ]);
      await env.kube.run(['annotate', 'secret', 'team-db', '-n', foreign, ...marks]);

      await env.kube.run(['create', 'namespace', prod]);
      const tool = await helmTool(major);
      await runHelm(
        tool,
        [
          'install',
          plain,
          FIXTURE_CHART,
          '--namespace',
          prod,
          '--values',
          README_VALUES,
          '--values',
          KWOK_SMALL_VALUES,
          ...(major === 4 ? ['--server-side=false'] : []),
        ],
        { home: await tempHelmHome(), env: { KUBECONFIG: env.e2e.kubeconfigPath } },
      );
      await env.kube.run([
        'create',
        'secret',
        'generic',
        'forged',
        '-n',
        prod,
        '--from-literal=x=y',
      ]);
      await env.kube.run([
        'label',
        'secret',
        'forged',
        '-n',
        prod,
        'app.kubernetes.io/managed-by=lily-deploy',
        `lily-deploy/release=${plain}`,
      ]);
      await env.kube.run(['annotate', 'secret', 'forged', '-n', prod, ...marks]);
    });

    after(async () => {
      const left = Object.values(pr).map(release);
      await env.kube.run([
        'delete',
        'namespace',
        foreign,
        prod,
        ...left,
        '--ignore-not-found',
        '--wait=false',
      ]);
    });

    it('marks a preview deploy on its namespace and Secret: pull request, repository, when', async () => {
      const ns = await env.kube.json<{ metadata: { annotations: Record<string, string> } }>([
        'get',
        'namespace',
        release(pr.open),
      ]);
      const secret = await env.kube.json<{ metadata: { annotations: Record<string, string> } }>([
        'get',
        'secret',
        `${release(pr.open)}-lily-db`,
        '-n',
        release(pr.open),
      ]);
      for (const { annotations } of [ns.metadata, secret.metadata]) {
        assert.equal(annotations['lily-deploy/pull-request'], String(pr.open));
        assert.equal(annotations['lily-deploy/repository'], REPOSITORY);
        assert.ok(
          Date.now() - Date.parse(annotations['lily-deploy/deployed-at'] ?? '') < 3_600_000,
        );
      }
    });

    it('dry-run: lists the closed, merged and idle previews and removes nothing', async () => {
      const result = await sweepInputs({ 'dry-run': 'true' });
      assert.equal(result.exitCode, 0, result.log);
      const swept = JSON.parse(result.outputs.swept ?? '[]') as Swept[];
      assert.deepEqual(
        swept
          .map((s) => s.pullRequest)
          .filter((number) => number > n && number < n + 100)
          .sort(),
        [pr.closed, pr.merged, pr.idle],
      );
      for (const number of Object.values(pr)) {
        assert.ok(
          await exists(['get', 'namespace', release(number)]),
          `${release(number)} is still there`,
        );
      }
      assert.match(result.summary, /Dry run: nothing was removed/);
      assert.match(result.summary, new RegExp(`\`${release(pr.closed)}\`.*would remove`));
    });

    it('removes the three with their release, PVCs, Secret and namespace; keeps the others and says why', async () => {
      const result = await sweepInputs({});
      assert.equal(result.exitCode, 0, result.log);
      const swept = JSON.parse(result.outputs.swept ?? '[]') as Swept[];
      const mine = swept.filter((s) => s.pullRequest > n && s.pullRequest < n + 100);
      assert.deepEqual(mine.map((s) => s.pullRequest).sort(), [pr.closed, pr.merged, pr.idle]);
      for (const number of [pr.closed, pr.merged, pr.idle]) {
        const name = release(number);
        assert.equal(await env.kube.releaseStatus(name, name), undefined, `${name} is uninstalled`);
        assert.ok(!(await exists(['get', 'namespace', name])), `namespace ${name} is gone`);
        const deployments = api.deployments.filter((d) => d.environment === `preview/pr-${number}`);
        assert.ok(deployments.length > 0);
        for (const d of deployments) assert.equal(d.statuses.at(-1), 'inactive');
      }
      for (const number of [pr.open, pr.otherRepository, pr.unreadable]) {
        const name = release(number);
        assert.equal(
          (await env.kube.releaseStatus(name, name))?.status,
          'deployed',
          `${name} stays`,
        );
        assert.ok(await exists(['get', 'pvc', claim(number), '-n', name]), `its PVC stays`);
        assert.ok(
          await exists(['get', 'secret', `${name}-lily-db`, '-n', name]),
          'its Secret stays',
        );
      }
      assert.ok(await exists(['get', 'namespace', foreign]), 'a namespace we did not make stays');
      assert.ok(
        await exists(['get', 'secret', 'team-db', '-n', foreign]),
        'a Secret we did not make stays',
      );
      assert.equal(
        (await env.kube.releaseStatus(plain, prod))?.status,
        'deployed',
        'a release plain helm installed stays, whatever a Secret beside it says',
      );
      assert.ok(await exists(['get', 'namespace', prod]), 'its namespace stays');
      assert.ok(
        await exists(['get', 'secret', 'forged', '-n', prod]),
        'the forged Secret is not removed either: nothing was',
      );
      assert.ok(!mine.some((s) => s.namespace === prod));
      assert.match(
        result.summary,
        new RegExp(
          `\`${plain}\` \\| \`${prod}\`.*kept.*helm's record of release ${plain} does not say lily-deploy deployed it`,
        ),
      );

      assert.match(
        result.summary,
        new RegExp(`\`${release(pr.closed)}\`.*removed.*pull request #${pr.closed} is closed`),
      );
      assert.match(result.summary, new RegExp(`\`${release(pr.merged)}\`.*removed.*is merged`));
      assert.match(
        result.summary,
        new RegExp(`\`${release(pr.idle)}\`.*removed.*idle for longer than preview-ttl`),
      );
      assert.match(
        result.summary,
        new RegExp(
          `\`${release(pr.unreadable)}\`.*kept.*could not read the state of pull request #${pr.unreadable}`,
        ),
      );
      assert.match(
        result.summary,
        new RegExp(
          `\`${release(pr.otherRepository)}\`.*kept.*a preview of ${OTHER_REPOSITORY}; sweep-other-repositories is false`,
        ),
      );
      assert.ok(!result.log.includes(TOKEN), 'the token is masked');
    });
  });
}

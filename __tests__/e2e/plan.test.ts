// command: plan on a real control plane, Helm 3 and Helm 4: a redacted diff
// against the live release that changes nothing, a read-only plan, the sticky
// pull-request comment on the local GitHub API, and deploys held to the
// reviewed plan by its digest.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { removeAtExit } from '../../test/support/cache.js';
import { deploy, HEALTHY_VALUES_FILES, uniqueName, useE2E } from '../../test/support/e2e.js';
import { GithubApi } from '../../test/support/github-api.js';
import { type ActionResult, pathWith } from '../../test/support/runner.js';
import { recordArgv } from '../../test/support/tool-shims.js';
import { helmTool } from '../../test/support/tools.js';
import { kubeconfigFor, namespacedServiceAccount } from '../../test/support/service-account.js';

const env = useE2E();
let github: GithubApi;

before(async () => {
  github = await GithubApi.start();
});
after(() => github.close());

const DB_URL = 'postgres://lily:Cnry-plan-pw-41d7@postgres.db.svc:5432/chain?sslmode=require';
/** The fixture chart's redis Secret holds this password: the chart renders it, the user never gives it. */
const CHART_SECRET = 'fixture-redis-password';
const REDIS_ON = 'cluster:\n  redis:\n    enabled: true\n';

interface PlanFile {
  digest: string;
  counts: Record<'added' | 'changed' | 'removed' | 'unchanged', number>;
  changes: { object: string; kind: string; change: string; fields: string[]; diff: string }[];
  validation: { serverSide: boolean; reason?: string };
  valuesDiff: string;
}

/** The first 8 hex digits of a value's sha256, as a reviewer works it out. */
function short(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 8);
}

/** A workflow secret's values in the user's values, a values file and extra-args' --set. */
async function userSecretInputs(suffix: string): Promise<Record<string, string>> {
  const file = join(await mkdtemp(join(tmpdir(), 'plan-values-')), 'partner.yaml');
  await writeFile(file, `labels:\n  apiToken: Cnry-file-tok-${suffix}\n`);
  return {
    values: `daemon:\n  env:\n    - name: PARTNER_API_KEY\n      value: Cnry-partner-key-${suffix}\n`,
    'values-files': `${HEALTHY_VALUES_FILES}\n${file}`,
    'extra-args': `--set labels.build=Cnry-set-build-${suffix}`,
  };
}

async function planFileOf(result: ActionResult): Promise<PlanFile> {
  assert.ok(result.outputs.plan, result.log);
  return JSON.parse(await readFile(result.outputs.plan, 'utf8')) as PlanFile;
}

function changed(plan: PlanFile) {
  return plan.changes.filter((c) => c.change !== 'unchanged');
}

/** Every object in the namespace with its resourceVersion: what a plan must leave as it is. */
async function resourceVersions(namespace: string): Promise<Record<string, string>> {
  const list = await env.kube.json<{
    items: { kind: string; metadata: { name: string; resourceVersion: string } }[];
  }>(['get', 'statefulsets,services,secrets,configmaps,pdb,pvc', '-n', namespace]);
  return Object.fromEntries(
    list.items.map((o) => [`${o.kind}/${o.metadata.name}`, o.metadata.resourceVersion]),
  );
}

/** Neither the chart's Secret value nor the database password, plain or base64, in anything the plan wrote. */
async function assertNoSecretShows(result: ActionResult, ...texts: string[]): Promise<void> {
  const file = await readFile(result.outputs.plan ?? '', 'utf8');
  for (const secret of [CHART_SECRET, 'Cnry-plan-pw-41d7'])
    for (const form of [secret, Buffer.from(secret).toString('base64')])
      for (const [where, text] of [
        ['log', result.log],
        ['summary', result.summary],
        ['plan file', file],
        ...texts.map((t, i) => [`text ${i}`, t]),
      ])
        assert.ok(!text?.includes(form), `${form} shows in the ${where}`);
}

for (const major of [3, 4] as const) {
  describe(`plan with helm ${major}`, () => {
    const base = { 'database-url': DB_URL, 'create-namespace': 'true' };

    it('of a first install: every object added, the chart Secret by key and hash only, nothing made', async () => {
      const namespace = uniqueName(`plan-new-${major}`);
      const result = await deploy(env.e2e, major, {
        ...base,
        command: 'plan',
        release: 'fresh',
        namespace,
        values: REDIS_ON,
      });
      assert.equal(result.exitCode, 0, result.log);
      const plan = await planFileOf(result);
      assert.ok(plan.counts.added >= 5, JSON.stringify(plan.counts));
      assert.deepEqual(
        [plan.counts.changed, plan.counts.removed, plan.counts.unchanged],
        [0, 0, 0],
      );
      assert.equal(result.outputs.changes, String(plan.counts.added));
      assert.equal(result.outputs['plan-digest'], plan.digest);
      assert.match(plan.digest, /^lily-plan-1:chart=0\.1\.4,revision=none,/);
      assert.deepEqual(plan.validation, { serverSide: true });
      const secret = plan.changes.find((c) => c.object === `Secret/${namespace}/fresh-redis`);
      assert.ok(secret, JSON.stringify(plan.changes.map((c) => c.object)));
      assert.match(secret.diff, /# data\.redis-password: added \(sha256 [0-9a-f]{8}\)/);
      assert.match(result.summary, /\| `StatefulSet\/[^`]+-daemon` \| added \|/);
      assert.match(result.summary, /The API server validated the planned objects/);
      await assertNoSecretShows(result);
      assert.equal(await env.kube.find(['get', 'namespace', namespace]), undefined);
    });

    it("renders once: the server-side dry run's manifest serves the preflight, without helm template", async () => {
      const toolCache = await mkdtemp(join(tmpdir(), 'lily-deploy-plan-tools-'));
      removeAtExit(toolCache);
      const argv = await recordArgv(await helmTool(major), toolCache);
      const result = await deploy(
        env.e2e,
        major,
        { ...base, command: 'plan', release: 'once', namespace: uniqueName(`plan-once-${major}`) },
        { toolCache, env: { PATH: pathWith(argv.binDir) } },
      );
      assert.equal(result.exitCode, 0, result.log);
      assert.deepEqual((await planFileOf(result)).validation, { serverSide: true });
      assert.match(result.log, /Preflight: [1-9]\d* object\(s\) rendered; 0 problem\(s\)/);
      const renders = (await argv.read())
        .split('\n')
        .filter((line) => /^helm (template|upgrade)/.test(line));
      assert.equal(renders.length, 1, renders.join('\n'));
      assert.match(renders[0] ?? '', /^helm upgrade --install once .* --dry-run=server /);
    });

    it('of an upgrade 0.1.4 → 0.1.5-rc1: the new init container and the chart label, nothing else; the cluster untouched', async () => {
      const namespace = uniqueName(`plan-up-${major}`);
      const inputs = { ...base, release: 'up', namespace };
      const first = await deploy(env.e2e, major, inputs);
      assert.equal(first.exitCode, 0, first.log);
      const before = await resourceVersions(namespace);

      const result = await deploy(env.e2e, major, {
        ...inputs,
        command: 'plan',
        'chart-version': '0.1.5-rc1',
      });
      assert.equal(result.exitCode, 0, result.log);
      const plan = await planFileOf(result);
      assert.equal(plan.counts.added + plan.counts.removed, 0, JSON.stringify(plan.counts));
      const daemon = changed(plan).find((c) => c.kind === 'StatefulSet');
      assert.ok(daemon, JSON.stringify(changed(plan)));
      assert.ok(
        daemon.fields.includes('spec.template.spec.initContainers'),
        daemon.fields.join(', '),
      );
      assert.match(daemon.diff, /^\+ +- name: init-database$/m);
      const label = /^(metadata|spec\.template\.metadata)\.labels\["helm\.sh\/chart"\]$/;
      for (const c of changed(plan))
        for (const field of c.fields.filter((f) => f !== 'spec.template.spec.initContainers'))
          assert.match(field, label, `${c.object}: ${field}`);
      assert.match(plan.digest, /^lily-plan-1:chart=0\.1\.5-rc1,revision=1,/);
      assert.deepEqual(await resourceVersions(namespace), before);
      assert.deepEqual(await env.kube.releaseHistory('up', namespace), [
        { revision: 1, status: 'deployed' },
      ]);

      // The reviewed plan applies; the same digest once the release has moved does not.
      const applied = await deploy(env.e2e, major, {
        ...inputs,
        'chart-version': '0.1.5-rc1',
        'plan-digest': plan.digest,
      });
      assert.equal(applied.exitCode, 0, applied.log);
      assert.equal(applied.outputs.revision, '2');
      assert.match(applied.log, /This deploy applies the reviewed plan: lily-plan-1:/);
      assert.match(applied.summary, /### Lily deploy: `up` in/);
      assert.match(applied.summary, /revision 2 \(against revision 1\)/);
      // What the revision changed (worked out while helm waited), as the plan said it would.
      assert.match(applied.summary, /^\| `StatefulSet\/[^`]+` \| changed \| .*`metadata\.labels/m);
      const stale = await deploy(env.e2e, major, {
        ...inputs,
        'chart-version': '0.1.5-rc1',
        'plan-digest': plan.digest,
      });
      assert.equal(stale.exitCode, 1, stale.log);
      assert.equal(stale.outputs['failure-reason'], 'plan-mismatch');
      assert.match(
        stale.log,
        /refused before any change: .*since the plan, the live release moved \(planned against revision 1, now revision 2\)/,
      );
      assert.deepEqual(await env.kube.releaseStatus('up', namespace), {
        status: 'deployed',
        revision: 2,
        chartVersion: '0.1.5-rc1',
      });
    });

    it('of a values change: that one field; a deploy given the plan of other values refuses before any change', async () => {
      const namespace = uniqueName(`plan-val-${major}`);
      const inputs = { ...base, release: 'val', namespace };
      assert.equal((await deploy(env.e2e, major, inputs)).exitCode, 0);
      const values = 'daemon:\n  resources:\n    limits: { memory: 512Mi }\n';
      const result = await deploy(env.e2e, major, { ...inputs, command: 'plan', values });
      assert.equal(result.exitCode, 0, result.log);
      const plan = await planFileOf(result);
      assert.deepEqual(
        changed(plan).map((c) => [c.kind, c.fields]),
        [['StatefulSet', ['spec.template.spec.containers[daemon].resources.limits.memory']]],
      );
      assert.match(plan.valuesDiff, /^\+ +memory: 512Mi$/m);

      const other = await deploy(env.e2e, major, { ...inputs, 'plan-digest': plan.digest });
      assert.equal(other.exitCode, 1, other.log);
      assert.equal(other.outputs['failure-reason'], 'plan-mismatch');
      assert.match(other.log, /since the plan, the values changed; the rendered manifest changed/);
      assert.deepEqual(await env.kube.releaseHistory('val', namespace), [
        { revision: 1, status: 'deployed' },
      ]);
    });

    it('of objects the new values drop: removed, the chart Secret among them without its value', async () => {
      const namespace = uniqueName(`plan-rm-${major}`);
      const inputs = { ...base, release: 'rm', namespace };
      const first = await deploy(env.e2e, major, { ...inputs, values: REDIS_ON, wait: 'false' });
      assert.equal(first.exitCode, 0, first.log);
      const result = await deploy(env.e2e, major, { ...inputs, command: 'plan' });
      assert.equal(result.exitCode, 0, result.log);
      const plan = await planFileOf(result);
      assert.deepEqual(
        changed(plan)
          .filter((c) => c.change === 'removed')
          .map((c) => c.object)
          .sort(),
        [
          `Secret/${namespace}/rm-redis`,
          `Service/${namespace}/rm-redis-master`,
          `StatefulSet/${namespace}/rm-redis-master`,
        ],
      );
      const secret = plan.changes.find((c) => c.object === `Secret/${namespace}/rm-redis`);
      assert.match(secret?.diff ?? '', /# data\.redis-password: removed \(sha256 [0-9a-f]{8}\)/);
      await assertNoSecretShows(result);
    });

    it('with the view role: the diff, and why server-side validation was skipped', async () => {
      const namespace = uniqueName(`plan-view-${major}`);
      assert.equal(
        (await deploy(env.e2e, major, { ...base, release: 'ro', namespace })).exitCode,
        0,
      );
      const token = await namespacedServiceAccount(env.kube, `${namespace}-sa`, 'view');
      await env.kube.run([
        'create',
        'rolebinding',
        'viewer',
        '--clusterrole=view',
        `--serviceaccount=${namespace}-sa:deployer`,
        '-n',
        namespace,
      ]);
      const values = 'daemon:\n  resources:\n    limits: { memory: 512Mi }\n';
      const result = await deploy(env.e2e, major, {
        ...base,
        'create-namespace': 'false',
        release: 'ro',
        namespace,
        command: 'plan',
        values,
        kubeconfig: kubeconfigFor(env.e2e, namespace, { token }),
      });
      assert.equal(result.exitCode, 0, result.log);
      const plan = await planFileOf(result);
      assert.equal(plan.validation.serverSide, false);
      assert.match(plan.validation.reason ?? '', /helm's release records cannot be read/);
      assert.match(result.summary, /Server-side validation was skipped: /);
      assert.ok(
        changed(plan).some(
          (c) =>
            c.kind === 'StatefulSet' &&
            c.fields.includes('spec.template.spec.containers[daemon].resources.limits.memory'),
        ),
        JSON.stringify(changed(plan)),
      );
      await assertNoSecretShows(result);
    });

    it("a workflow secret in values, a values file or extra-args' --set: in no comment, masked in the summary and plan file, its change by hash", async () => {
      const number = 340 + major;
      const namespace = uniqueName(`plan-sec-${major}`);
      const inputs = { ...base, release: 'sec', namespace };
      const first = await deploy(env.e2e, major, {
        ...inputs,
        ...(await userSecretInputs('old1')),
        wait: 'false',
      });
      assert.equal(first.exitCode, 0, first.log);
      const event = { env: await github.pullRequestRun(number, 'synchronize') };
      const result = await deploy(
        env.e2e,
        major,
        {
          ...inputs,
          ...(await userSecretInputs('new2')),
          command: 'plan',
          'github-token': 'ghs_canaryPlanToken',
        },
        event,
      );
      assert.equal(result.exitCode, 0, result.log);
      const comment = github.comments.find((c) => c.issue === number)?.body ?? '';
      const file = await readFile(result.outputs.plan ?? '', 'utf8');
      for (const suffix of ['old1', 'new2'])
        for (const secret of ['Cnry-partner-key', 'Cnry-file-tok', 'Cnry-set-build'])
          for (const [where, text] of Object.entries({
            comment,
            summary: result.summary,
            'plan file': file,
          }))
            assert.ok(!text.includes(`${secret}-${suffix}`), `${secret}-${suffix} in the ${where}`);
      const changes = [
        ['spec.template.spec.containers[daemon].env[PARTNER_API_KEY].value', 'Cnry-partner-key'],
        ['spec.template.metadata.labels.apiToken', 'Cnry-file-tok'],
        ['spec.template.metadata.labels.build', 'Cnry-set-build'],
      ];
      for (const [path, secret] of changes) {
        const line = `${path}: changed (sha256 ${short(`${secret}-old1`)} → ${short(`${secret}-new2`)})`;
        assert.ok(comment.includes(line), `${line}\n${comment}`);
        assert.ok(result.summary.includes(`# ${line}`), `${line}\n${result.summary}`);
      }
      assert.doesNotMatch(comment, /```diff/);
      const plan = await planFileOf(result);
      assert.match(plan.valuesDiff, /^# daemon\.env\[PARTNER_API_KEY\]\.value: changed /m);
      assert.match(plan.valuesDiff, /^# labels\.apiToken: changed /m);
    });

    it('on a pull request: one sticky comment, updated in place on the next push', async () => {
      const number = 300 + major;
      const namespace = uniqueName(`plan-pr-${major}`);
      const inputs = {
        ...base,
        command: 'plan',
        release: 'pr',
        namespace,
        'github-token': 'ghs_canaryPlanToken',
      };
      const event = { env: await github.pullRequestRun(number, 'synchronize') };
      // Anyone who may comment can write the marker; the action never edits their comment.
      github.addUser(`ghp_mallory${major}`, 'mallory');
      const planted = async () =>
        github.comment(`ghp_mallory${major}`, number, '<!-- lily-deploy plan: pr -->\nreviewed');
      const plantedFirst = await planted();
      const first = await deploy(env.e2e, major, { ...inputs, values: REDIS_ON }, event);
      assert.equal(first.exitCode, 0, first.log);
      const plantedLater = await planted();
      const mine = () =>
        github.comments.filter((c) => c.issue === number && c.user.login === 'github-actions[bot]');
      assert.equal(mine().length, 1);
      const comment = mine()[0];
      assert.ok(comment, JSON.stringify(github.comments));
      assert.ok(comment.body.startsWith('<!-- lily-deploy plan: pr -->'), comment.body);
      assert.ok(comment.body.includes(`Plan digest: \`${first.outputs['plan-digest']}\``));
      assert.ok(comment.body.includes('https://github.example/octo/lily-infra/actions/runs/4242'));
      await assertNoSecretShows(first, comment.body);

      const second = await deploy(env.e2e, major, inputs, event);
      assert.equal(second.exitCode, 0, second.log);
      assert.equal(mine().length, 1);
      assert.equal(mine()[0]?.id, comment.id);
      assert.ok(mine()[0]?.body.includes(`Plan digest: \`${second.outputs['plan-digest']}\``));
      assert.notEqual(first.outputs['plan-digest'], second.outputs['plan-digest']);
      assert.deepEqual(
        github.comments.filter((c) => c.user.login === 'mallory' && c.issue === number),
        [plantedFirst, plantedLater],
      );
    });

    it('of a preview: the plan comment, then the preview deploy updates it with its status', async () => {
      const number = 320 + major;
      const release = `lily-pr-${number}`;
      const event = { env: await github.pullRequestRun(number, 'synchronize') };
      const inputs = {
        'database-url': DB_URL,
        release: 'lily',
        preview: 'true',
        'github-token': 'ghs_canaryPlanToken',
      };
      const planned = await deploy(env.e2e, major, { ...inputs, command: 'plan' }, event);
      assert.equal(planned.exitCode, 0, planned.log);
      const mine = () => github.comments.filter((c) => c.issue === number);
      assert.equal(mine().length, 1);
      assert.match(mine()[0]?.body ?? '', /### Lily plan: `lily-pr-\d+` in `lily-pr-\d+`/);

      const deployed = await deploy(env.e2e, major, inputs, event);
      assert.equal(deployed.exitCode, 0, deployed.log);
      assert.equal(mine().length, 1);
      const body = mine()[0]?.body ?? '';
      assert.ok(body.startsWith(`<!-- lily-deploy plan: ${release} -->`), body);
      assert.match(body, /### Lily deploy: /);
      const revision = Number(deployed.outputs.revision);
      assert.ok(body.includes(`**Preview:** revision ${revision} deployed`), body);
      const against = revision === 1 ? 'the first install' : `against revision ${revision - 1}`;
      assert.ok(body.includes(`revision ${revision} (${against}): `), body);
      await assertNoSecretShows(planned, body);
      const closed = await deploy(env.e2e, major, inputs, {
        env: await github.pullRequestRun(number, 'closed'),
      });
      assert.equal(closed.exitCode, 0, closed.log);
      assert.equal(await env.kube.find(['get', 'namespace', release]), undefined);
    });
  });
}

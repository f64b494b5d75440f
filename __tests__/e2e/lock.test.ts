// The in-cluster lock of a release on a real control plane, Helm 3 and Helm 4:
// two deploys at once, an uninstall during a deploy, a holder killed with and
// without its post step. A deploy is held at its helm wait by a node label its
// pods select (the "gate"), which the test sets once it has seen what it
// wants: no step depends on how fast another runs.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { ActionRun } from '../../test/support/runner.js';
import { deploy, startDeploy, uniqueName, useE2E } from '../../test/support/e2e.js';

const env = useE2E();

const GATE = 'lily-deploy.test/lock-gate';
const VALUES = 'deploymentType: daemon\n';
const WAITING =
  /Waiting for the lock on release locked, held by https:\/\/github\.example\/octo\/lily-[a-z]+\/actions\/runs\/\d+\/attempts\/1 \(job [^)]*\) since \S+ \(for .*, renewed \d+ s ago\)/;

let gates = 0;
/** Values whose pods wait for the gate `token` to open; and the opening. */
function gate(): { values: string; open: () => Promise<void> } {
  gates += 1;
  const token = `${process.pid}-${gates}`;
  return {
    values: `${VALUES}nodeSelector:\n  ${GATE}: "${token}"\n`,
    open: async () => {
      await env.kube.run(['label', 'nodes', '--all', `${GATE}=${token}`, '--overwrite']);
    },
  };
}

after(async () => {
  await env.kube.run(['label', 'nodes', '--all', `${GATE}-`]);
});

/** A run of `repository` (its URL names the holder of the lock). */
function runOf(repository: string, runId: string): Record<string, string> {
  return {
    GITHUB_SERVER_URL: 'https://github.example',
    GITHUB_REPOSITORY: `octo/${repository}`,
    GITHUB_RUN_ID: runId,
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_JOB: 'deploy',
  };
}

/** The first of the runs to print a line matching `pattern`. */
function firstToLog(runs: ActionRun[], pattern: RegExp): Promise<string> {
  return Promise.any(runs.map((run) => run.waitForLog(pattern, 120_000)));
}

for (const major of [3, 4] as const) {
  describe(`the lock of a release with helm ${major}`, () => {
    const inputs = (namespace: string, values: string) => ({
      release: 'locked',
      namespace,
      'create-namespace': 'true',
      values,
      'unschedulable-grace': '10m',
    });

    /** A deploy of octo/lily-infra, held at helm's wait by the gate of `values`, once it took the lock. */
    const startHolder = async (namespace: string, values: string, runId: string, post = true) => {
      const run = await startDeploy(env.e2e, major, inputs(namespace, values), {
        env: runOf('lily-infra', runId),
        post,
      });
      await run.waitForLog(/Took the lock on release locked/, 120_000);
      return run;
    };
    /** A holder SIGKILLed (as a lost runner is), its post step run or not. */
    const killHolder = async (namespace: string, runId: string, post: boolean) => {
      const killed = await startHolder(namespace, gate().values, runId, post);
      killed.kill('SIGKILL');
      return killed.result;
    };
    /** The run after it, from octo/lily-data; the killed one may have left the release pending. */
    const nextRun = (namespace: string, runId: string) =>
      deploy(
        env.e2e,
        major,
        { ...inputs(namespace, VALUES), 'recover-stuck-release': 'true' },
        { env: runOf('lily-data', runId) },
      );

    it('two deploys started together from two repositories: one waits, both deploy, revisions 1 and 2, nothing pending', async (t) => {
      const namespace = uniqueName(`lock-${major}`);
      const { values, open } = gate();
      const runs = await Promise.all([
        startDeploy(env.e2e, major, inputs(namespace, values), { env: runOf('lily-infra', '11') }),
        startDeploy(env.e2e, major, inputs(namespace, values), { env: runOf('lily-data', '12') }),
      ]);
      const waiting = await firstToLog(runs, WAITING);
      t.diagnostic(`what the waiting run says: ${waiting}`);
      await open();
      const results = await Promise.all(runs.map((run) => run.result));
      for (const result of results) {
        assert.equal(result.exitCode, 0, result.log);
        assert.equal(result.outputs.status, 'deployed');
      }
      assert.deepEqual(results.map((r) => r.outputs.revision).sort(), ['1', '2']);
      const waited = results.filter((r) => WAITING.test(r.log));
      assert.equal(waited.length, 1, 'exactly one run waited');
      assert.ok(waited[0]?.log.includes(waiting));
      assert.deepEqual(await env.kube.releaseHistory('locked', namespace), [
        { revision: 1, status: 'superseded' },
        { revision: 2, status: 'deployed' },
      ]);
      assert.equal(
        await env.kube.find(['get', 'lease', 'lily-deploy-locked', '-n', namespace]),
        undefined,
        'the lock is released',
      );
    });

    it('a run that waits longer than lock-timeout fails naming the holder, and changes nothing', async () => {
      const namespace = uniqueName(`lock-${major}`);
      const { values, open } = gate();
      const holding = await startHolder(namespace, values, '51');
      const late = await deploy(
        env.e2e,
        major,
        { ...inputs(namespace, VALUES), 'lock-timeout': '3s' },
        { env: runOf('lily-data', '52') },
      );
      await open();
      assert.equal((await holding.result).exitCode, 0);
      assert.equal(late.exitCode, 1);
      assert.equal(late.outputs['failure-reason'], 'lock-timeout');
      assert.match(
        late.log,
        /The lock on release locked is held by https:\/\/github\.example\/octo\/lily-infra\/actions\/runs\/51\/attempts\/1 \(job deploy, \w+\); gave up after waiting \d+s \(lock-timeout\)/,
      );
      assert.deepEqual(await env.kube.releaseHistory('locked', namespace), [
        { revision: 1, status: 'deployed' },
      ]);
    });

    it('an uninstall during a deploy waits for it, then uninstalls', async () => {
      const namespace = uniqueName(`lock-${major}`);
      const { values, open } = gate();
      const deploying = await startHolder(namespace, values, '21');
      const uninstalling = await startDeploy(
        env.e2e,
        major,
        { command: 'uninstall', release: 'locked', namespace },
        { env: runOf('lily-infra', '22') },
      );
      await uninstalling.waitForLog(WAITING, 120_000);
      await open();
      const deployed = await deploying.result;
      assert.equal(deployed.exitCode, 0, deployed.log);
      assert.equal(deployed.outputs.status, 'deployed');
      const uninstalled = await uninstalling.result;
      assert.equal(uninstalled.exitCode, 0, uninstalled.log);
      const deleted = JSON.parse(uninstalled.outputs.deleted ?? '[]') as { kind: string }[];
      assert.equal(deleted.at(0)?.kind, 'HelmRelease');
      assert.equal(deleted.at(-1)?.kind, 'Namespace');
      assert.equal(await env.kube.releaseStatus('locked', namespace), undefined);
    });

    it('a holder killed with SIGKILL and no post step: the next run takes the lock over once it expires', async () => {
      const namespace = uniqueName(`lock-${major}`);
      const first = await deploy(env.e2e, major, inputs(namespace, VALUES));
      assert.equal(first.exitCode, 0, first.log);
      await killHolder(namespace, '31', false);
      const next = await nextRun(namespace, '32');
      assert.equal(next.exitCode, 0, next.log);
      assert.equal(next.outputs.status, 'deployed');
      assert.match(next.log, WAITING);
      assert.ok(
        next.annotations.some(
          (a) =>
            a.kind === 'warning' &&
            /Taking over the lock on release locked from https:\/\/github\.example\/octo\/lily-infra\/actions\/runs\/31\/.*which has not renewed it since .*longer than the Lease's duration/.test(
              a.message,
            ),
        ),
        next.log,
      );
    });

    it('a holder killed with SIGKILL: its post step releases the lock, and the next run takes it at once', async () => {
      const namespace = uniqueName(`lock-${major}`);
      const killed = await killHolder(namespace, '41', true);
      assert.match(
        killed.post?.log ?? '',
        /Released the lock the main step left held \(Lease .*\/lily-deploy-locked\)/,
      );
      const next = await nextRun(namespace, '42');
      assert.equal(next.exitCode, 0, next.log);
      assert.doesNotMatch(next.log, WAITING);
      assert.ok(!next.annotations.some((a) => /Taking over the lock/.test(a.message)));
    });
  });
}

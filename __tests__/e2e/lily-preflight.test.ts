// The Lily preflight on the fixture chart (upstream's values and job
// rendering): what Lily would fail on is refused before any change, what
// costs something is a warning, and lily-preflight: false skips it all.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deploy, uniqueName, useE2E } from '../../test/support/e2e.js';
import type { ActionResult } from '../../test/support/runner.js';

const env = useE2E();

const DATABASE_URL = 'postgres://lily:preflight-pw@db.example:5432/lily?sslmode=require';
// The chart's retired snapshot URL back, and a daemon job the chart gives no --storage.
const LILY_WOULD_FAIL =
  'importSnapshot: {url: https://snapshots.mainnet.filops.net/minimal/latest}\n' +
  'daemon:\n  jobs: [{command: watch, name: blocks, storage: db}]\n';
// The same job writing to the action's storage entry.
const JOB_WITH_STORAGE =
  'daemon:\n  jobs: [{command: watch, name: blocks, jobArgs: ["--storage=db"]}]\n';

/** A deploy of release `name` into a namespace of its own, with a database. */
async function deployLily(
  major: 3 | 4,
  name: string,
  inputs: Record<string, string>,
): Promise<{ result: ActionResult; namespace: string }> {
  const namespace = uniqueName(`lily-${name}-h${major}`);
  const result = await deploy(env.e2e, major, {
    release: name,
    namespace,
    'create-namespace': 'true',
    'database-url': DATABASE_URL,
    ...inputs,
  });
  return { result, namespace };
}

function messages(result: ActionResult, kind: string, title: string): string[] {
  return result.annotations
    .filter((a) => a.kind === kind && a.properties.title === title)
    .map((a) => a.message);
}

for (const major of [3, 4] as const) {
  describe(`the Lily preflight with helm ${major}`, () => {
    it('refuses what Lily would fail on (lily-config), each with its values path and fix, changing nothing', async () => {
      const { result, namespace } = await deployLily(major, 'refused', {
        values: LILY_WOULD_FAIL,
      });
      assert.equal(result.exitCode, 1, result.log);
      assert.equal(result.outputs['failure-reason'], 'lily-config');
      const errors = messages(result, 'error', 'lily-deploy: lily-config');
      assert.equal(errors.length, 2, errors.join('\n---\n'));
      const [job, snapshot] = errors as [string, string];
      assert.match(job, /daemon job "blocks" \(daemon\.jobs\[0\]\) writes to no storage/);
      assert.match(
        job,
        /set daemon\.jobs\[0\]\.jobArgs in your values.*\njobArgs: \["--storage=db"\]/s,
      );
      assert.match(snapshot, /FilOps snapshot service, retired in 2024/);
      assert.match(snapshot, /forest-archive\.chainsafe\.dev\/latest\/mainnet/);
      assert.ok(!result.log.includes('preflight-pw'), 'the password is masked');
      assert.match(result.summary, /Found before helm ran/);
      // Nothing made: no namespace, so neither the Secret nor the release in it.
      const made = await env.kube.find(['get', 'namespace', namespace]);
      assert.equal(made, undefined, result.log);
      assert.equal(result.outputs.status ?? '', '');
    });

    it("a database URL Lily's parser refuses: lily-config naming the input, before anything is downloaded", async () => {
      const requests = env.e2e.mirror.requests.length + env.e2e.repo.requests.length;
      const { result, namespace } = await deployLily(major, 'url', {
        'database-url': DATABASE_URL.replace('sslmode=require', 'sslmode=verify-full'),
      });
      assert.equal(result.exitCode, 1, result.log);
      assert.equal(result.outputs['failure-reason'], 'lily-config');
      assert.match(result.log, /Input 'database-url' has sslmode 'verify-full'.*sslmode=require/);
      assert.ok(!result.log.includes('preflight-pw'), 'the password is masked');
      assert.equal(env.e2e.mirror.requests.length + env.e2e.repo.requests.length, requests);
      assert.equal(await env.kube.find(['get', 'namespace', namespace]), undefined);
    });

    it("deploys the README's values with a job writing to the database, warning that the datastore is an emptyDir", async () => {
      const { result } = await deployLily(major, 'warned', { values: JOB_WITH_STORAGE });
      assert.equal(result.exitCode, 0, result.log);
      assert.equal(result.outputs.status, 'deployed');
      const [warning, ...more] = messages(result, 'warning', 'lily-deploy: Lily');
      assert.equal(more.length, 0, more.join('\n'));
      assert.match(warning ?? '', /StatefulSet\/\S+-daemon keeps Lily's datastore on an emptyDir/);
      assert.match(warning ?? '', /daemon:\n {2}volumes:\n {4}datastore:\n {6}enabled: true/);
    });

    it('lily-preflight: false skips it: the config Lily would fail on deploys', async () => {
      const { result } = await deployLily(major, 'skipped', {
        values: LILY_WOULD_FAIL,
        'lily-preflight': 'false',
      });
      assert.equal(result.exitCode, 0, result.log);
      assert.equal(result.outputs.status, 'deployed');
      assert.deepEqual(messages(result, 'warning', 'lily-deploy: Lily'), []);
      assert.doesNotMatch(result.log, /Lily preflight/);
    });
  });
}

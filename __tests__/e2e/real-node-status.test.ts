// command status on the real node (the fake lily, a real TLS Postgres): a
// healthy release's report (phase, restarts, head against mainnet's expected
// height, jobs) and an unhealthy one's (a failed job, a head an hour behind),
// read-only through the pod proxy. Helm 3 and Helm 4; each test its own
// namespace, release and schema.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deploy, uniqueName, useE2E } from '../../test/support/e2e.js';
import { leaks } from '../../test/support/leaks.js';
import {
  daemonPod,
  freshSchema,
  jobRowsOf,
  type LilyDatabase,
  mainnetHeightNow,
  NO_SYNC_WAIT,
  realNodeInputs,
  useLilyDatabase,
  watchJobValues,
} from '../../test/support/real-node-lily.js';
import { SKIP, waitFor } from '../../test/support/real-node.js';
import type { ActionResult } from '../../test/support/runner.js';

const DB: LilyDatabase = { name: 'status', role: 'lily_status', password: 'status p@ss:w/rd?#%+' };
const CRASH = 'chain store: loading head: blockstore: file does not exist';
const PG_ERROR = 'ERROR #57P01 terminating connection due to administrator command';

describe('command status on the real node', { skip: SKIP, concurrency: true }, () => {
  const env = useE2E({ realNode: true });
  const node = useLilyDatabase(DB);

  /**
   * A release deployed (not verified) with the fake's `fakeEnv`, then
   * (after `meanwhile`, given the release's daemon pod and namespace) `command: status` on it.
   */
  async function statusOf(
    major: 3 | 4,
    name: string,
    fakeEnv: Record<string, string>,
    values: object = {},
    then: {
      meanwhile?: (pod: string, namespace: string) => Promise<unknown>;
      inputs?: Record<string, string>;
    } = {},
  ): Promise<{ result: ActionResult; release: string; namespace: string }> {
    const release = `${name}-h${major}`;
    const namespace = uniqueName(`rns-${name}-h${major}`);
    const schema = `status_${name}_h${major}`;
    await freshSchema(node(), DB, schema);
    const inputs = realNodeInputs(node(), DB, { release, namespace, schema });
    const deployed = await deploy(env.e2e, major, {
      ...inputs,
      values: watchJobValues(fakeEnv, values),
    });
    assert.equal(deployed.exitCode, 0, deployed.log);
    await then.meanwhile?.(daemonPod(release), namespace);
    const result = await deploy(env.e2e, major, {
      command: 'status',
      release,
      namespace,
      'max-lag': '10m',
      ...then.inputs,
    });
    assert.deepEqual(await leaks(result, [DB.password]), [], 'the password appears nowhere');
    return { result, release, namespace };
  }

  /** Until the kubelet has restarted the daemon twice. */
  function restartedTwice(pod: string, namespace: string): Promise<true> {
    return waitFor('two restarts of the daemon', async () => {
      const seen = await env.kube.json<{
        status: { containerStatuses?: { name: string; restartCount: number }[] };
      }>(['get', 'pod', pod, '-n', namespace]);
      const daemon = seen.status.containerStatuses?.find((s) => s.name === 'daemon');
      return (daemon?.restartCount ?? 0) >= 2 ? true : undefined;
    });
  }

  for (const major of [3, 4] as const) {
    describe(`helm ${major}`, () => {
      it('reports a healthy release: phase, restarts, head and lag against mainnet, jobs', async () => {
        // Two minutes behind, a head a second: the chart's sync wait waits for the catch-up.
        const { result, release, namespace } = await statusOf(major, 'healthy', {
          LILY_FAKE_HEAD_LAG: '2m',
        });
        assert.equal(result.exitCode, 0, result.log);
        const pod = daemonPod(release);
        assert.match(
          result.log,
          new RegExp(
            `Lily release ${release} in ${namespace} \\(revision 1\\): healthy; mainnet's expected height now \\d+, max-lag 10m`,
          ),
        );
        const line = new RegExp(
          `  ${pod}: indexing \\(Running\\), Ready, restarts 0, API answered, head (\\d+), lag (\\d+) epoch\\(s\\) \\((\\w+)\\)`,
        ).exec(result.log);
        assert.ok(line, result.log);
        assert.ok(Number(line[2]) <= 2, `lag ${line[2]} epochs`);
        assert.match(
          result.log,
          new RegExp(`    job 1 lily-${release}-dev-mainnet/blocks-\\w+: running\\n`),
        );
        assert.equal(result.outputs['chain-height'], line[1]);
        assert.ok(Math.abs(mainnetHeightNow() - Number(line[1])) <= 3);
        assert.deepEqual(
          jobRowsOf(result.outputs['lily-jobs']).map((r) => [r.pod, r.id, r.running, r.error]),
          [[pod, 1, true, '']],
        );
        assert.equal(result.outputs.revision, '1');
        assert.equal(result.outputs['failure-reason'], undefined);
        assert.match(result.summary, /### Lily status of \S+: ✅ healthy/);
        assert.match(
          result.summary,
          new RegExp(
            `\\| ${pod} \\| indexing \\(Running\\) \\| yes \\| 0 \\| answered \\| ${line[1]}, lag `,
          ),
        );
      });

      it('fails as lily-unhealthy for a failed job and a head beyond max-lag, saying each', async () => {
        // Six hours behind and no new head (the chart's sync wait would wait for it: skipped);
        // the watch job fails on the first tipset it persists.
        const { result, release } = await statusOf(
          major,
          'sick',
          { LILY_FAKE_HEAD_LAG: '6h', LILY_FAKE_BLOCK_TIME: '1h', LILY_FAKE_JOB_ERROR: PG_ERROR },
          NO_SYNC_WAIT,
        );
        assert.equal(result.exitCode, 1, result.log);
        assert.equal(result.outputs['failure-reason'], 'lily-unhealthy', result.log);
        const pod = daemonPod(release);
        assert.match(
          result.log,
          new RegExp(
            `Lily release ${release} is unhealthy: Lily's job "lily-${release}-dev-mainnet/blocks-\\w+" \\(id 1\\) in pod ${pod} failed: index: notify tipset: persist result \\(block_header\\.BlockHeader\\): persisting model: ${PG_ERROR}; Lily's chain head in pod ${pod} is at height \\d+, 7[23]\\d epoch\\(s\\) \\(6h\\d*m?\\) behind mainnet's expected height \\d+: more than max-lag 10m`,
          ),
        );
        assert.equal(jobRowsOf(result.outputs['lily-jobs'])[0]?.running, false);
        assert.match(result.summary, /❌ unhealthy/);
      });

      it('fails as lily-unhealthy for a daemon that crash-loops, which a real kubelet shows terminated between restarts', async () => {
        // Lily's fatal line 15 s after each start: Ready before it, so the deploy passes;
        // then the kubelet restarts it (after 10 s, then 20 s) and status is asked.
        const { result, release } = await statusOf(
          major,
          'crash',
          { LILY_FAKE_FATAL: CRASH, LILY_FAKE_FATAL_AFTER: '15s' },
          NO_SYNC_WAIT,
          {
            meanwhile: (pod, namespace) => restartedTwice(pod, namespace),
            inputs: { 'fail-fast-restarts': '2' },
          },
        );
        assert.equal(result.exitCode, 1, result.log);
        assert.equal(result.outputs['failure-reason'], 'lily-unhealthy', result.log);
        const pod = daemonPod(release);
        const line = new RegExp(
          `Lily release ${release} is unhealthy: pod ${pod} crash-loops: container daemon restarted ([2-9]) time\\(s\\)( \\(CrashLoopBackOff\\))?; last exit code 1 \\(Error\\)`,
        ).exec(result.log);
        assert.ok(line, result.log);
        assert.match(
          result.log,
          new RegExp(`  ${pod}: [a-z-]+ \\([^)]+\\), [^,]+, restarts ${line[1]}, `),
        );
        assert.match(result.summary, /❌ unhealthy/);
      });
    });
  }
});

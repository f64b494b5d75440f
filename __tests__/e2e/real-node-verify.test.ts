// The verify window asks Lily's API on the real node (the fake lily, a real
// TLS Postgres), through the API server's pod proxy: it answers, its watch
// job runs without an Error, its chain head advances. A job that fails, a
// head that does not move, and credentials without pods/proxy (warned, then
// skipped, saying why). Helm 3 and Helm 4; each test its own namespace,
// release and schema.
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
import { SKIP } from '../../test/support/real-node.js';
import type { ActionResult } from '../../test/support/runner.js';
import { kubeconfigFor, namespacedServiceAccount } from '../../test/support/service-account.js';

const DB: LilyDatabase = { name: 'verify', role: 'lily_verify', password: 'verify p@ss:w/rd?#%+' };
// Lily's own words for a watch job whose database connection was cut (go-pg's error).
const PG_ERROR = 'ERROR #57P01 terminating connection due to administrator command';
const JOB_ERROR = `index: notify tipset: persist result (block_header.BlockHeader): persisting model: ${PG_ERROR}`;

describe('Lily verified on the real node', { skip: SKIP, concurrency: 2 }, () => {
  const env = useE2E({ realNode: true });
  const node = useLilyDatabase(DB);

  /** A deploy with verify on of a release whose daemon runs the watch job, in a namespace and schema of its own. */
  async function verifiedDeploy(
    major: 3 | 4,
    name: string,
    options: {
      fakeEnv?: Record<string, string>;
      values?: object;
      inputs?: Record<string, string>;
    } = {},
  ): Promise<{ result: ActionResult; release: string; namespace: string }> {
    const release = `${name}-h${major}`;
    const namespace = options.inputs?.namespace ?? uniqueName(`rnv-${name}-h${major}`);
    const schema = `verify_${name}_h${major}`.replaceAll('-', '_');
    await freshSchema(node(), DB, schema);
    const result = await deploy(env.e2e, major, {
      ...realNodeInputs(node(), DB, { release, namespace, schema }),
      values: watchJobValues(options.fakeEnv, options.values),
      verify: 'true',
      'verify-window': '8s',
      ...options.inputs,
    });
    assert.deepEqual(await leaks(result, [DB.password]), [], 'the password appears nowhere');
    return { result, release, namespace };
  }

  for (const major of [3, 4] as const) {
    // The majors side by side, each one's tests one after the other.
    describe(`helm ${major}`, { concurrency: 1 }, () => {
      it("passes when Lily's API answers, its job runs and its head advances; lily-jobs and chain-height say so", async () => {
        // A synced Lily takes a head every 30 s, as mainnet: the window holds one.
        const { result, release } = await verifiedDeploy(major, 'pass', {
          inputs: { 'verify-window': '35s' },
        });
        assert.equal(result.exitCode, 0, result.log);
        const pod = daemonPod(release);
        assert.ok(
          result.log.includes(
            "Verifying for 35s that Lily's API answers through the pod proxy, its jobs run and its chain head advances",
          ),
          result.log,
        );
        assert.ok(result.log.includes('Verified: 1 pod(s) stayed Ready for 35s, no restart'));
        assert.match(
          result.log,
          /Verified: Lily's API answered in 1 pod\(s\), 1 job\(s\) Running without error, the chain head advanced from (\d+) to (\d+) in 35s/,
        );
        const [, from, to] =
          /the chain head advanced from (\d+) to (\d+) in 35s/.exec(result.log) ?? [];
        assert.ok(Number(to) > Number(from), `${from} → ${to}`);
        const rows = jobRowsOf(result.outputs['lily-jobs']);
        assert.equal(rows.length, 1, result.outputs['lily-jobs']);
        assert.deepEqual(
          { ...rows[0], name: undefined },
          { pod, id: 1, name: undefined, running: true, error: '' },
        );
        assert.match(rows[0]?.name ?? '', new RegExp(`^lily-${release}-dev-mainnet/blocks-\\w+$`));
        // Synced: the head is mainnet's expected height.
        const height = Number(result.outputs['chain-height']);
        assert.ok(height >= Number(to), `${height} is the last head read`);
        assert.ok(Math.abs(mainnetHeightNow() - height) <= 1, `${height}`);
        assert.match(result.summary, /\| Verified \|.*Lily's API answered in 1 pod\(s\)/);
      });

      it("fails as lily-job when a job has an Error, quoting Lily's error with the remedy", async () => {
        const { result, release } = await verifiedDeploy(major, 'job', {
          // It fails on the first head after 3 s of running: a head comes every 30 s.
          fakeEnv: { LILY_FAKE_JOB_ERROR: PG_ERROR, LILY_FAKE_JOB_ERROR_AFTER: '3s' },
          inputs: { 'verify-window': '45s' },
        });
        assert.equal(result.exitCode, 1, result.log);
        assert.equal(result.outputs['failure-reason'], 'lily-job', result.log);
        const pod = daemonPod(release);
        assert.match(
          result.log,
          new RegExp(
            `Deploy of ${release} failed \\(lily-job\\): Lily's job "lily-${release}-dev-mainnet/blocks-\\w+" \\(id 1\\) in pod ${pod} failed: ${escape(JOB_ERROR)}`,
          ),
        );
        assert.ok(result.log.includes("Remedy: Read the job's Error above"), result.log);
        assert.ok(result.log.includes(`Lily's jobs in pod ${pod} (Filecoin.LilyJobList):`));
        const rows = jobRowsOf(result.outputs['lily-jobs']);
        assert.deepEqual(
          rows.map((r) => ({ running: r.running, error: r.error })),
          [{ running: false, error: JOB_ERROR }],
        );
      });

      it('fails as lily-stalled when the chain head does not move in the window', async () => {
        const { result, release } = await verifiedDeploy(major, 'stuck', {
          fakeEnv: { LILY_FAKE_BLOCK_TIME: '1h' },
          values: NO_SYNC_WAIT,
          inputs: { 'verify-window': '6s' },
        });
        assert.equal(result.exitCode, 1, result.log);
        assert.equal(result.outputs['failure-reason'], 'lily-stalled', result.log);
        assert.match(
          result.log,
          new RegExp(
            `Deploy of ${release} failed \\(lily-stalled\\): Lily's chain head in pod ${daemonPod(release)} did not advance in 6s: it stayed at height ${result.outputs['chain-height']} \\(its block of \\d{4}-`,
          ),
        );
      });

      it('without pods/proxy rights: the preflight warns, the pods are verified and Lily is not, saying why', async () => {
        const namespace = uniqueName(`rnv-noproxy-h${major}`);
        const token = await namespacedServiceAccount(env.kube, namespace, 'fixture-role');
        const { result } = await verifiedDeploy(major, 'noproxy', {
          inputs: {
            namespace,
            'create-namespace': 'false',
            kubeconfig: kubeconfigFor(env.e2e, namespace, { token }),
          },
        });
        assert.equal(result.exitCode, 0, result.log);
        assert.deepEqual(await leaks(result, [token]), [], 'the token appears nowhere');
        assert.match(
          result.log,
          /\| core \| pods\/proxy \| \S+ \| create \| verify: Lily's API \|/,
        );
        const why = `Lily's API not verified: these credentials may not create pods/proxy in namespace ${namespace}`;
        assert.ok(
          result.annotations.some((a) => a.kind === 'warning' && a.message.startsWith(why)),
          result.log,
        );
        assert.ok(!result.log.includes("Verified: Lily's API answered"), result.log);
        assert.ok(result.log.includes('Verified: 1 pod(s) stayed Ready for 8s, no restart'));
        assert.equal(result.outputs['lily-jobs'], undefined);
        assert.match(result.summary, /\| Verified \|.*Lily's API not verified: /);
      });
    });
  }
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

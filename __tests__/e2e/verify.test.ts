// The verify window: after helm's wait passed, a main container that crashes
// or is OOM-killed fails the deploy, with the crashed run's lines, and the
// release is left as the error says (rolled back or uninstalled with atomic,
// as helm recorded it without). The pods are kwok's crash-after-ready and
// oom-after-ready: Ready like a container without a readiness probe on a real
// kubelet, then terminated (never CrashLoopBackOff), then restarted.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FIXTURE_LOG_LINES } from '../../test/cluster/cluster.js';
import { deploy, uniqueName, useE2E } from '../../test/support/e2e.js';

const env = useE2E();

const DAEMON = 'deploymentType: daemon\n';
const behavior = (b: string) => `${DAEMON}test:\n  behavior: ${b}\n`;
// Long enough for the first crash (6–7 s after Ready) whatever helm's wait took.
const WINDOW = '40s';

for (const major of [3, 4] as const) {
  describe(`verify window with helm ${major}`, () => {
    const namespace = uniqueName(`verify-h${major}`);
    const common = { namespace, 'create-namespace': 'true', timeout: '5m', verify: 'true' };
    /** A deploy of a release whose pods do `b`, watched for the window. */
    const failing = (release: string, b: string, inputs: Record<string, string> = {}) =>
      deploy(env.e2e, major, {
        ...common,
        release,
        values: behavior(b),
        'verify-window': WINDOW,
        ...inputs,
      });

    // kwok's pods stay up but have no Lily API (their IPs are fake): the
    // pods pass and Lily's API is named as not answering. A healthy Lily
    // passes the window on the real node (real-node-verify.test.ts).
    it('pods that stay up but whose Lily API does not answer fail the window as lily-api, saying so', async () => {
      const result = await deploy(env.e2e, major, {
        ...common,
        release: 'healthy',
        values: DAEMON,
        'verify-window': '5s',
      });
      assert.equal(result.exitCode, 1, result.log);
      assert.equal(result.outputs['failure-reason'], 'lily-api', result.log);
      assert.ok(
        result.log.includes(
          "Verifying for 5s that Lily's pods stay up (verify-window; verify: false turns it off)",
        ),
      );
      assert.match(
        result.log,
        /Deploy of healthy failed \(lily-api\): Lily's API in pod lily-healthy-dev-mainnet-daemon-0 \(port 1234, \/rpc\/v0\) did not answer through the API server's pod proxy: /,
      );
      assert.equal(result.outputs['lily-jobs'], '[]');
    });

    it('a crash after Ready fails the deploy with the crashed run, leaving the release as the error says', async () => {
      const release = 'crash';
      const result = await failing(release, 'crash-after-ready');
      assert.equal(result.exitCode, 1, result.log);
      assert.equal(result.outputs['failure-reason'], 'crash-loop');
      const pod = `lily-${release}-dev-mainnet-daemon-0`;
      assert.match(
        result.log,
        new RegExp(
          `Deploy of ${release} failed \\(crash-loop\\): container daemon of pod ${pod} (restarted 1 time\\(s\\)|stopped) after helm's wait passed; last exit code 1 \\(Error\\)`,
        ),
      );
      assert.match(
        result.log,
        new RegExp(
          `The crashed run of container daemon of pod ${pod}, its last \\d+ log line\\(s\\):`,
        ),
      );
      assert.ok(result.log.includes(FIXTURE_LOG_LINES['daemon-crash'][2]));
      // Without atomic: helm's record stands, and the error says how to undo it.
      assert.match(
        result.log,
        new RegExp(
          `Revision 1 of ${release} stays deployed, as helm recorded it \\(atomic is off\\); undo it with \`helm uninstall ${release} --namespace ${namespace}\``,
        ),
      );
      assert.equal(result.outputs.status, 'deployed');
      assert.equal(result.outputs.revision, '1');
      assert.equal((await env.kube.releaseStatus(release, namespace))?.status, 'deployed');
      assert.match(
        result.summary,
        /\*\*crash-loop\*\*: container daemon of pod .* after helm's wait passed/,
      );
    });

    it('an OOM kill after Ready with atomic rolls the upgrade back, naming the limit and its value', async () => {
      const release = 'oom';
      // Not verified: kwok's pods have no Lily API to answer.
      const good = await deploy(env.e2e, major, {
        ...common,
        release,
        values: DAEMON,
        verify: 'false',
      });
      assert.equal(good.exitCode, 0, good.log);
      const bad = await failing(release, 'oom-after-ready', { atomic: 'true' });
      assert.equal(bad.exitCode, 1, bad.log);
      assert.equal(bad.outputs['failure-reason'], 'oom-killed');
      assert.match(
        bad.log,
        /Deploy of oom failed \(oom-killed\): container daemon of pod \S+ (restarted 1 time\(s\)|stopped) after helm's wait passed; last exit code 137 \(OOMKilled\): out of memory, its limit is 256Mi \(daemon\.resources\.limits\.memory\)/,
      );
      assert.ok(bad.log.includes(FIXTURE_LOG_LINES['daemon-oom'][2]));
      assert.ok(bad.log.includes("atomic: rolling back to revision 1, as helm's atomic does"));
      const status = await env.kube.releaseStatus(release, namespace);
      assert.ok(status);
      assert.equal(status.status, 'deployed');
      assert.ok(status.revision > 2, 'a rollback revision after the failed one');
      assert.equal(bad.outputs.status, 'deployed');
      assert.equal(bad.outputs.revision, String(status.revision));
      assert.match(
        bad.log,
        new RegExp(
          `Release oom was rolled back \\(atomic\\): revision ${status.revision} is deployed`,
        ),
      );
      const sts = await env.kube.daemonStatefulSet(release, namespace);
      assert.equal(
        sts.status.readyReplicas,
        sts.status.replicas,
        'the previous release runs again',
      );
    });

    it('a first install with atomic that crashes after Ready is uninstalled, with what the run made', async () => {
      const release = 'first';
      const own = uniqueName(`verify-first-h${major}`);
      const result = await failing(release, 'crash-after-ready', {
        namespace: own,
        atomic: 'true',
      });
      assert.equal(result.exitCode, 1, result.log);
      assert.equal(result.outputs['failure-reason'], 'crash-loop');
      assert.ok(
        result.log.includes('Release first was uninstalled (atomic: its first install failed).'),
      );
      assert.equal(await env.kube.releaseStatus(release, own), undefined);
      assert.equal(result.outputs.status, '');
      assert.match(result.log, /No release was made: removed namespace/);
    });

    it('verify: false deploys as before, without a window', async () => {
      const result = await failing('unverified', 'crash-after-ready', { verify: 'false' });
      assert.equal(result.exitCode, 0, result.log);
      assert.ok(!result.log.includes('Verifying for'));
      assert.match(result.summary, /\| Verified \| off \(verify: false\) \|/);
    });
  });
}

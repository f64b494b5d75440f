// When a deploy fails, on a real control plane with pods that fail the known
// ways (kwok stages, see test/cluster/README.md): fail fast, show the logs, say
// why, remediate when asked, and never leave a release pending.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { FIXTURE_LOG_LINES } from '../../test/cluster/cluster.js';
import { deploy, startDeploy, uniqueName, useE2E } from '../../test/support/e2e.js';

const env = useE2E();

const DAEMON = 'deploymentType: daemon\n';
const behavior = (b: string) => `${DAEMON}test:\n  behavior: ${b}\n`;
const withDatastore = `${DAEMON}daemon:\n  volumes:\n    datastore:\n      enabled: true\n`;

/** A PVC bound to a volume pinned to a node that is gone: what a destroyed release leaves behind. */
async function leaveStaleClaim(namespace: string, claim: string): Promise<void> {
  const pv = `stale-${namespace}-${claim}`.slice(0, 253);
  await env.kube.run(
    ['apply', '-f', '-'],
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'List',
      items: [
        {
          apiVersion: 'v1',
          kind: 'PersistentVolume',
          metadata: { name: pv },
          spec: {
            capacity: { storage: '10Gi' },
            accessModes: ['ReadWriteOnce'],
            storageClassName: 'standard',
            hostPath: { path: '/tmp/stale' },
            claimRef: { namespace, name: claim },
            nodeAffinity: {
              required: {
                nodeSelectorTerms: [
                  {
                    matchExpressions: [
                      { key: 'kubernetes.io/hostname', operator: 'In', values: ['gone-node'] },
                    ],
                  },
                ],
              },
            },
          },
        },
        {
          apiVersion: 'v1',
          kind: 'PersistentVolumeClaim',
          metadata: { name: claim, namespace },
          spec: {
            accessModes: ['ReadWriteOnce'],
            storageClassName: 'standard',
            volumeName: pv,
            resources: { requests: { storage: '10Gi' } },
          },
        },
      ],
    }),
  );
}

async function uidOfPvc(namespace: string, claim: string): Promise<string | undefined> {
  return (
    await env.kube.find<{ metadata: { uid: string } }>(['get', 'pvc', claim, '-n', namespace])
  )?.metadata.uid;
}

async function diagnosticsOf(
  path: string | undefined,
): Promise<{ pods: { name: string }[]; findings: { reason: string }[] }> {
  assert.ok(path, 'the diagnostics output names a file');
  return JSON.parse(await readFile(path, 'utf8')) as {
    pods: { name: string }[];
    findings: { reason: string }[];
  };
}

for (const major of [3, 4] as const) {
  describe(`failures with helm ${major}`, () => {
    const namespace = uniqueName(`fail-h${major}`);
    const common = { namespace, 'create-namespace': 'true', timeout: '10m' };

    it('a crash-looping pod ends a 10m wait early, with its logs, its waiting reason and the cause', async () => {
      const release = 'crash';
      const started = Date.now();
      const result = await deploy(env.e2e, major, {
        ...common,
        release,
        values: behavior('crash-loop'),
      });
      const elapsed = Date.now() - started;
      assert.equal(result.exitCode, 1);
      assert.ok(elapsed < 60_000, `failed after ${elapsed} ms, well before the 10m timeout`);
      assert.equal(result.outputs['failure-reason'], 'crash-loop');
      for (const line of [
        ...FIXTURE_LOG_LINES['daemon-crash'],
        ...FIXTURE_LOG_LINES['daemon-crash-previous'],
      ]) {
        assert.ok(result.log.includes(line), `the log shows: ${line}`);
      }
      // Its log lines that look like workflow commands are the pod's text: none was obeyed.
      assert.deepEqual(
        result.annotations.filter((a) => a.properties.title === 'forged by a pod log'),
        [],
      );
      assert.equal(result.masker.registered.includes('lily daemon'), false);
      // The waiting reason, in the finding (the pod's own state may be between two restarts by the time it is described).
      assert.match(
        result.log,
        /container daemon of pod lily-crash-dev-mainnet-daemon-0 is crash-looping/,
      );
      assert.ok(
        result.annotations.some(
          (a) => a.kind === 'error' && a.properties.title === 'lily-deploy: crash-loop',
        ),
      );
      assert.match(result.summary, /^### Lily deploy failed: `crash` in `.*` \(crash-loop\)/);
      assert.match(result.summary, /Remedy: /);
      assert.ok(result.summary.includes(FIXTURE_LOG_LINES['daemon-crash'][2]));
      const status = await env.kube.releaseStatus(release, namespace);
      assert.equal(status?.status, 'failed', 'recorded as failed, not pending');
      assert.equal(result.outputs.status, 'failed');
      const diagnostics = await diagnosticsOf(result.outputs.diagnostics);
      assert.deepEqual(
        diagnostics.pods.map((p) => p.name),
        [`lily-${release}-dev-mainnet-daemon-0`],
      );
    });

    it('nothing of Lily progressing at timeout is a timeout, named by the start-up watch, which stops helm', async () => {
      const result = await deploy(env.e2e, major, {
        ...common,
        release: 'slow',
        values: behavior('crash-loop'),
        'fail-fast': 'false',
        timeout: '6s',
      });
      assert.equal(result.exitCode, 1);
      // helm's own --timeout is startup-timeout while a Lily start-up may
      // progress; a daemon that is not running is no start-up: timeout holds.
      // The pods may explain it further (a crash loop): never a helm-error.
      assert.ok(
        ['timeout', 'crash-loop'].includes(result.outputs['failure-reason'] ?? ''),
        result.log,
      );
      const error = result.annotations.find(
        (a) => a.kind === 'error' && a.message.startsWith('Deploy of slow failed'),
      );
      assert.match(
        error?.message ?? '',
        // Which step the pod reached by then depends on the machine's speed
        // (under load the StatefulSet's pod may not even be there yet).
        /timeout 6s passed and the deploy is not a progressing Lily start-up: (lily-slow-dev-mainnet-daemon-0 \([a-z-]+\): ([a-z-]+ is not running|shows no progress to follow)|no Lily pod is starting up)/,
        result.log,
      );
      assert.ok(result.durationMs < 60_000, `${result.durationMs} ms`);
    });

    it('with atomic, a failed upgrade is rolled back and the previous release keeps working', async () => {
      const release = 'atomic';
      const good = await deploy(env.e2e, major, { ...common, release, values: DAEMON });
      assert.equal(good.exitCode, 0, good.log);
      const bad = await deploy(env.e2e, major, {
        ...common,
        release,
        atomic: 'true',
        values: behavior('crash-loop'),
      });
      assert.equal(bad.exitCode, 1);
      assert.equal(bad.outputs['failure-reason'], 'crash-loop');
      const status = await env.kube.releaseStatus(release, namespace);
      assert.ok(status);
      assert.equal(status.status, 'deployed', 'rolled back');
      assert.equal(bad.outputs.status, 'deployed');
      assert.equal(bad.outputs.revision, String(status.revision));
      // The crash-looping pod of the failed revision was replaced: the previous release runs again.
      const sts = await env.kube.daemonStatefulSet(release, namespace);
      assert.equal(sts.status.readyReplicas, sts.status.replicas);
      // ...and its logs, taken before it was deleted, are in the report.
      assert.match(bad.log, /\(deleted by lily-deploy to replace it; as it was just before\)/);
      assert.ok(bad.log.includes(FIXTURE_LOG_LINES['daemon-crash'][2]));
    });

    it('an image that cannot be pulled: image-pull, naming the image', async () => {
      const result = await deploy(env.e2e, major, {
        ...common,
        release: 'pull',
        values: `${behavior('image-pull')}image:\n  tag: v0.0.0-missing\n`,
      });
      assert.equal(result.outputs['failure-reason'], 'image-pull');
      assert.match(result.summary, /cannot pull image filecoin\/lily:v0\.0\.0-missing/);
      assert.match(result.summary, /Remedy: Check image\.repo and image\.tag/);
      assert.equal((await env.kube.releaseStatus('pull', namespace))?.status, 'failed');
    });

    it('a storage entry naming a Secret that does not exist: missing-secret, naming it', async () => {
      const values = `${behavior('config-error')}daemon:\n  storage:\n    postgresql:\n      - {name: db, secretName: nowhere-db, secretKey: url, schema: lily}\n`;
      const result = await deploy(env.e2e, major, { ...common, release: 'nosecret', values });
      assert.equal(result.outputs['failure-reason'], 'missing-secret');
      assert.match(result.summary, /Secret nowhere-db does not exist in namespace/);
      assert.equal((await env.kube.releaseStatus('nosecret', namespace))?.status, 'failed');
    });

    it('a PVC left by a destroyed release: volume-node-affinity, naming the PVC and the fix', async () => {
      const release = 'stale';
      const claim = `datastore-volume-lily-${release}-dev-mainnet-daemon-0`;
      await leaveStaleClaim(namespace, claim);
      const result = await deploy(env.e2e, major, { ...common, release, values: withDatastore });
      assert.equal(result.outputs['failure-reason'], 'volume-node-affinity');
      assert.ok(result.summary.includes(`kubectl delete pvc ${claim} -n ${namespace}`));
      assert.ok(await uidOfPvc(namespace, claim), 'without remediate, nothing is deleted');
    });

    it('remediate: true deletes exactly that stale PVC, and the deploy then succeeds', async () => {
      const release = 'healed';
      const claim = `datastore-volume-lily-${release}-dev-mainnet-daemon-0`;
      await leaveStaleClaim(namespace, claim);
      const staleUid = await uidOfPvc(namespace, claim);
      const bystander = 'datastore-volume-someone-else-0';
      await leaveStaleClaim(namespace, bystander);
      const result = await deploy(env.e2e, major, {
        ...common,
        release,
        remediate: 'true',
        values: withDatastore,
      });
      assert.equal(result.exitCode, 0, result.log);
      assert.equal(result.outputs.status, 'deployed');
      const deleted = result.annotations.filter(
        (a) => a.kind === 'warning' && a.message.startsWith('remediate: deleted'),
      );
      assert.equal(deleted.length, 1);
      assert.match(
        deleted[0]!.message,
        new RegExp(
          `PVC ${namespace}/${claim} and pod ${namespace}/lily-${release}-dev-mainnet-daemon-0`,
        ),
      );
      assert.match(result.summary, /remediate: deleted PVC/);
      const now = await uidOfPvc(namespace, claim);
      assert.ok(now && now !== staleUid, 'the StatefulSet made a new PVC');
      assert.ok(await uidOfPvc(namespace, bystander), 'a PVC outside the release is untouched');
    });

    it('a job cancelled mid-wait leaves the release failed, not pending, and the next run deploys', async () => {
      const release = 'cancelled';
      const run = await startDeploy(
        env.e2e,
        major,
        {
          ...common,
          release,
          // Never ready, never fatal: helm would wait the whole 10m.
          values: behavior('crash-loop'),
          'fail-fast-restarts': '1000',
        },
        { cancel: 'SIGTERM' },
      );
      await waitForPod(namespace, `lily-${release}-dev-mainnet-daemon-0`);
      run.cancel();
      const cancelled = await run.result;
      assert.equal(cancelled.exitCode, 1);
      assert.equal(cancelled.outputs['failure-reason'], 'cancelled');
      const failed = await env.kube.releaseStatus(release, namespace);
      assert.equal(failed?.status, 'failed', 'failed, not pending');

      const next = await deploy(env.e2e, major, { ...common, release, values: DAEMON });
      assert.equal(next.exitCode, 0, next.log);
      assert.equal(next.outputs.status, 'deployed');
      // Not a revision count: helm may run twice (runMonitored runs it again after
      // replacing a broken pod of the failed revision). What is guaranteed: a
      // deployed revision after the failed one, and nothing left pending.
      assert.ok(
        Number(next.outputs.revision) > failed.revision,
        `revision ${next.outputs.revision} comes after the failed ${failed.revision}`,
      );
      const history = await env.kube.releaseHistory(release, namespace);
      assert.deepEqual(
        history.filter((h) => h.status.startsWith('pending')),
        [],
        'no revision left pending',
      );
      assert.deepEqual(history.at(-1), {
        revision: Number(next.outputs.revision),
        status: 'deployed',
      });
    });

    it('an upgrade away from a broken revision replaces its broken pods and succeeds', async () => {
      const release = 'mend';
      const broken = await deploy(env.e2e, major, {
        ...common,
        release,
        values: behavior('crash-loop'),
      });
      assert.equal(broken.exitCode, 1);
      const fixed = await deploy(env.e2e, major, { ...common, release, values: DAEMON });
      assert.equal(fixed.exitCode, 0, fixed.log);
      assert.equal(fixed.outputs.status, 'deployed');
      assert.ok(
        fixed.annotations.some((a) =>
          /deleted broken pod .*lily-mend-dev-mainnet-daemon-0 of a superseded StatefulSet revision/.test(
            a.message,
          ),
        ),
        'the broken pod of the old revision was replaced, and said so',
      );
      assert.match(fixed.summary, /deleted broken pod/);
    });

    it('a release left pending by a killed deploy: refused while young, repaired on request, then deployed', async () => {
      const release = 'stuck';
      const first = await deploy(env.e2e, major, { ...common, release, values: DAEMON });
      assert.equal(first.exitCode, 0, first.log);
      // A runner that dies mid-wait: the action and helm are SIGKILLed, helm records nothing more.
      const killed = await startDeploy(env.e2e, major, {
        ...common,
        release,
        values: behavior('crash-loop'),
        'fail-fast-restarts': '1000',
      });
      await waitForPending(release, namespace);
      killed.kill('SIGKILL');
      await killed.result;
      assert.equal((await env.kube.releaseStatus(release, namespace))?.status, 'pending-upgrade');

      const refused = await deploy(env.e2e, major, { ...common, release, values: DAEMON });
      assert.equal(refused.exitCode, 1);
      assert.match(
        refused.log,
        /is pending-upgrade since .*another deploy is probably running.*concurrency group/,
      );
      assert.equal(
        (await env.kube.releaseStatus(release, namespace))?.status,
        'pending-upgrade',
        'nothing was changed',
      );

      const repaired = await deploy(env.e2e, major, {
        ...common,
        release,
        values: DAEMON,
        'recover-stuck-release': 'true',
      });
      assert.equal(repaired.exitCode, 0, repaired.log);
      assert.ok(
        repaired.annotations.some(
          (a) =>
            a.kind === 'warning' &&
            /was stuck in pending-upgrade .* rolled back to revision 1/.test(a.message),
        ),
      );
      assert.equal(repaired.outputs.status, 'deployed');
    });
  });
}

async function waitForPending(release: string, namespace: string): Promise<void> {
  for (let i = 0; i < 150; i++) {
    if ((await env.kube.releaseStatus(release, namespace))?.status.startsWith('pending')) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`release ${release} never became pending`);
}

describe('multi-attach', () => {
  // kwok does not attach volumes, so the attach-detach controller's event is posted as it would post it.
  async function postMultiAttach(
    namespace: string,
    { pod, uid }: { pod: string; uid: string },
  ): Promise<void> {
    const longAgo = new Date(Date.now() - 5 * 60_000).toISOString();
    await env.kube.run(
      ['create', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: `${pod}.multi-attach`, namespace },
        involvedObject: { kind: 'Pod', name: pod, namespace, uid, apiVersion: 'v1' },
        reason: 'FailedAttachVolume',
        message:
          'Multi-Attach error for volume "pvc-1234" Volume is already exclusively attached to one node and can\'t be attached to another',
        type: 'Warning',
        source: { component: 'attachdetach-controller' },
        firstTimestamp: longAgo,
        lastTimestamp: longAgo,
        count: 7,
      }),
    );
  }

  // A pod that never gets ready, but is not fatal by itself: it waits behind its volume.
  const stuck = (release: string, namespace: string) => ({
    release,
    namespace,
    'create-namespace': 'true',
    values: behavior('crash-loop'),
    'fail-fast-restarts': '1000',
  });

  it('is reported with the pod to delete', async () => {
    const namespace = uniqueName('attach');
    const pod = 'lily-attach-dev-mainnet-daemon-0';
    const run = await startDeploy(env.e2e, 4, { ...stuck('attach', namespace), timeout: '10m' });
    await postMultiAttach(namespace, await waitForPod(namespace, pod));
    const result = await run.result;
    assert.equal(result.outputs['failure-reason'], 'multi-attach');
    assert.ok(result.summary.includes(`kubectl delete pod ${pod} -n ${namespace}`));
    assert.ok(result.durationMs < 60_000);
  });

  it('remediate: true deletes that pod once, reports it, and keeps waiting within the timeout', async () => {
    const namespace = uniqueName('attach');
    const pod = 'lily-healing-dev-mainnet-daemon-0';
    const run = await startDeploy(env.e2e, 4, {
      ...stuck('healing', namespace),
      timeout: '20s',
      remediate: 'true',
    });
    const uid = await waitForPod(namespace, pod);
    await postMultiAttach(namespace, uid);
    const result = await run.result;
    const deleted = result.annotations.filter((a) => a.message.startsWith('remediate: deleted'));
    assert.equal(deleted.length, 1);
    assert.match(
      deleted[0]!.message,
      new RegExp(`^remediate: deleted pod ${namespace}/${pod} \\(`),
    );
    const now = await env.kube.json<{ metadata: { uid: string } }>([
      'get',
      'pod',
      pod,
      '-n',
      namespace,
    ]);
    assert.notEqual(now.metadata.uid, uid.uid, 'the StatefulSet recreated the pod');
    // Still never ready: the run waited out its 20s timeout rather than stopping at the deletion.
    assert.ok(['timeout', 'crash-loop'].includes(result.outputs['failure-reason'] ?? ''));
    assert.ok(result.durationMs >= 20_000);
  });
});

/** Waits for the pod to exist; returns its name and uid. */
async function waitForPod(namespace: string, pod: string): Promise<{ pod: string; uid: string }> {
  for (let i = 0; i < 100; i++) {
    const found = await env.kube.find<{ metadata: { uid: string } }>([
      'get',
      'pod',
      pod,
      '-n',
      namespace,
    ]);
    if (found) return { pod, uid: found.metadata.uid };
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`pod ${pod} never appeared`);
}

// Classification on pod and event JSON recorded from the e2e cluster
// (fixtures/, `kubectl get -o json`), plus hand-made variants of them.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { classify, likeliestReason, primaryReason } from '../../src/failure/classify.js';
import { withShellReportedKills } from '../../src/failure/container-findings.js';
import type { FailureReason } from '../../src/failure-reason.js';
import type { KubeEvent, KubeList, Pod } from '../../src/kube/types.js';

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`fixtures/${name}`, import.meta.url), 'utf8'));

const crashLoop = fixture('pod-crash-loop.json') as Pod;
const imagePull = fixture('pod-image-pull.json') as Pod;
const configError = fixture('pod-config-error.json') as Pod;
const ready = fixture('pod-ready.json') as Pod;
const staleClaim = fixture('pod-pending-stale-claim.json') as Pod;
const failingEvents = (fixture('events-failing-pods.json') as KubeList<KubeEvent>).items;
const schedulingEvents = (fixture('events-failed-scheduling.json') as KubeList<KubeEvent>).items;

const NOW = Date.parse('2026-11-21T14:00:00Z');
const options = {
  namespace: 'scratch',
  restartThreshold: 3,
  graceMs: 60_000,
  unschedulableGraceMs: 45_000,
  databaseTimeoutMs: 180_000,
  databaseTimeout: '3m',
  now: NOW,
};

function multiAttach(pod: Pod, firstSeen: string): KubeEvent {
  return {
    metadata: { name: 'e', namespace: 'scratch' },
    involvedObject: { kind: 'Pod', name: pod.metadata.name, uid: pod.metadata.uid },
    reason: 'FailedAttachVolume',
    type: 'Warning',
    message:
      'Multi-Attach error for volume "pvc-1" Volume is already exclusively attached to one node and can\'t be attached to another',
    firstTimestamp: firstSeen,
    lastTimestamp: firstSeen,
  };
}

/** The recorded pod caught between two restarts (running); this is it in back-off. */
function inBackOff(pod: Pod, restarts: number): Pod {
  const copy = structuredClone(pod);
  for (const status of copy.status?.containerStatuses ?? []) {
    status.restartCount = restarts;
    status.state = {
      waiting: {
        reason: 'CrashLoopBackOff',
        message: 'back-off 10s restarting failed container=daemon',
      },
    };
  }
  return copy;
}

/**
 * The recorded pod as a real kubelet shows a container without a readiness
 * probe: Running and Ready for a moment after each start, never CrashLoopBackOff.
 */
function onRealKubelet(
  pod: Pod,
  {
    runningForMs,
    reason = 'Error',
    memoryLimit,
  }: { runningForMs: number; reason?: string; memoryLimit?: string },
): Pod {
  const copy = structuredClone(pod);
  for (const status of copy.status?.containerStatuses ?? []) {
    status.ready = true;
    status.state = { running: { startedAt: new Date(NOW - runningForMs).toISOString() } };
    status.lastState = { terminated: { exitCode: reason === 'OOMKilled' ? 137 : 1, reason } };
  }
  for (const container of copy.spec?.containers ?? [])
    if (memoryLimit) container.resources = { limits: { memory: memoryLimit } };
  return copy;
}

const TABLE: {
  name: string;
  pods: Pod[];
  events: KubeEvent[];
  reason?: FailureReason;
  fatal?: boolean;
  says?: RegExp;
}[] = [
  { name: 'a ready pod', pods: [ready], events: [] },
  {
    name: 'crash loop, caught running between restarts',
    pods: [crashLoop],
    events: failingEvents,
    reason: 'crash-loop',
    fatal: true,
    says: /container daemon of pod \S+ is crash-looping: restarted 14 time\(s\); last exit code 1 \(Error\)/,
  },
  {
    name: 'crash loop in back-off past the threshold',
    pods: [inBackOff(crashLoop, 3)],
    events: [],
    reason: 'crash-loop',
    fatal: true,
    says: /is crash-looping \(CrashLoopBackOff\): restarted 3 time/,
  },
  {
    name: 'crash loop in back-off below the threshold',
    pods: [inBackOff(crashLoop, 2)],
    events: [],
    reason: 'crash-loop',
    fatal: false,
  },
  {
    name: 'crash loop on a real kubelet: Ready for the moment after a start',
    pods: [onRealKubelet(crashLoop, { runningForMs: 1000 })],
    events: [],
    reason: 'crash-loop',
    fatal: true,
    says: /is crash-looping: restarted 14 time\(s\); last exit code 1 \(Error\)/,
  },
  {
    name: 'old restarts of a container Ready for minutes since are history',
    pods: [onRealKubelet(crashLoop, { runningForMs: 5 * 60_000 })],
    events: [],
  },
  {
    name: 'OOM-killed over and over: the limit it had and the value that sets it',
    pods: [
      onRealKubelet(crashLoop, { runningForMs: 1000, reason: 'OOMKilled', memoryLimit: '256Mi' }),
    ],
    events: [],
    reason: 'oom-killed',
    fatal: true,
    says: /restarted 14 time\(s\); last exit code 137 \(OOMKilled\): out of memory, its limit is 256Mi \(daemon\.resources\.limits\.memory\)/,
  },
  {
    name: 'OOM-killed without a memory limit',
    pods: [onRealKubelet(crashLoop, { runningForMs: 1000, reason: 'OOMKilled' })],
    events: [],
    reason: 'oom-killed',
    fatal: true,
    says: /it has no memory limit \(the node ran out\)/,
  },
  {
    name: 'image pull',
    pods: [imagePull],
    events: failingEvents,
    reason: 'image-pull',
    fatal: true,
    says: /container init-datastore of pod \S+ cannot pull image filecoin\/lily:v0\.12\.0 \((ErrImagePull|ImagePullBackOff)/,
  },
  {
    name: 'missing Secret',
    pods: [configError],
    events: failingEvents,
    reason: 'missing-secret',
    fatal: true,
    says: /Secret config-error-lily-db does not exist in namespace scratch/,
  },
  {
    name: 'stale PVC on another node',
    pods: [staleClaim],
    events: schedulingEvents,
    reason: 'volume-node-affinity',
    fatal: true,
    says: /didn't match PersistentVolume's node affinity/,
  },
  {
    name: 'Multi-Attach past the grace period',
    pods: [ready],
    events: [multiAttach(ready, '2026-11-21T13:58:00Z')],
    reason: 'multi-attach',
    fatal: true,
  },
  {
    name: 'Multi-Attach within the grace period',
    pods: [ready],
    events: [multiAttach(ready, '2026-11-21T13:59:30Z')],
    reason: 'multi-attach',
    fatal: false,
  },
  {
    name: "events of a replaced pod of the same name (other uid) don't count",
    pods: [staleClaim],
    events: schedulingEvents.map((e) => ({
      ...e,
      involvedObject: { ...e.involvedObject, uid: 'another-uid' },
    })),
  },
  {
    name: 'a terminating pod is not judged',
    pods: [
      {
        ...crashLoop,
        metadata: { ...crashLoop.metadata, deletionTimestamp: '2026-11-21T13:59:00Z' },
      },
    ],
    events: [],
  },
];

describe('classify', () => {
  for (const row of TABLE) {
    it(row.name, () => {
      const findings = classify(row.pods, row.events, options);
      if (!row.reason) {
        assert.deepEqual(findings, []);
        return;
      }
      const [first] = findings;
      assert.ok(first, 'a finding');
      assert.equal(first.reason, row.reason);
      assert.equal(first.fatal, row.fatal);
      if (row.says) assert.match(first.summary, row.says);
      assert.ok(first.remedy.length > 20, 'a remedy in plain words');
    });
  }

  it('names the stale PVC and the commands that fix it', () => {
    const [finding] = classify([staleClaim], schedulingEvents, options);
    assert.ok(finding);
    assert.deepEqual(finding.claims, ['datastore-volume-lily-rec-dev-mainnet-daemon-0']);
    assert.match(
      finding.remedy,
      /kubectl delete pvc datastore-volume-lily-rec-dev-mainnet-daemon-0 -n scratch && kubectl delete pod lily-rec-dev-mainnet-daemon-0 -n scratch/,
    );
  });

  it('puts fatal findings first, the most specific cause first', () => {
    const findings = classify(
      [inBackOff(crashLoop, 1), crashLoop, configError],
      failingEvents,
      options,
    );
    assert.deepEqual(
      findings.map((f) => [f.reason, f.fatal]),
      [
        ['missing-secret', true],
        ['crash-loop', true],
        ['crash-loop', false],
      ],
    );
    assert.equal(primaryReason(findings, 'timeout'), 'missing-secret');
    assert.equal(primaryReason([], 'timeout'), 'timeout');
    assert.equal(
      likeliestReason(classify([inBackOff(crashLoop, 1)], [], options), 'timeout'),
      'crash-loop',
    );
  });
});

/** A pod the scheduler could not place since `since`, with the scheduler's message. */
function unschedulable(since: string, message: string): Pod {
  return {
    metadata: { name: 'lily-big-dev-mainnet-daemon-0', uid: 'u-big' },
    spec: { volumes: [{ name: 'd', persistentVolumeClaim: { claimName: 'datastore-0' } }] },
    status: {
      phase: 'Pending',
      conditions: [
        {
          type: 'PodScheduled',
          status: 'False',
          reason: 'Unschedulable',
          message,
          lastTransitionTime: since,
        },
      ],
    },
  };
}

function eventOn(kind: string, name: string, reason: string, at: string, message = ''): KubeEvent {
  return {
    metadata: { name: `${name}.${reason}`, namespace: 'scratch' },
    involvedObject: { kind, name },
    reason,
    type: reason === 'TriggeredScaleUp' || reason === 'Nominated' ? 'Normal' : 'Warning',
    message,
    firstTimestamp: at,
    lastTimestamp: at,
  };
}

const TOO_BIG =
  '0/1 nodes are available: 1 Insufficient memory. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.';
const POD = 'lily-big-dev-mainnet-daemon-0';

describe('classify: pods the scheduler cannot place', () => {
  it('is fatal once the grace has passed with no autoscaler, naming the cause and the values to lower', () => {
    const [finding] = classify([unschedulable('2026-11-21T13:59:00Z', TOO_BIG)], [], options);
    assert.ok(finding);
    assert.ok(finding);
    assert.equal(finding.reason, 'unschedulable');
    assert.equal(finding.fatal, true);
    assert.match(
      finding.summary,
      /cannot be scheduled: 0\/1 nodes are available: 1 Insufficient memory/,
    );
    assert.match(finding.remedy, /daemon\.resources/);
  });

  it('waits within the grace', () => {
    const [finding] = classify([unschedulable('2026-11-21T13:59:30Z', TOO_BIG)], [], options);
    assert.ok(finding);
    assert.equal(finding.fatal, false);
  });

  it('a TriggeredScaleUp (or Karpenter Nominated) event holds the verdict while the node joins', () => {
    for (const reason of ['TriggeredScaleUp', 'Nominated']) {
      const [finding] = classify(
        [unschedulable('2026-11-21T13:50:00Z', TOO_BIG)],
        [eventOn('Pod', POD, reason, '2026-11-21T13:51:00Z')],
        options,
      );
      assert.ok(finding);
      assert.equal(finding.fatal, false, reason);
      assert.match(finding.summary, /a node is on its way: scale-up last triggered 540 s ago/);
    }
  });

  it('NotTriggerScaleUp after the last scale-up ends the wait at once', () => {
    const [finding] = classify(
      [unschedulable('2026-11-21T13:59:55Z', TOO_BIG)],
      [
        eventOn('Pod', POD, 'TriggeredScaleUp', '2026-11-21T13:59:56Z'),
        eventOn('Pod', POD, 'NotTriggerScaleUp', '2026-11-21T13:59:58Z'),
      ],
      options,
    );
    assert.ok(finding);
    assert.equal(finding.fatal, true);
    assert.match(finding.summary, /NotTriggerScaleUp/);
  });

  it('names selectors and taints in the remedy', () => {
    const selector = classify(
      [
        unschedulable(
          '2026-11-21T13:00:00Z',
          "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector.",
        ),
      ],
      [],
      options,
    );
    assert.match(selector[0]?.remedy ?? '', /nodeSelector or affinity/);
    const taint = classify(
      [
        unschedulable(
          '2026-11-21T13:00:00Z',
          '0/2 nodes are available: 2 node(s) had untolerated taint {dedicated: gpu}.',
        ),
      ],
      [],
      options,
    );
    assert.match(taint[0]?.remedy ?? '', /tolerations/);
  });

  it('leaves a pod waiting on its volume to the volume findings', () => {
    const findings = classify(
      [
        unschedulable(
          '2026-11-21T13:00:00Z',
          '0/1 nodes are available: pod has unbound immediate PersistentVolumeClaims.',
        ),
      ],
      [],
      options,
    );
    assert.deepEqual(
      findings.filter((f) => f.reason === 'unschedulable'),
      [],
    );
  });
});

describe('classify: PVCs that cannot be provisioned', () => {
  it("a missing StorageClass is fatal at once, in the PVC's own words", () => {
    const pod = unschedulable(
      '2026-11-21T13:59:59Z',
      '0/1 nodes are available: pod has unbound immediate PersistentVolumeClaims.',
    );
    const [finding] = classify(
      [pod],
      [
        eventOn(
          'PersistentVolumeClaim',
          'datastore-0',
          'ProvisioningFailed',
          '2026-11-21T13:59:59Z',
          'storageclass.storage.k8s.io "gp2" not found',
        ),
      ],
      options,
    );
    assert.ok(finding);
    assert.equal(finding.reason, 'missing-storage-class');
    assert.equal(finding.fatal, true);
    assert.match(
      finding.summary,
      /PVC datastore-0 of pod .* cannot be provisioned: storageclass\.storage\.k8s\.io "gp2" not found/,
    );
    assert.match(finding.remedy, /daemon\.volumes\.datastore\.storageClassName/);
  });

  it('another provisioner error is fatal after the grace: it may pass', () => {
    const event = (at: string) =>
      eventOn(
        'PersistentVolumeClaim',
        'datastore-0',
        'ProvisioningFailed',
        at,
        'rpc error: quota exceeded',
      );
    const pod = unschedulable(
      '2026-11-21T13:00:00Z',
      '0/1 nodes are available: pod has unbound immediate PersistentVolumeClaims.',
    );
    assert.equal(classify([pod], [event('2026-11-21T13:59:30Z')], options)[0]?.fatal, false);
    const [late] = classify([pod], [event('2026-11-21T13:58:00Z')], options);
    assert.ok(late);
    assert.equal(late.reason, 'provisioning-failed');
    assert.equal(late.fatal, true);
  });
});

describe('classify: a database check that gets no answer', () => {
  // init-database running since 13:56, Lily retrying silently; NOW is 14:00.
  const checkingDatabase = fixture('pod-checking-database.json') as Pod;

  it('is lily-database and fatal past database-timeout, so fail-fast stops the deploy', () => {
    const findings = classify([checkingDatabase], [], options);
    assert.deepEqual(
      findings.map((f) => [f.reason, f.container, f.fatal]),
      [['lily-database', 'init-database', true]],
    );
    assert.equal(likeliestReason(findings, 'timeout'), 'lily-database');
  });

  it('is nothing within it', () => {
    const early = { ...options, now: Date.parse('2026-11-21T13:58:00Z') };
    assert.deepEqual(classify([checkingDatabase], [], early), []);
  });
});

describe('classify: a failed postStart hook', () => {
  it('names the loop by the hook (lily-api), not as a crash loop too: Lily exits 0 when the kubelet stops it', () => {
    const looping = inBackOff(crashLoop, 3);
    const daemon = looping.status?.containerStatuses?.[0];
    const hookEvent: KubeEvent = {
      metadata: { name: 'hook' },
      reason: 'FailedPostStartHook',
      message: 'PostStartHook failed',
      involvedObject: {
        kind: 'Pod',
        name: looping.metadata.name,
        uid: looping.metadata.uid,
        fieldPath: `spec.containers{${daemon?.name ?? ''}}`,
      },
    };
    const findings = classify([looping], [hookEvent], options);
    assert.deepEqual(
      findings.map((f) => [f.reason, f.container, f.fatal]),
      [['lily-api', daemon?.name, true]],
    );
  });
});

describe('withShellReportedKills', () => {
  // containerd may see the exit before the OOM event: `Error`, exit code 137, and the shell's word for it.
  const killed = (exitCode: number) => {
    const pod = onRealKubelet(crashLoop, { runningForMs: 1000, memoryLimit: '48Mi' });
    for (const status of pod.status?.containerStatuses ?? [])
      status.lastState = { terminated: { exitCode, reason: 'Error' } };
    return pod;
  };
  const refined = (pod: Pod, log: string) =>
    withShellReportedKills(classify([pod], [], options), [pod], () => [log, 'an older run\n']);
  const importing = '*** Importing snapshot...\nimporting chain from snapshot.car...\n';

  it('names exit code 137 after the shell printed "Killed" an OOM kill at the memory limit', () => {
    const [finding] = refined(killed(137), `${importing}Killed\n`);
    assert.equal(finding?.reason, 'oom-killed');
    assert.match(
      finding.summary,
      /last exit code 137 \(Error\): out of memory \(its shell printed "Killed": a process of it was killed\), its limit is 48Mi \(daemon\.resources\.limits\.memory\)$/,
    );
    assert.match(finding.remedy, /^Raise daemon\.resources\.limits\.memory \(48Mi now\)/);
  });

  it('leaves a crash loop as it is without both: the exit code 137 and the newest run ending "Killed"', () => {
    assert.equal(refined(killed(137), importing)[0]?.reason, 'crash-loop');
    assert.equal(refined(killed(1), `${importing}Killed\n`)[0]?.reason, 'crash-loop');
    const pod = killed(137);
    const olderRunOnly = withShellReportedKills(classify([pod], [], options), [pod], () => [
      importing,
      'Killed\n',
    ]);
    assert.equal(olderRunOnly[0]?.reason, 'crash-loop');
  });
});

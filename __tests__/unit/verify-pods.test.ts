// The verify window's judge of the pods, on the recorded ready pod and
// variants of it as a real kubelet shows a container without a readiness
// probe that crashes: Ready for a moment after each start, then terminated.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { isRemovedContainerAnswer, type PodReport } from '../../src/failure/report.js';
import type { ContainerState, Pod } from '../../src/kube/types.js';
import {
  crashedRunLines,
  crashedRunLog,
  fromTail,
  judgePods,
  type Tails,
} from '../../src/verify/pods.js';

const ready = JSON.parse(
  readFileSync(new URL('fixtures/pod-ready.json', import.meta.url), 'utf8'),
) as Pod;

/** The ready pod with its main containers changed. */
function variant(
  pod: Pod,
  change: {
    restarts?: number;
    state?: ContainerState;
    lastState?: ContainerState;
    ready?: boolean;
    uid?: string;
    memoryLimit?: string;
  },
): Pod {
  const copy = structuredClone(pod);
  if (change.uid) copy.metadata.uid = change.uid;
  for (const status of copy.status?.containerStatuses ?? []) {
    if (change.restarts !== undefined) status.restartCount = change.restarts;
    if (change.state) status.state = change.state;
    if (change.lastState) status.lastState = change.lastState;
    if (change.ready !== undefined) status.ready = change.ready;
  }
  if (change.ready === false) {
    for (const c of copy.status?.conditions ?? []) if (c.type === 'Ready') c.status = 'False';
  }
  for (const container of copy.spec?.containers ?? [])
    if (change.memoryLimit) container.resources = { limits: { memory: change.memoryLimit } };
  return copy;
}

const error = { terminated: { exitCode: 1, reason: 'Error' } };
const oom = { terminated: { exitCode: 137, reason: 'OOMKilled' } };
const runningAgain = { running: { startedAt: '2026-11-21T14:00:00Z' } };

describe('judgePods', () => {
  it('finds nothing while the pods stay as they were', () => {
    assert.deepEqual(judgePods([ready], [ready]), []);
    assert.deepEqual(judgePods([ready], [structuredClone(ready)]), []);
  });

  it('a restart is a crash, also when the container is Ready again by now', () => {
    const after = variant(ready, { restarts: 1, state: runningAgain, lastState: error });
    const [finding, ...more] = judgePods([ready], [after]);
    assert.deepEqual(more, []);
    assert.ok(finding);
    assert.equal(finding.reason, 'crash-loop');
    assert.equal(finding.fatal, true);
    assert.equal(finding.container, 'daemon');
    assert.match(
      finding.summary,
      /^container daemon of pod \S+ restarted 1 time\(s\) after helm's wait passed; last exit code 1 \(Error\)$/,
    );
  });

  it('counts restarts from the window, not from the pod start', () => {
    const before = variant(ready, { restarts: 4, lastState: error });
    assert.deepEqual(judgePods([before], [before]), []);
    const after = variant(ready, { restarts: 5, state: runningAgain, lastState: error });
    assert.match(judgePods([before], [after])[0]?.summary ?? '', /restarted 1 time\(s\)/);
  });

  it('a container that lies terminated (never CrashLoopBackOff on a real kubelet) has stopped', () => {
    const after = variant(ready, { state: error, ready: false });
    const [finding] = judgePods([ready], [after]);
    assert.match(finding?.summary ?? '', /stopped after helm's wait passed; last exit code 1/);
  });

  it('OOMKilled is oom-killed, with the limit the pod spec gives and the value that sets it', () => {
    const after = variant(ready, { state: oom, ready: false, memoryLimit: '256Mi' });
    const [finding] = judgePods([ready], [after]);
    assert.equal(finding?.reason, 'oom-killed');
    assert.match(
      finding.summary,
      /out of memory, its limit is 256Mi \(daemon\.resources\.limits\.memory\)/,
    );
    assert.match(finding.remedy, /^Raise daemon\.resources\.limits\.memory \(256Mi now\)/);
  });

  it('an exit code 137 the kubelet calls Error right after an OOMKilled run is that OOM kill; another crash is not', () => {
    const killedAgain = variant(ready, {
      restarts: 1,
      state: { terminated: { exitCode: 137, reason: 'Error' } },
      lastState: oom,
      ready: false,
      memoryLimit: '48Mi',
    });
    assert.equal(judgePods([ready], [killedAgain])[0]?.reason, 'oom-killed');
    const crashedSince = variant(ready, {
      restarts: 1,
      state: error,
      lastState: oom,
      ready: false,
    });
    assert.equal(judgePods([ready], [crashedSince])[0]?.reason, 'crash-loop');
  });

  it('a pod that loses Ready fails the window', () => {
    const after = variant(ready, { ready: false });
    const [finding] = judgePods([ready], [after]);
    assert.match(finding?.summary ?? '', /is not Ready any more after helm's wait passed/);
  });

  it('a pod created since (a replacement) may still be starting, but not crash', () => {
    const starting = variant(ready, {
      uid: 'new',
      ready: false,
      state: { waiting: { reason: 'ContainerCreating' } },
    });
    assert.deepEqual(judgePods([ready], [starting]), []);
    const crashing = variant(ready, { uid: 'new', restarts: 1, lastState: error });
    assert.equal(judgePods([ready], [crashing]).length, 1);
  });

  it('a pod on its way out is not judged', () => {
    const leaving = variant(ready, { state: error, ready: false });
    leaving.metadata.deletionTimestamp = '2026-11-21T14:00:00Z';
    assert.deepEqual(judgePods([ready], [leaving]), []);
  });
});

describe('the crashed run', () => {
  const report = (logs: PodReport['logs']): PodReport => ({
    name: 'p',
    description: [],
    logs,
    deleted: false,
  });
  const finding = { pod: 'p', container: 'daemon' } as Parameters<typeof crashedRunLines>[0];

  it('is the current log while the container lies terminated, else the run before the restart', () => {
    const logs = [
      { container: 'daemon', previous: false, text: 'current\n' },
      { container: 'daemon', previous: true, text: 'previous\n' },
    ];
    const terminated = variant(ready, { state: error });
    const restarted = variant(ready, { restarts: 1, state: runningAgain });
    assert.deepEqual(crashedRunLog(terminated, report(logs), 'daemon'), logs[0]);
    assert.deepEqual(crashedRunLog(restarted, report(logs), 'daemon'), logs[1]);
    assert.equal(crashedRunLog(ready, report(logs), 'daemon'), undefined, 'no run ended');
    assert.equal(crashedRunLog(restarted, report([]), 'daemon'), 'not read');
  });

  it('shows its last lines under a heading', () => {
    assert.deepEqual(
      crashedRunLines(finding, { container: 'daemon', previous: true, text: 'a\nb\n' }),
      ['The crashed run of container daemon of pod p, its last 2 log line(s):', '  a', '  b'],
    );
  });

  it('is the tail read while it ran when the kubelet has removed it since, if it is that run', () => {
    const gone = {
      container: 'daemon',
      previous: false,
      error: 'unable to retrieve container logs for containerd://c1',
    };
    const crashed = variant(ready, {
      state: {
        terminated: {
          exitCode: 1,
          reason: 'Error',
          finishedAt: '2026-11-21T14:00:05Z',
          containerID: 'containerd://c1',
        },
      },
    });
    const tail = (containerID: string, text: string): Tails =>
      new Map([[`${crashed.metadata.name}/daemon`, { containerID, text }]]);
    const fatal = '2026-11-21T14:00:04.900000000Z fatal: chain store\n';
    assert.deepEqual(fromTail(crashed, 'daemon', gone, tail('containerd://c1', fatal)), {
      container: 'daemon',
      previous: false,
      text: 'fatal: chain store\n',
    });
    // Another run's tail, or one holding a newer run's lines, is not that run's log.
    assert.deepEqual(fromTail(crashed, 'daemon', gone, tail('containerd://c0', fatal)), gone);
    const newer = '2026-11-21T14:00:09.000000000Z lily version\n';
    assert.deepEqual(fromTail(crashed, 'daemon', gone, tail('containerd://c1', newer)), gone);
    // A log that was read needs no tail.
    const read = { container: 'daemon', previous: false, text: 'x\n' };
    assert.deepEqual(fromTail(crashed, 'daemon', read, tail('containerd://c1', fatal)), read);
  });

  it('says honestly when the log is gone, never showing an error as log text', () => {
    const gone = 'unable to retrieve container logs for containerd://4f2a9c';
    assert.equal(isRemovedContainerAnswer(gone), true);
    assert.equal(isRemovedContainerAnswer(`lily daemon: starting\n${gone}`), false);
    // The kubelet removes a run's log file before its container (garbage collection, or an
    // init container's older runs pruned when a new one starts): read between, the answer is
    // the log reader's error, as seen on a real kubelet 1.36.
    const log = '/var/log/pods/ns_lily-0_1f8a200d/init-datastore/2.log';
    const unlinked = `failed to try resolving symlinks in path "${log}": lstat ${log}: no such file or directory`;
    assert.equal(isRemovedContainerAnswer(unlinked), true);
    assert.equal(
      isRemovedContainerAnswer(
        `failed to open log file "${log}": open ${log}: no such file or directory\n`,
      ),
      true,
    );
    assert.equal(isRemovedContainerAnswer(`starting\n${unlinked}`), false);
    // Another failure to read is not a removal.
    assert.equal(
      isRemovedContainerAnswer(unlinked.replace('no such file or directory', 'permission denied')),
      false,
    );
    assert.deepEqual(
      crashedRunLines(finding, { container: 'daemon', previous: true, error: gone }),
      [
        "The crashed run's log of container daemon of pod p is not retrievable any more: the kubelet removed the container of that run.",
      ],
    );
    assert.deepEqual(
      crashedRunLines(finding, { container: 'daemon', previous: true, error: 'timed out' }),
      ["The crashed run's log of container daemon of pod p is not readable: timed out."],
    );
  });
});

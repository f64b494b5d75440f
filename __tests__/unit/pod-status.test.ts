// How a pod is shown in the progress log and the diagnostics: on a real
// kubelet a failed init container lies terminated between restarts, and its
// restarts count like kubectl's RESTARTS column counts them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderPodReport } from '../../src/failure/report.js';
import {
  endedRun,
  laterRunEnded,
  podProgressLine,
  podStatusWord,
} from '../../src/kube/pod-status.js';
import type { ContainerState, Pod } from '../../src/kube/types.js';

/** A pod whose first init container failed `restarts + 1` times (as a real kubelet shows it). */
function initLoop(restarts: number, state: 'terminated' | 'running'): Pod {
  return {
    metadata: { name: 'lily-0' },
    status: {
      phase: 'Pending',
      initContainerStatuses: [
        {
          name: 'init-datastore',
          restartCount: restarts,
          state:
            state === 'terminated'
              ? { terminated: { exitCode: 1, reason: 'Error' } }
              : { running: { startedAt: '2026-12-04T23:46:43Z' } },
          lastState: { terminated: { exitCode: 1, reason: 'Error' } },
        },
        { name: 'init-sync', restartCount: 0, state: { waiting: { reason: 'PodInitializing' } } },
      ],
      containerStatuses: [
        {
          name: 'daemon',
          restartCount: 0,
          ready: false,
          state: { waiting: { reason: 'PodInitializing' } },
        },
      ],
    },
  };
}

describe('a pod in the progress log', () => {
  it("counts its init containers' restarts and names a failed one's end", () => {
    assert.equal(
      podProgressLine(initLoop(2, 'terminated')),
      'lily-0  Init:Error  ready 0/1  restarts 2',
    );
    assert.equal(podStatusWord(initLoop(1, 'running')), 'Init:0/2');
  });
});

describe("a pod's report", () => {
  it('says a run the kubelet removed is gone, never showing the answer as its log', () => {
    const text = renderPodReport({
      name: 'lily-0',
      description: ['Pod lily-0: Pending'],
      deleted: false,
      logs: [
        { container: 'init-datastore', previous: false, text: '...download failed: 1\n' },
        {
          container: 'init-datastore',
          previous: true,
          error: 'unable to retrieve container logs for containerd://125d919f',
        },
      ],
    });
    assert.equal(
      text,
      [
        'Pod lily-0: Pending',
        '--- logs of init-datastore ---',
        '...download failed: 1',
        '--- logs of init-datastore (previous run) ---',
        '(not retrievable any more: the kubelet removed the container of that run)',
      ].join('\n'),
    );
  });
});

describe('the runs of a crash loop', () => {
  const ended = (containerID: string) => ({ exitCode: 1, reason: 'Error', containerID });
  const daemon = (state: ContainerState, lastState?: ContainerState): Pod => ({
    metadata: { name: 'lily-0' },
    status: { containerStatuses: [{ name: 'daemon', restartCount: 1, state, lastState }] },
  });
  const init = (state: ContainerState): Pod => ({
    metadata: { name: 'lily-0' },
    status: { initContainerStatuses: [{ name: 'init-database', restartCount: 1, state }] },
  });
  const crashed = 'containerd://c1';

  it('the ended run is the one lying terminated, else the one before the restart', () => {
    assert.deepEqual(endedRun(daemon({ terminated: ended(crashed) }), 'daemon'), ended(crashed));
    const next = daemon({ running: {} }, { terminated: ended(crashed) });
    assert.deepEqual(endedRun(next, 'daemon'), ended(crashed));
    assert.equal(endedRun(daemon({ running: {} }), 'daemon'), undefined);
  });

  it('a later run has ended once another lies terminated, in init containers too', () => {
    // The status still shows the crashed run, or the next one runs: nothing to read yet.
    assert.equal(
      laterRunEnded(daemon({ terminated: ended(crashed) }), 'daemon', crashed),
      undefined,
    );
    const running = daemon({ running: {} }, { terminated: ended(crashed) });
    assert.equal(laterRunEnded(running, 'daemon', crashed), undefined);
    // The next run has ended: its log is the current one.
    const next = daemon({ terminated: ended('containerd://c2') });
    assert.deepEqual(laterRunEnded(next, 'daemon', crashed), ended('containerd://c2'));
    assert.equal(laterRunEnded(next, 'other', crashed), undefined, 'another container');
    const initNext = init({ terminated: ended('containerd://c2') });
    assert.deepEqual(laterRunEnded(initNext, 'init-database', crashed), ended('containerd://c2'));
  });
});

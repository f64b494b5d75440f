// The job summary of a failed deploy: helm's error is never left out.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  LOG_LIMIT_BYTES,
  nextEndedRun,
  podReport,
  withinLogLimit,
} from '../../src/failure/diagnostics.js';
import {
  type Diagnostics,
  logOfRunEndedAt,
  renderFailureSummary,
  SUPERSEDED_RUN,
  unreadLogReason,
} from '../../src/failure/report.js';
import type { KubeApi } from '../../src/kube/api.js';
import type { Pod } from '../../src/kube/types.js';
import { REPORT_BYTES } from '../../src/markdown.js';

const crashLoop = {
  reason: 'crash-loop' as const,
  pod: 'lily-0',
  fatal: true,
  summary: 'container daemon of pod lily-0 is crash-looping',
  remedy: 'read its log',
};

function diagnostics(over: Partial<Diagnostics>): Diagnostics {
  return {
    release: 'lily',
    namespace: 'indexer',
    failureReason: 'helm-error',
    collectedAt: '2026-01-01T00:00:00.000Z',
    collectionMs: 5,
    findings: [],
    interventions: [],
    notCollected: [],
    pods: [],
    events: [],
    releaseState: 'STATUS: failed',
    releaseHistory: '(no history)',
    ...over,
  };
}

describe('the failure summary', () => {
  it("leads with helm's error when helm failed by itself, the pods' findings as evidence", () => {
    const text = renderFailureSummary(
      diagnostics({
        helmError: 'Error: UPGRADE FAILED: StatefulSet.apps "lily" is invalid',
        findings: [crashLoop],
      }),
      '/tmp/d.json',
    );
    const [helm, evidence] = [
      text.indexOf('helm said:'),
      text.indexOf('Also seen in the pods (evidence, not the cause helm gave):'),
    ];
    assert.ok(helm > 0 && evidence > helm, text);
    assert.ok(text.includes('Error: UPGRADE FAILED: StatefulSet.apps "lily" is invalid'));
  });

  it("keeps helm's error beside the findings of a timeout", () => {
    const text = renderFailureSummary(
      diagnostics({
        failureReason: 'crash-loop',
        helmError: 'Error: UPGRADE FAILED: context deadline exceeded',
        findings: [crashLoop],
      }),
      '/tmp/d.json',
    );
    assert.ok(text.indexOf('- **crash-loop**') < text.indexOf("helm's own error:"), text);
    assert.ok(text.includes('Error: UPGRADE FAILED: context deadline exceeded'), text);
  });

  it('names what could not be collected, and why', () => {
    const text = renderFailureSummary(
      diagnostics({
        helmError: 'Error: INSTALLATION FAILED: boom',
        notCollected: ["the release's pods: HTTP 403: pods is forbidden"],
      }),
      '/tmp/d.json',
    );
    assert.ok(text.includes('Error: INSTALLATION FAILED: boom'));
    assert.match(text, /Not collected:\n\n- the release's pods: HTTP 403: pods is forbidden/);
  });
});

describe('the failure summary of a big release', () => {
  const line = `${'x'.repeat(199)}\n`;
  const many = diagnostics({
    helmError: 'Error: UPGRADE FAILED: context deadline exceeded',
    failureReason: 'timeout',
    pods: Array.from({ length: 40 }, (_, i) => ({
      name: `lily-${i}`,
      description: [`pod lily-${i}: Running`],
      logs: [{ container: 'daemon', previous: false, text: line.repeat(500) }],
      deleted: false,
    })),
    events: Array.from({ length: 5000 }, (_, i) => ({
      time: '2026-01-01T00:00:00.000Z',
      type: 'Warning',
      reason: 'BackOff',
      object: `Pod/lily-${i % 40}`,
      count: 1,
      message: 'Back-off restarting failed container daemon ü',
    })),
  });

  it('stays under the step summary limit (1 MiB), pointing to the diagnostics file for the rest', () => {
    const text = renderFailureSummary(many, '/runner/tmp/lily-deploy-diagnostics.json');
    assert.ok(Buffer.byteLength(text) <= REPORT_BYTES, `${Buffer.byteLength(text)} bytes`);
    assert.ok(text.includes('Error: UPGRADE FAILED: context deadline exceeded'));
    assert.match(
      text,
      /The job summary is cut here: the rest is in `\/runner\/tmp\/lily-deploy-diagnostics\.json` on the runner\.$/,
    );
    // Every pod is named, the later ones without their logs.
    for (let i = 0; i < 40; i++) assert.ok(text.includes(`pod lily-${i}: Running`), `lily-${i}`);
    assert.match(text, /\(logs left out: see the diagnostics file\)/);
  });
});

describe('a container log at the read limit', () => {
  it('says its last lines may be missing; a shorter one is as it is', () => {
    assert.equal(withinLogLimit('a\nb\n'), 'a\nb\n');
    const cut = withinLogLimit('y'.repeat(LOG_LIMIT_BYTES));
    assert.match(
      cut,
      /\n\(cut at 512 KiB: the log's last lines may be missing; kubectl logs has them all\)$/,
    );
  });
});

describe('the log of a run the pod status says ended', () => {
  // The daemon's status: terminated at 14:00:05; the kubelet may have started it again since.
  const pod = {
    metadata: { name: 'lily-0' },
    status: {
      containerStatuses: [
        {
          name: 'daemon',
          restartCount: 1,
          state: {
            terminated: { exitCode: 1, reason: 'Error', finishedAt: '2026-11-21T14:00:05Z' },
          },
        },
      ],
    },
  } as Pod;
  const endedRun = '2026-11-21T14:00:04.900000000Z fatal: chain store\n';
  const newerRun = '2026-11-21T14:00:17.100000000Z lily version:v0.24.3\n';

  /** The pod's log API as the kubelet answers (the pod as it is now: `podNow`), and the queries asked. */
  function logApi(
    logs: { current: string; previous: string },
    podNow: Pod = pod,
  ): { api: KubeApi; asked: string[] } {
    const asked: string[] = [];
    const text = (path: string) => {
      const query = new URLSearchParams(path.split('?')[1]);
      asked.push(
        `${query.get('previous') ? 'previous' : 'current'}${query.get('timestamps') ? ' with timestamps' : ''}`,
      );
      const log = query.get('previous') ? logs.previous : logs.current;
      return Promise.resolve(query.get('timestamps') ? log : log.replace(/^\S+ /gm, ''));
    };
    const find = () => Promise.resolve(podNow);
    return { api: { text, find } as unknown as KubeApi, asked };
  }

  it('strips the timestamps and tells a newer run by a line after the end (one second of slack)', () => {
    assert.deepEqual(logOfRunEndedAt(endedRun, '2026-11-21T14:00:04Z'), {
      text: 'fatal: chain store\n',
      newerRun: false,
    });
    assert.deepEqual(logOfRunEndedAt(newerRun, '2026-11-21T14:00:05Z'), {
      text: 'lily version:v0.24.3\n',
      newerRun: true,
    });
    assert.deepEqual(logOfRunEndedAt('', '2026-11-21T14:00:05Z'), { text: '', newerRun: false });
  });

  it('is the current log while the kubelet has not started the container again', async () => {
    const { api, asked } = logApi({
      current: endedRun,
      previous: '2026-11-21T13:59:50.000000000Z older run\n',
    });
    const report = await podReport(api, 'ns', pod, 10);
    assert.deepEqual(report.logs, [
      { container: 'daemon', previous: false, text: 'fatal: chain store\n' },
      { container: 'daemon', previous: true, text: 'older run\n' },
    ]);
    assert.deepEqual(asked.sort(), ['current with timestamps', 'previous']);
  });

  it("is --previous once a newer run's lines are current, and the run before is said to be gone", async () => {
    const { api } = logApi({ current: newerRun, previous: endedRun });
    const report = await podReport(api, 'ns', pod, 10);
    assert.deepEqual(report.logs, [
      { container: 'daemon', previous: false, text: 'fatal: chain store\n' },
      { container: 'daemon', previous: true, error: SUPERSEDED_RUN },
    ]);
    assert.equal(
      unreadLogReason(SUPERSEDED_RUN),
      'not retrievable any more: the kubelet started another run after the pod status above was read',
    );
  });

  it('is --previous when the pod shows a restart since, though the current lines are within a second of the end', async () => {
    const restarted = structuredClone(pod);
    restarted.status!.containerStatuses![0]!.restartCount = 2;
    const { api } = logApi(
      { current: '2026-11-21T14:00:05.300000000Z lily version:v0.24.3\n', previous: endedRun },
      restarted,
    );
    const report = await podReport(api, 'ns', pod, 10);
    assert.deepEqual(report.logs, [
      { container: 'daemon', previous: false, text: 'fatal: chain store\n' },
      { container: 'daemon', previous: true, error: SUPERSEDED_RUN },
    ]);
    // Without the restart, those lines are the ended run's (the end's second has no fraction).
    const { api: same } = logApi({
      current: '2026-11-21T14:00:05.300000000Z lily version:v0.24.3\n',
      previous: endedRun,
    });
    assert.equal((await podReport(same, 'ns', pod, 10)).logs[0]?.text, 'lily version:v0.24.3\n');
  });

  it('is --previous when the current run is one the kubelet has no log of yet (a restart under way)', async () => {
    const { api } = logApi({
      current: 'unable to retrieve container logs for containerd://0f3a',
      previous: endedRun,
    });
    const report = await podReport(api, 'ns', pod, 10);
    assert.deepEqual(report.logs, [
      { container: 'daemon', previous: false, text: 'fatal: chain store\n' },
      { container: 'daemon', previous: true, error: SUPERSEDED_RUN },
    ]);
  });
});

describe('the run after one the kubelet removed unread', () => {
  const ended = (containerID: string, finishedAt: string) => ({
    terminated: { exitCode: 1, reason: 'Error', containerID, finishedAt },
  });
  const podIn = (state: object): Pod => ({
    metadata: { name: 'lily-0' },
    status: { containerStatuses: [{ name: 'daemon', restartCount: 1, state }] },
  });
  const crashed = podIn(ended('containerd://c1', '2026-11-21T14:00:05Z'));

  /** The pod as the API shows it poll after poll (the last one stays), and the current log of each. */
  function cluster(seen: { pod: Pod; log: string }[]): KubeApi & { looks: () => number } {
    let i = -1;
    const now = () => seen[Math.min(i, seen.length - 1)];
    const find = () => {
      i += 1;
      return Promise.resolve(now()?.pod);
    };
    const text = () => Promise.resolve(now()?.log ?? '');
    return { find, text, looks: () => i + 1 } as unknown as KubeApi & { looks: () => number };
  }

  it('waits for the next run to end and reads its log while it lies terminated', async () => {
    const next = ended('containerd://c2', '2026-11-21T14:00:10Z');
    const api = cluster([
      { pod: crashed, log: 'unable to retrieve container logs for containerd://c1' },
      { pod: podIn({ running: {} }), log: '2026-11-21T14:00:06.000000000Z lily version\n' },
      { pod: podIn(next), log: '2026-11-21T14:00:09.900000000Z fatal: chain store\n' },
    ]);
    const read = await nextEndedRun(api, 'ns', crashed, 'daemon', { logLines: 10, waitMs: 10_000 });
    assert.deepEqual(read, { run: next.terminated, text: 'fatal: chain store\n' });
  });

  it("is not a run whose log the kubelet has replaced by a newer run's, nor anything after the wait", async () => {
    const next = ended('containerd://c2', '2026-11-21T14:00:10Z');
    const api = cluster([
      { pod: podIn(next), log: '2026-11-21T14:00:21.000000000Z lily version\n' },
      { pod: podIn(next), log: 'unable to retrieve container logs for containerd://c2' },
    ]);
    const read = await nextEndedRun(api, 'ns', crashed, 'daemon', { logLines: 10, waitMs: 1200 });
    assert.equal(read, undefined);
  });

  it('is none once the pod is deleted or replaced under its name, without looking again', async () => {
    const next = podIn(ended('containerd://c2', '2026-11-21T14:00:10Z'));
    const log = '2026-11-21T14:00:09.900000000Z fatal: chain store\n';
    const replaced = { ...next, metadata: { ...next.metadata, uid: 'another' } };
    const leaving = {
      ...next,
      metadata: { ...next.metadata, deletionTimestamp: '2026-11-21T14:00:11Z' },
    };
    for (const pod of [replaced, leaving, undefined]) {
      const api = cluster([{ pod: pod as Pod, log }]);
      const read = await nextEndedRun(api, 'ns', crashed, 'daemon', {
        logLines: 10,
        waitMs: 10_000,
      });
      assert.equal(read, undefined);
      assert.equal(api.looks(), 1, 'gave up at the first look');
    }
  });
});

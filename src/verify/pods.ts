import { crashFinding, lastExit } from '../failure/container-findings.js';
import {
  LOG_LIMIT_BYTES,
  NEXT_RUN_WAIT_MS,
  nextEndedRun,
  podReport,
} from '../failure/diagnostics.js';
import type { Finding } from '../failure-reason.js';
import {
  type ContainerLog,
  isRemovedContainerAnswer,
  logOfRunEndedAt,
  type PodReport,
  unreadLogReason,
} from '../failure/report.js';
import type { KubeApi } from '../kube/api.js';
import { isReady } from '../kube/pod-status.js';
import { listReleasePods } from '../kube/release-objects.js';
import type { Workload } from '../kube/release-workloads.js';
import type { ContainerStatus, Pod } from '../kube/types.js';
import type { Evidence, RunningCheck, VerifyCheck } from './window.js';

// Lily's pods stay up: on a real kubelet a container without a readiness
// probe (the published chart has none) is Running and Ready for a moment
// after each start, so helm's wait passes on a container that then crashes.
// Any restart, a container that stops or a pod that loses Ready after the
// window opened fails the deploy.

const AFTER_WAIT = "after helm's wait passed";

/** The release's pods that count: not on their way out, not finished (a Job's). */
function judged(pods: Pod[]): Pod[] {
  return pods.filter((p) => !p.metadata.deletionTimestamp && p.status?.phase !== 'Succeeded');
}

function keyOf(pod: Pod): string {
  return pod.metadata.uid ?? pod.metadata.name;
}

/**
 * What fails the window in the pods seen now, against the pods seen when it
 * opened (pure). A pod created since (a replacement) is judged from zero
 * restarts and may still be starting.
 */
export function judgePods(baseline: Pod[], latest: Pod[]): Finding[] {
  const before = new Map(judged(baseline).map((p) => [keyOf(p), p]));
  return judged(latest).flatMap((pod) => {
    const was = before.get(keyOf(pod));
    const statuses = pod.status?.containerStatuses ?? [];
    const crashed = statuses.flatMap((status) => {
      const what = containerVerdict(status, was);
      return what ? [crashFinding(pod, status, { fatal: true, what })] : [];
    });
    if (crashed.length > 0 || !was || !isReady(was) || isReady(pod)) return crashed;
    const notReady = statuses.find((s) => !s.ready) ?? statuses[0];
    return notReady
      ? [crashFinding(pod, notReady, { fatal: true, what: `is not Ready any more ${AFTER_WAIT}` })]
      : [];
  });
}

/** What a container did wrong since the window opened, in words; undefined when nothing. */
function containerVerdict(status: ContainerStatus, was: Pod | undefined): string | undefined {
  const before = was?.status?.containerStatuses?.find((s) => s.name === status.name);
  const restarts = (status.restartCount ?? 0) - (before?.restartCount ?? 0);
  if (restarts > 0) return `restarted ${restarts} time(s) ${AFTER_WAIT}`;
  const { terminated, waiting } = status.state ?? {};
  if (terminated) return `stopped ${AFTER_WAIT}`;
  // A new pod's containers may still be on their way up.
  if (waiting && (was || waiting.reason === 'CrashLoopBackOff'))
    return `is not running ${AFTER_WAIT} (${waiting.reason ?? 'waiting'})`;
  return undefined;
}

/**
 * The log of a container's crashed run: its current one while it lies
 * terminated, else the run before its restart (--previous); undefined when
 * no run of it has ended.
 */
export function crashedRunLog(
  pod: Pod,
  report: PodReport,
  container: string,
): ContainerLog | 'not read' | undefined {
  const status = pod.status?.containerStatuses?.find((s) => s.name === container);
  const terminated = Boolean(status?.state?.terminated);
  if (!terminated && !status?.restartCount) return undefined;
  const log = report.logs.find((l) => l.container === container && l.previous === !terminated);
  return log ?? 'not read';
}

/** The crashed run's last lines under a heading, or why they cannot be shown. */
export function crashedRunLines(finding: Finding, log: ContainerLog | 'not read'): string[] {
  const whose = `container ${finding.container ?? '?'} of pod ${finding.pod}`;
  if (log === 'not read') return [`The crashed run's log of ${whose} was not read.`];
  if (log.error !== undefined)
    return [`The crashed run's log of ${whose} is ${unreadLogReason(log.error)}.`];
  const text = (log.text ?? '').trimEnd();
  if (text === '') return [`The crashed run of ${whose} wrote no log lines.`];
  const lines = text.split('\n');
  return [
    `The crashed run of ${whose}, its last ${lines.length} log line(s):`,
    ...lines.map((l) => `  ${l}`),
  ];
}

const PODS_POLL_MS = 1000;

/** The check "Lily's pods stay up", on the release's workloads. */
export function podsStayUp(
  api: KubeApi,
  namespace: string,
  workloads: Workload[],
  logLines: number,
  log: (line: string) => void,
): VerifyCheck {
  const read = () => listReleasePods(api, namespace, workloads);
  const tails: Tails = new Map();
  return {
    // A real kubelet removes a crashed run's log when it starts the next run
    // (about 3 s later for a container without probes): looked at, and its last
    // lines read, every second.
    pollMs: PODS_POLL_MS,
    async start(): Promise<RunningCheck> {
      const baseline = await read();
      let latest = baseline;
      return {
        async poll() {
          latest = await read();
          const findings = judgePods(baseline, latest);
          if (!findings.some((f) => f.fatal))
            await readTails(api, namespace, latest, logLines, tails);
          return findings;
        },
        progress: () => {
          const pods = judged(latest);
          return `${pods.filter(isReady).length}/${pods.length} pod(s) Ready, no restart`;
        },
        evidence: (findings) =>
          readEvidence(api, namespace, latest, findings, { logLines, tails, log }),
        verified: (window) =>
          `${judged(latest).length} pod(s) stayed Ready for ${window}, no restart`,
      };
    },
  };
}

/**
 * The last log lines of each running container, with the kubelet's
 * timestamps, by pod and container: read on every poll while nothing failed.
 * A real kubelet removes a crashed run (log and all) when it starts the next
 * one, seconds after the crash and often before the pod status says it
 * stopped; what was read while the status still said running is then all
 * there is of it.
 */
export type Tails = Map<string, { containerID: string; text: string }>;

async function readTails(
  api: KubeApi,
  namespace: string,
  pods: Pod[],
  logLines: number,
  tails: Tails,
): Promise<void> {
  const running = judged(pods).flatMap((pod) =>
    (pod.status?.containerStatuses ?? [])
      .filter((s) => s.state?.running && s.containerID)
      .map((status) => ({ pod: pod.metadata.name, status })),
  );
  await Promise.all(
    running.map(async ({ pod, status }) => {
      const query = `container=${encodeURIComponent(status.name)}&tailLines=${logLines}&limitBytes=${LOG_LIMIT_BYTES}&timestamps=true`;
      const text = await api
        .text(`/api/v1/namespaces/${namespace}/pods/${pod}/log?${query}`)
        .catch(() => undefined);
      if (text !== undefined && !isRemovedContainerAnswer(text))
        tails.set(`${pod}/${status.name}`, { containerID: status.containerID ?? '', text });
    }),
  );
}

/** The crashed run's log as last read while it ran, when the kubelet has removed it since. */
export function fromTail(
  pod: Pod,
  container: string,
  log: ContainerLog,
  tails: Tails,
): ContainerLog {
  if (log.error === undefined) return log;
  const status = pod.status?.containerStatuses?.find((s) => s.name === container);
  const ended = status?.state?.terminated ?? status?.lastState?.terminated;
  const tail = tails.get(`${pod.metadata.name}/${container}`);
  if (!tail || !ended?.finishedAt || ended.containerID !== tail.containerID) return log;
  const run = logOfRunEndedAt(tail.text, ended.finishedAt);
  return run.newerRun ? log : { container, previous: log.previous, text: run.text };
}

/** The failing pods' state and logs, read at once, and the crashed runs' last lines. */
async function readEvidence(
  api: KubeApi,
  namespace: string,
  pods: Pod[],
  findings: Finding[],
  reading: { logLines: number; tails: Tails; log: (line: string) => void },
): Promise<Evidence> {
  const failing = pods.filter((p) => findings.some((f) => f.pod === p.metadata.name));
  const reports = await Promise.all(
    failing.map((pod) => podReport(api, namespace, pod, reading.logLines)),
  );
  const lines = await Promise.all(
    findings.map(async (finding) => {
      const i = failing.findIndex((p) => p.metadata.name === finding.pod);
      const [pod, report] = [failing[i], reports[i]];
      const { container } = finding;
      if (!pod || !report || !container) return [];
      const found = crashedRunLog(pod, report, container);
      if (!found) return [];
      const log = found === 'not read' ? found : fromTail(pod, container, found, reading.tails);
      const shown = crashedRunLines(finding, log);
      // An empty current log may be a run the kubelet started since, not the one that crashed.
      if (log === 'not read' || (log.text ?? '').trim() !== '') return shown;
      return [...shown, ...(await nextRunLines(api, namespace, pod, container, reading))];
    }),
  );
  return {
    lines: lines.flat(),
    pods: reports.map((r) => ({
      ...r,
      description: [`(as it was when the verify window failed)`, ...r.description],
    })),
  };
}

/** The next run's last lines, when the kubelet removed the crashed run before they were read. */
async function nextRunLines(
  api: KubeApi,
  namespace: string,
  pod: Pod,
  container: string,
  reading: { logLines: number; log: (line: string) => void },
): Promise<string[]> {
  const whose = `container ${container} of pod ${pod.metadata.name}`;
  reading.log(
    `verify-window: no line of the crashed run of ${whose} could be read (the kubelet removes a crashed run when it starts the next); waiting up to ${NEXT_RUN_WAIT_MS / 1000}s for its next run to end, to show that run's instead`,
  );
  const next = await nextEndedRun(api, namespace, pod, container, {
    logLines: reading.logLines,
    waitMs: NEXT_RUN_WAIT_MS,
  });
  if (!next)
    return [`No later run of ${whose} ended within ${NEXT_RUN_WAIT_MS / 1000}s to show instead.`];
  const ended = `The next run of ${whose} ended too${lastExit({ name: container, state: { terminated: next.run } })}`;
  const text = next.text.trimEnd();
  if (text === '') return [`${ended}, without a log line.`];
  const lines = text.split('\n');
  return [`${ended}; its last ${lines.length} log line(s):`, ...lines.map((l) => `  ${l}`)];
}

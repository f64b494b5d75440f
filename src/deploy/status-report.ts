import { formatSpan } from '../inputs/duration.js';
import { isReady, podStatusWord } from '../kube/pod-status.js';
import type { ContainerStatus, Pod } from '../kube/types.js';
import { isCrashLooping, lastExit } from '../failure/container-findings.js';
import type { LilyJob } from '../lily/api.js';
import { namePhase } from '../lily/startup-phase.js';
import { apiUnanswered, type ChainLag, chainLag, judgeJobs } from '../lily/health.js';
import { escapeCell } from '../markdown.js';
import type { LilyPodReading } from '../verify/lily-api.js';

// command status, judged and worded (pure): per Lily pod its phase, restarts,
// chain head against mainnet's expected height, and jobs; unhealthy when a
// job failed, a head lags more than max-lag, a pod crash-loops, or a running
// Lily does not answer.

export interface PodStatus {
  pod: string;
  /** Lily's start-up phase (lily/ names it from the pod), then kubectl's STATUS word. */
  phase: string;
  ready: boolean;
  restarts: number;
  /** How Lily's API answered: 'answered', or why not. */
  api: string;
  height?: number;
  lag?: ChainLag;
  jobs: LilyJob[];
}

export interface StatusReport {
  release: string;
  namespace: string;
  revision: number;
  /** Mainnet's expected height when the report was made. */
  expectedHeight: number;
  maxLag: string;
  pods: PodStatus[];
  /** What makes the release unhealthy; none when healthy. */
  problems: string[];
  /** What could not be read, and why (a warning, never a silent pass). */
  unread: string[];
}

export interface StatusInput {
  release: string;
  namespace: string;
  revision: number;
  pods: { pod: Pod; reading: LilyPodReading }[];
  nowMs: number;
  maxLag: string;
  maxLagMs: number;
  /** A container crash-loops from this many restarts after failed runs on (fail-fast-restarts). */
  restartThreshold: number;
}

function isRunning(pod: Pod): boolean {
  return (pod.status?.containerStatuses ?? []).some((s) => s.state?.running);
}

export function statusReport(input: StatusInput): StatusReport {
  const problems: string[] = [];
  const unread: string[] = [];
  if (input.pods.length === 0)
    problems.push(`release ${input.release} has no Lily pod in namespace ${input.namespace}`);
  const pods = input.pods.map(({ pod, reading }): PodStatus => {
    const name = pod.metadata.name;
    const statuses = pod.status?.containerStatuses ?? [];
    const loopOptions = { restartThreshold: input.restartThreshold, now: input.nowMs };
    for (const s of [...(pod.status?.initContainerStatuses ?? []), ...statuses])
      if (isCrashLooping(s, loopOptions)) problems.push(crashLoopProblem(name, s));
    const answered = reading.error === undefined && reading.last !== undefined;
    const lag = reading.last && chainLag(reading.last.height, input.nowMs);
    if (answered) {
      problems.push(
        ...judgeJobs(name, reading.expected, reading.jobs ?? [], true).map((f) => f.summary),
      );
      if (lag && lag.ms > input.maxLagMs)
        problems.push(
          `Lily's chain head in pod ${name} is at height ${reading.last!.height}, ${lagText(lag)} behind mainnet's expected height ${lag.expected}: more than max-lag ${input.maxLag}`,
        );
    } else if (reading.denied) {
      unread.push(`Lily's API in pod ${name} not read: ${reading.error ?? ''}`);
    } else if (isRunning(pod)) {
      problems.push(apiUnanswered(name, reading.error ?? 'no answer').summary);
    } else {
      unread.push(
        `Lily's API in pod ${name} not read: the pod is not running (${podStatusWord(pod)})`,
      );
    }
    return {
      pod: name,
      phase: `${namePhase({ pod }).phase} (${podStatusWord(pod)})`,
      ready: isReady(pod),
      restarts: statuses.reduce((sum, s) => sum + (s.restartCount ?? 0), 0),
      api: answered ? 'answered' : reading.denied ? 'not allowed (pods/proxy)' : 'no answer',
      ...(answered && lag ? { height: reading.last!.height, lag } : {}),
      jobs: reading.jobs ?? [],
    };
  });
  return {
    release: input.release,
    namespace: input.namespace,
    revision: input.revision,
    expectedHeight: chainLag(0, input.nowMs).expected,
    maxLag: input.maxLag,
    pods,
    problems,
    unread,
  };
}

/**
 * A container in a crash loop, with its restarts and how its last run ended:
 * on a real kubelet a container without probes (the chart's) shows
 * `terminated` between restarts, never CrashLoopBackOff.
 */
function crashLoopProblem(pod: string, s: ContainerStatus): string {
  const backOff = s.state?.waiting?.reason === 'CrashLoopBackOff' ? ' (CrashLoopBackOff)' : '';
  return `pod ${pod} crash-loops: container ${s.name} restarted ${s.restartCount ?? 0} time(s)${backOff}${lastExit(s)}`;
}

/** `3 epochs (1m30s)`; ahead of the network says so. */
export function lagText(lag: ChainLag): string {
  if (lag.epochs < 0) return `${-lag.epochs} epoch(s) ahead`;
  return `${lag.epochs} epoch(s) (${formatSpan(lag.ms)})`;
}

function headText(p: PodStatus): string {
  return p.height === undefined || !p.lag ? 'unknown' : `${p.height}, lag ${lagText(p.lag)}`;
}

/** The report as log lines. */
export function statusLines(report: StatusReport): string[] {
  const verdict =
    report.problems.length === 0 ? 'healthy' : `unhealthy (${report.problems.length} problem(s))`;
  return [
    `Lily release ${report.release} in ${report.namespace} (revision ${report.revision}): ${verdict}; mainnet's expected height now ${report.expectedHeight}, max-lag ${report.maxLag}`,
    ...report.pods.flatMap((p) => [
      `  ${p.pod}: ${p.phase}, ${p.ready ? 'Ready' : 'not Ready'}, restarts ${p.restarts}, API ${p.api}, head ${headText(p)}`,
      ...p.jobs.map(
        (j) =>
          `    job ${j.ID} ${j.Name}: ${j.Running ? 'running' : 'not running'}${j.Error ? `, Error: ${j.Error}` : ''}`,
      ),
    ]),
    ...report.problems.map((p) => `Unhealthy: ${p}`),
    ...report.unread.map((u) => `Not read: ${u}`),
  ];
}

/** The report for the job summary: the pods, their heads and their jobs. */
export function statusSummary(report: StatusReport): string {
  const verdict = report.problems.length === 0 ? '✅ healthy' : '❌ unhealthy';
  const rows = report.pods.map(
    (p) =>
      `| ${escapeCell(p.pod)} | ${escapeCell(p.phase)} | ${p.ready ? 'yes' : 'no'} | ${p.restarts} | ${p.api} | ${headText(p)} |`,
  );
  const jobs = report.pods.flatMap((p) =>
    p.jobs.map(
      (j) =>
        `| ${escapeCell(p.pod)} | ${j.ID} | ${escapeCell(j.Name)} | ${j.Running ? 'yes' : 'no'} | ${escapeCell(j.Error)} |`,
    ),
  );
  return [
    `### Lily status of ${escapeCell(report.release)}: ${verdict}`,
    '',
    `Namespace ${report.namespace}, revision ${report.revision}; mainnet's expected height ${report.expectedHeight}; max-lag ${report.maxLag}.`,
    '',
    ...report.problems.map((p) => `- **lily-unhealthy**: ${escapeCell(p)}`),
    ...report.unread.map((u) => `- not read: ${escapeCell(u)}`),
    '',
    '| pod | phase | ready | restarts | API | chain head |',
    '|---|---|---|---|---|---|',
    ...rows,
    '',
    '| pod | job | name | running | error |',
    '|---|---|---|---|---|',
    ...(jobs.length > 0 ? jobs : ['| (none) | | | | |']),
    '',
  ].join('\n');
}

import { podReport } from '../failure/diagnostics.js';
import type { Finding } from '../failure-reason.js';
import { ApiError, type KubeApi } from '../kube/api.js';
import { listReleasePods } from '../kube/release-objects.js';
import type { Workload } from '../kube/release-workloads.js';
import type { Pod } from '../kube/types.js';
import { type LilyJob, lilyApiOfPod } from '../lily/api.js';
import {
  apiUnanswered,
  expectedJobs,
  type Head,
  type JobRow,
  jobRows,
  judgeJobs,
  stalledHead,
} from '../lily/health.js';
import { lilyValuesSection } from '../lily/values-sections.js';
import type { Evidence, RunningCheck, VerifyCheck } from './window.js';

// Lily answers: "Ready" says nothing about Lily (the chart has no probes), so
// the window asks each Lily pod's API, through the API server's pod proxy:
// it answers, every job the values configure is listed Running without an
// Error, and the chain head advances. A job's Error fails at once; the rest
// is judged when the window closes (a call that fails meanwhile is tried again).

/** What one Lily pod's API said, over the window. */
export interface LilyPodReading {
  pod: string;
  expected: string[];
  /** The first and the latest head read. */
  first?: Head;
  last?: Head;
  jobs?: LilyJob[];
  /** Why the latest call failed; undefined once it answered. */
  error?: string;
  /** The API server refused the pod proxy to these credentials (403). */
  denied?: boolean;
}

/** The lily-jobs and chain-height outputs, from the readings. */
export function lilyOutputs(readings: LilyPodReading[]): { jobs: JobRow[]; height?: number } {
  const heights = readings.flatMap((r) => (r.last ? [r.last.height] : []));
  return {
    jobs: readings.flatMap((r) => jobRows(r.pod, r.jobs ?? [])),
    height: heights.length > 0 ? Math.max(...heights) : undefined,
  };
}

/** The Lily pods of the release (its daemon, notifier and worker), as they are now. */
export async function lilyPods(
  kube: KubeApi,
  namespace: string,
  workloads: Workload[],
): Promise<{ pod: Pod; workload: string }[]> {
  const lily = workloads.filter((w) => lilyValuesSection(w.name) !== undefined);
  const lists = await Promise.all(
    lily.map(async (w) =>
      (await listReleasePods(kube, namespace, [w]))
        .filter((pod) => !pod.metadata.deletionTimestamp)
        .map((pod) => ({ pod, workload: w.name })),
    ),
  );
  return lists.flat();
}

/** Reads one Lily pod's API once into its reading: ID, ChainHead and LilyJobList. */
export async function readLilyPod(
  kube: KubeApi,
  namespace: string,
  reading: LilyPodReading,
): Promise<void> {
  const api = lilyApiOfPod(kube, namespace, reading.pod);
  try {
    const [, head, jobs] = await Promise.all([api.id(), api.chainHead(), api.jobs()]);
    const now: Head = { height: head.Height, timestamp: head.Blocks[0]?.Timestamp ?? 0 };
    reading.first ??= now;
    reading.last = now;
    reading.jobs = jobs;
    reading.error = undefined;
  } catch (err) {
    reading.error = (err as Error).message;
    reading.denied = err instanceof ApiError && err.status === 403;
  }
}

/** The findings of a pod's reading; `closing` judges what must have happened in the window. */
export function judgeReading(reading: LilyPodReading, closing: boolean, window: string): Finding[] {
  const jobs = judgeJobs(reading.pod, reading.expected, reading.jobs ?? [], false);
  if (!closing) return jobs;
  if (reading.error !== undefined || !reading.first || !reading.last || !reading.jobs)
    return [...jobs, apiUnanswered(reading.pod, reading.error ?? 'no answer')];
  return [
    ...judgeJobs(reading.pod, reading.expected, reading.jobs, true),
    ...stalledHead(reading.pod, reading.first, reading.last, window),
  ];
}

/** The check "Lily answers", on the release's Lily pods and the merged values. */
export function lilyAnswers(
  kube: KubeApi,
  namespace: string,
  workloads: Workload[],
  values: Record<string, unknown>,
  options: { window: string; logLines: number },
): VerifyCheck & { readings: LilyPodReading[] } {
  const readings: LilyPodReading[] = [];
  return {
    readings,
    async start(): Promise<RunningCheck> {
      const pods = await lilyPods(kube, namespace, workloads);
      for (const { pod, workload } of pods)
        readings.push({ pod: pod.metadata.name, expected: expectedJobs(values, workload) });
      const readAll = () => Promise.all(readings.map((r) => readLilyPod(kube, namespace, r)));
      await readAll();
      return {
        async poll(closing) {
          await readAll();
          return readings.flatMap((r) => judgeReading(r, closing, options.window));
        },
        progress: () => progressLine(readings),
        evidence: (findings) =>
          lilyEvidence(
            kube,
            namespace,
            pods.map((p) => p.pod),
            readings,
            findings,
            options.logLines,
          ),
        verified: (window) => verifiedLine(readings, window),
      };
    },
  };
}

function progressLine(readings: LilyPodReading[]): string {
  const answering = readings.filter((r) => r.error === undefined && r.last);
  const heights = answering.map((r) => `${r.last!.height} (+${r.last!.height - r.first!.height})`);
  const running = answering.flatMap((r) => r.jobs ?? []).filter((j) => j.Running).length;
  return `Lily's API answers in ${answering.length}/${readings.length} pod(s), head ${heights.join(', ') || 'unknown'}, ${running} job(s) running`;
}

function verifiedLine(readings: LilyPodReading[], window: string): string {
  const jobs = readings.flatMap((r) => r.jobs ?? []).length;
  const heads = readings
    .map((r) => `${r.first?.height ?? '?'} to ${r.last?.height ?? '?'}`)
    .join(', ');
  return `Lily's API answered in ${readings.length} pod(s), ${jobs} job(s) Running without error, the chain head advanced from ${heads} in ${window}`;
}

/** The job list of each pod a finding is about, and those pods' state and logs. */
async function lilyEvidence(
  kube: KubeApi,
  namespace: string,
  pods: Pod[],
  readings: LilyPodReading[],
  findings: Finding[],
  logLines: number,
): Promise<Evidence> {
  const concerned = pods.filter((p) => findings.some((f) => f.pod === p.metadata.name));
  const lines = readings
    .filter((r) => concerned.some((p) => p.metadata.name === r.pod) && r.jobs)
    .flatMap((r) => [
      `Lily's jobs in pod ${r.pod} (Filecoin.LilyJobList):`,
      ...jobRows(r.pod, r.jobs!).map(
        (j) =>
          `  ${j.id} ${j.name}: ${j.running ? 'running' : 'not running'}${j.error ? `, Error: ${j.error}` : ''}`,
      ),
    ]);
  const reports = await Promise.all(
    concerned.map((pod) => podReport(kube, namespace, pod, logLines)),
  );
  return {
    lines,
    pods: reports.map((r) => ({
      ...r,
      description: [`(as it was when the verify window failed)`, ...r.description],
    })),
  };
}

import type { Finding } from '../failure-reason.js';
import { isRecord } from '../yaml.js';
import type { LilyJob } from './api.js';
import { lilyValuesSection } from './values-sections.js';

// Is a Lily healthy, from what its API says: the jobs its values configure
// against the jobs it lists, whether its chain head moves, how far it lags
// behind the network. Pure: the API is read by verify/ and deploy/.

/** Mainnet's genesis, in Unix seconds (Lily's schemas/v1/base.go height_to_unix). */
export const MAINNET_GENESIS_UNIX = 1598306400;
export const EPOCH_SECONDS = 30;
/** The container that runs Lily in every pod of the chart. */
export const LILY_CONTAINER = 'daemon';

const JOB_REMEDY =
  "Read the job's Error above: a persistence or database error names the storage to fix (database-*, " +
  'the storage values). Once fixed, redeploy (the jobs start anew) or restart it in place with ' +
  '`kubectl exec <pod> -c daemon -- lily job start --id=<id>`; `--restart-on-failure` in the ' +
  "job's jobArgs makes Lily restart a failed job by itself.";

/** One row of the lily-jobs output. */
export interface JobRow {
  pod: string;
  id: number;
  name: string;
  running: boolean;
  error: string;
}

export function jobRows(pod: string, jobs: LilyJob[]): JobRow[] {
  return jobs.map((j) => ({ pod, id: j.ID, name: j.Name, running: j.Running, error: j.Error }));
}

/**
 * The names of the jobs the merged values start in a workload's pods: the
 * daemon's `daemon.jobs`, the notifier's `cluster.jobs` (the chart's hook
 * skips tipset-worker jobs on both); none known for other workloads.
 */
export function expectedJobs(values: Record<string, unknown>, workloadName: string): string[] {
  const section = lilyValuesSection(workloadName);
  const key = section === 'daemon' ? 'daemon' : section === 'cluster.notifier' ? 'cluster' : '';
  const sectionValues = key && isRecord(values[key]) ? values[key] : {};
  const jobs = Array.isArray(sectionValues.jobs) ? sectionValues.jobs : [];
  return jobs.flatMap((job) => {
    if (!isRecord(job) || job.command === 'tipset-worker') return [];
    const name = typeof job.name === 'string' && job.name !== '' ? job.name : job.command;
    return typeof name === 'string' && name !== '' ? [name] : [];
  });
}

/**
 * Whether a listed job is the configured one: the chart names it
 * `<name>` or `<instance>/<name>-<pod's uid>`.
 */
export function isJobNamed(listedName: string, name: string): boolean {
  const own = listedName.slice(listedName.lastIndexOf('/') + 1);
  return own === name || own.startsWith(`${name}-`);
}

/**
 * What is wrong with one Lily's jobs. A job with an Error fails at once
 * (Lily keeps it until the job is started again, even after a restart); a
 * configured job missing or not running is judged when `final` (at the
 * verify window's close, or in a status report).
 */
export function judgeJobs(
  pod: string,
  expected: string[],
  listed: LilyJob[],
  final: boolean,
): Finding[] {
  const failed = listed
    .filter((j) => j.Error !== '')
    .map((j) =>
      lilyFinding(
        'lily-job',
        pod,
        `Lily's job ${JSON.stringify(j.Name)} (id ${j.ID}) in pod ${pod} ${j.Running ? 'failed and was restarted' : 'failed'}: ${j.Error}`,
        JOB_REMEDY,
      ),
    );
  if (!final) return failed;
  const missing = expected.flatMap((name) => {
    const job = listed.find((j) => isJobNamed(j.Name, name));
    if (!job)
      return [
        lilyFinding(
          'lily-job',
          pod,
          `Lily in pod ${pod} does not list the job ${JSON.stringify(name)} that the values configure (its jobs: ${listed.map((j) => j.Name).join(', ') || 'none'})`,
          "The chart's postStart hook starts the jobs: its output is in the pod's FailedPostStartHook events, not in kubectl logs. Check the job's values (command, jobArgs, commandArgs).",
        ),
      ];
    if (!job.Running && job.Error === '')
      return [
        lilyFinding(
          'lily-job',
          pod,
          `Lily's job ${JSON.stringify(job.Name)} (id ${job.ID}) in pod ${pod} is not running: it ended or was stopped`,
          'A walk or fill job ends when its range is done; a watch job that ended was stopped. Restart it with `kubectl exec <pod> -c daemon -- lily job start --id=<id>` or redeploy.',
        ),
      ];
    return [];
  });
  return [...failed, ...missing];
}

/** The head's height and block time, from ChainHead. */
export interface Head {
  height: number;
  /** Unix seconds of the head's first block. */
  timestamp: number;
}

/** A head that did not advance between two readings: what fails the verify window. */
export function stalledHead(pod: string, first: Head, last: Head, window: string): Finding[] {
  if (last.height > first.height) return [];
  return [
    lilyFinding(
      'lily-stalled',
      pod,
      `Lily's chain head in pod ${pod} did not advance in ${window}: it stayed at height ${last.height} (its block of ${new Date(last.timestamp * 1000).toISOString()})`,
      "Lily follows the chain through its libp2p peers: check the daemon's log for sync errors, its network egress (port 1347) and its SyncState; a new network block comes every 30 s.",
    ),
  ];
}

/** A Lily whose API did not answer through the pod proxy. */
export function apiUnanswered(pod: string, error: string): Finding {
  return lilyFinding(
    'lily-api',
    pod,
    `Lily's API in pod ${pod} (port 1234, /rpc/v0) did not answer through the API server's pod proxy: ${error}`,
    "Lily's daemon serves its API on port 1234 once it started: read the daemon's log. A control plane that cannot reach pod ports (a private cluster's firewall) needs port 1234 opened to it, or verify: false.",
  );
}

/** How far a head is behind mainnet's expected height now. */
export interface ChainLag {
  /** Mainnet's expected height now: (now − genesis) / 30. */
  expected: number;
  /** Epochs behind it (negative: ahead). */
  epochs: number;
  /** The lag as time: epochs × 30 s. */
  ms: number;
}

export function chainLag(height: number, nowMs: number): ChainLag {
  const expected = Math.floor((nowMs / 1000 - MAINNET_GENESIS_UNIX) / EPOCH_SECONDS);
  const epochs = expected - height;
  return { expected, epochs, ms: epochs * EPOCH_SECONDS * 1000 };
}

function lilyFinding(
  reason: Finding['reason'],
  pod: string,
  summary: string,
  remedy: string,
): Finding {
  return { reason, pod, container: LILY_CONTAINER, fatal: true, summary, remedy };
}

import type { Finding } from '../failure-reason.js';
import { collapsed, cutToBytes, fenced } from '../markdown.js';
import type { HistoryEntry } from '../helm/helm.js';
import type { ReleaseRecord } from '../helm/release-store.js';
import { eventLastSeen, type KubeEvent } from '../kube/types.js';

// Everything collected about a failed deploy, and how it is shown. Pure.

export interface ContainerLog {
  container: string;
  previous: boolean;
  /** A run after the ones the pod's status named, read because the kubelet had removed those. */
  laterRun?: boolean;
  text?: string;
  error?: string;
}

/**
 * The kubelet's answer for the log of a container it has removed, or is
 * removing (it deletes the log file first, then the container): sent as if it
 * were the log, so it is told apart here and never shown as log text.
 */
export function isRemovedContainerAnswer(text: string): boolean {
  return (
    /^unable to retrieve container logs for \S+\s*$/.test(text) ||
    /^failed to (try resolving symlinks in path|open log file) "[^"\n]+\.log": (lstat|open) [^\n]+: no such file or directory\s*$/.test(
      text,
    )
  );
}

/**
 * Said of the run before a terminated one once the kubelet has started the
 * next run: --previous now reads the terminated run, and the one before is
 * gone from the API.
 */
export const SUPERSEDED_RUN =
  'not retrievable any more: the kubelet started another run after the pod status above was read';

/** Why a log is not shown, in words: a run the kubelet removed is said to be gone. */
export function unreadLogReason(error: string): string {
  if (error === SUPERSEDED_RUN) return error;
  return isRemovedContainerAnswer(error)
    ? 'not retrievable any more: the kubelet removed the container of that run'
    : `not readable: ${error}`;
}

/**
 * A log read with `timestamps=true`, without the timestamps, and whether a
 * line was written after `endedAt` (the end of the run the pod's status
 * describes, in whole seconds: one second of slack). Such a line is a newer
 * run's: the kubelet restarted the container before its status said so, and
 * the current log is no longer the run that ended.
 */
export function logOfRunEndedAt(
  timestamped: string,
  endedAt: string,
): { text: string; newerRun: boolean } {
  const end = Date.parse(endedAt) + 1000;
  let newerRun = false;
  const text = timestamped.replace(/^(\d{4}-\d\d-\d\dT[\d:.]+Z) /gm, (_, time: string) => {
    if (Date.parse(time) > end) newerRun = true;
    return '';
  });
  return { text, newerRun };
}

export interface PodReport {
  name: string;
  description: string[];
  logs: ContainerLog[];
  /** Deleted by lily-deploy to replace it: the report is from just before. */
  deleted: boolean;
}

/** A container's runs' logs as read, the newest first (its current log is its newest run's). */
export function runLogs(reports: PodReport[], pod: string, container: string): string[] {
  return reports
    .filter((r) => r.name === pod)
    .flatMap((r) => r.logs)
    .filter((l) => l.container === container)
    .sort((a, b) => Number(a.previous) - Number(b.previous))
    .flatMap((l) => (l.text ? [l.text] : []));
}

export interface EventLine {
  time: string;
  type: string;
  reason: string;
  object: string;
  count: number;
  message: string;
}

export interface Diagnostics {
  release: string;
  namespace: string;
  failureReason: string;
  /**
   * helm's error: the cause when failureReason is helm-error, else shown
   * beside the findings (helm timed out, or fail-fast stopped it).
   */
  helmError?: string;
  /** What to do about that error, when it is a known one. */
  helmErrorHint?: string;
  /** What could not be read (credentials that may not list pods, say), and why. */
  notCollected: string[];
  collectedAt: string;
  /** How long collecting took. */
  collectionMs: number;
  findings: Finding[];
  /** What lily-deploy deleted besides helm's work before the deploy failed. */
  interventions: string[];
  pods: PodReport[];
  events: EventLine[];
  releaseState: string;
  releaseHistory: string;
}

export function eventLine(event: KubeEvent): EventLine {
  return {
    time: new Date(eventLastSeen(event)).toISOString(),
    type: event.type ?? '',
    reason: event.reason ?? '',
    object: `${event.involvedObject?.kind ?? ''}/${event.involvedObject?.name ?? ''}`,
    count: event.count ?? 1,
    message: event.message ?? '',
  };
}

export function renderPodReport(pod: PodReport): string {
  const parts = [
    ...(pod.deleted ? ['(deleted by lily-deploy to replace it; as it was just before)'] : []),
    pod.description.join('\n'),
  ];
  for (const log of pod.logs) {
    const run = log.laterRun
      ? ' (a later run, which ended too: the kubelet removed the runs above)'
      : log.previous
        ? ' (previous run)'
        : '';
    const title = `--- logs of ${log.container}${run} ---`;
    parts.push(
      title,
      log.error ? `(${unreadLogReason(log.error)})` : (log.text ?? '').trimEnd() || '(empty)',
    );
  }
  return parts.join('\n');
}

/** How many bytes of pod output the log shows at most; the file has it all. */
export const SHOWN_BUDGET = 400_000;
/** The job summary's share of pod output: the rest of a failure's report fits beside it. */
const SUMMARY_POD_BUDGET = 256 * 1024;

/** Each pod's report, in full while the budget (bytes) lasts, then without logs. */
export function podReportsWithinBudget(
  pods: PodReport[],
  budget = SHOWN_BUDGET,
): { name: string; text: string }[] {
  let left = budget;
  return pods.map((pod) => {
    const full = renderPodReport(pod);
    const text =
      Buffer.byteLength(full) <= left
        ? full
        : `${pod.description.join('\n')}\n(logs left out: see the diagnostics file)`;
    left -= Buffer.byteLength(text);
    return { name: pod.name, text };
  });
}

/** The release's latest revision, as `helm status` would sum it up. */
export function renderReleaseState(r: ReleaseRecord | undefined): string {
  if (!r) return 'The release does not exist (any more).';
  return [
    `NAME: ${r.name}`,
    `NAMESPACE: ${r.namespace}`,
    `STATUS: ${r.status}`,
    `REVISION: ${r.revision}`,
    `CHART: ${r.chartName}-${r.chartVersion} (app ${r.appVersion || '–'})`,
    `LAST DEPLOYED: ${r.lastDeployed}`,
    ...(r.description ? [`DESCRIPTION: ${r.description}`] : []),
  ].join('\n');
}

/** `helm history`, newest last. */
export function renderHistory(history: HistoryEntry[]): string {
  if (history.length === 0) return '(no history)';
  return ['REVISION  STATUS            UPDATED                         DESCRIPTION']
    .concat(
      history
        .slice(-10)
        .map(
          (h) =>
            `${String(h.revision).padEnd(9)} ${h.status.padEnd(17)} ${h.updated.padEnd(31)} ${h.description ?? ''}`,
        ),
    )
    .join('\n');
}

export function renderEvents(events: EventLine[]): string {
  if (events.length === 0) return '(no events)';
  return events
    .map(
      (e) =>
        `${e.time}  ${e.type.padEnd(7)} ${e.reason.padEnd(20)} ${e.object}${e.count > 1 ? ` (x${e.count})` : ''}: ${e.message}`,
    )
    .join('\n');
}

/** The top of the job summary for a failed deploy: each cause with its remedy. */
export function renderFailureSummary(d: Diagnostics, diagnosticsPath: string): string {
  const lines = [
    `### Lily deploy failed: \`${d.release}\` in \`${d.namespace}\` (${d.failureReason})`,
    '',
  ];
  const helmSaid = (title: string) => [
    title,
    '',
    ...fenced(d.helmError || '(nothing on stderr)'),
    '',
    ...(d.helmErrorHint ? [`Remedy: ${d.helmErrorHint}`, ''] : []),
  ];
  const helmIsTheCause = d.failureReason === 'helm-error' && d.helmError !== undefined;
  if (helmIsTheCause) {
    lines.push(...helmSaid('helm said:'));
    if (d.findings.length > 0)
      lines.push('Also seen in the pods (evidence, not the cause helm gave):', '');
  } else if (d.findings.length === 0) {
    lines.push('No known cause was recognised in the pods and events; see the logs below.', '');
  }
  for (const f of d.findings)
    lines.push(`- **${f.reason}**: ${f.summary}`, `  - Remedy: ${f.remedy}`);
  for (const line of d.interventions) lines.push(`- ${line}`);
  if (!helmIsTheCause && d.helmError !== undefined)
    lines.push('', ...helmSaid("helm's own error:"));
  if (d.notCollected.length > 0)
    lines.push('', 'Not collected:', '', ...d.notCollected.map((gap) => `- ${gap}`));
  lines.push('', `Everything collected is in \`${diagnosticsPath}\` on the runner.`, '');
  for (const pod of podReportsWithinBudget(d.pods, SUMMARY_POD_BUDGET))
    lines.push(...collapsed(`Pod ${pod.name}`, pod.text));
  lines.push(...collapsed('Events', renderEvents(d.events)));
  lines.push(
    ...collapsed('Release status and history', `${d.releaseState}\n\n${d.releaseHistory}`),
  );
  return cutToBytes(
    lines.join('\n'),
    `The job summary is cut here: the rest is in \`${diagnosticsPath}\` on the runner.`,
  );
}

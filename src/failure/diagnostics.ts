import * as core from '@actions/core';
import { writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mapWithLimit } from '../background.js';
import { printForeign } from '../foreign-text.js';
import type { Finding } from '../failure-reason.js';
import { withLilyCauses } from './lily-causes.js';
import {
  type ContainerLog,
  type Diagnostics,
  eventLine,
  isRemovedContainerAnswer,
  type PodReport,
  podReportsWithinBudget,
  renderEvents,
  renderHistory,
  renderReleaseState,
  logOfRunEndedAt,
  runLogs,
  SUPERSEDED_RUN,
} from './report.js';
import { withShellReportedKills } from './container-findings.js';
import type { ReleaseStore } from '../helm/release-store.js';
import type { KubeApi } from '../kube/api.js';
import type { KubeEvent, Pod } from '../kube/types.js';
import {
  containersWithLogs,
  containerStatus,
  describePod,
  type EndedRun,
  endedRun,
  laterRunEnded,
} from '../kube/pod-status.js';
import type { Workload } from '../kube/release-workloads.js';
import { listReleaseEvents, listReleasePods } from '../kube/release-objects.js';

// Pods collected at once: each is a few requests through the one API client.
export const DIAGNOSTICS_PARALLELISM = 8;

/**
 * The most of one container's log read (the API's limitBytes): its last
 * lines, from their start, up to this; a container that logs huge lines
 * costs no more than that in memory and in the diagnostics file.
 */
export const LOG_LIMIT_BYTES = 512 * 1024;

export interface CollectOptions {
  release: string;
  namespace: string;
  /** Judges the pods and events collected. */
  findings: (pods: Pod[], events: KubeEvent[]) => Finding[];
  /** The failure-reason, given the findings (refined by Lily's own lines). */
  failureReason: (findings: Finding[]) => string;
  /** helm's own error (redacted), when helm ran. */
  helmError?: { text: string; hint?: string };
  interventions: string[];
  /** Reports of the pods lily-deploy deleted during the deploy, taken just before. */
  deletedPods: PodReport[];
  logLines: number;
  /** Pods collected at once. */
  parallelism: number;
  redact: (text: string) => string;
}

/**
 * Collects, for every pod of the release, its state and the last log lines of
 * every container that has run (and of the run before, after a restart), the
 * release's events, and helm's status and history.
 */
export async function collectDiagnostics(
  api: KubeApi,
  releases: ReleaseStore,
  workloads: Workload[],
  options: CollectOptions,
): Promise<Diagnostics> {
  const started = Date.now();
  // Every read is evidence beside helm's error, never in its place: one the
  // credentials may not make (pods, events: the access preflight warned) is
  // noted as not collected.
  const notCollected: string[] = [];
  const evidence = <T>(what: string, read: Promise<T>): Promise<T | null> =>
    read.catch((err: unknown) => {
      notCollected.push(`${what}: ${options.redact((err as Error).message)}`);
      return null;
    });
  const [pods, latest, history] = await Promise.all([
    evidence("the release's pods", listReleasePods(api, options.namespace, workloads)),
    evidence("the release's status", releases.latest(options.release, options.namespace)),
    evidence("the release's history", releases.history(options.release, options.namespace)),
  ]);
  const [events, reports] = await Promise.all([
    evidence(
      "the release's events",
      listReleaseEvents(api, options.namespace, workloads, pods ?? []),
    ),
    mapWithLimit(pods ?? [], options.parallelism, (pod) =>
      podReport(api, options.namespace, pod, options.logLines),
    ),
  ]);
  const judged = options.findings(pods ?? [], events ?? []);
  await readLaterRuns(api, options.namespace, pods ?? [], judged, reports, options.logLines);
  // The logs just read name a crash loop's cause: a shell's `Killed`, Lily's own lines.
  const read = [...options.deletedPods, ...reports];
  const findings = withLilyCauses(
    withShellReportedKills(judged, pods ?? [], (pod, container) => runLogs(read, pod, container)),
    pods ?? [],
    read,
    events ?? [],
  ).map((f) => ({ ...f, summary: options.redact(f.summary) }));
  return {
    release: options.release,
    namespace: options.namespace,
    failureReason: options.failureReason(findings),
    ...(options.helmError
      ? { helmError: options.helmError.text, helmErrorHint: options.helmError.hint }
      : {}),
    notCollected,
    collectedAt: new Date().toISOString(),
    collectionMs: Date.now() - started,
    findings,
    interventions: options.interventions,
    pods: [...options.deletedPods, ...reports].map((r) => ({
      ...r,
      logs: r.logs.map((l) => ({
        ...l,
        text: l.text === undefined ? undefined : options.redact(l.text),
      })),
    })),
    events: (events ?? [])
      .map(eventLine)
      .map((e) => ({ ...e, message: options.redact(e.message) })),
    releaseState: latest === null ? '(not collected)' : options.redact(renderReleaseState(latest)),
    releaseHistory: history === null ? '(not collected)' : options.redact(renderHistory(history)),
  };
}

/** A pod's state, and the last log lines of every container that has run. */
export async function podReport(
  api: KubeApi,
  namespace: string,
  pod: Pod,
  logLines: number,
): Promise<PodReport> {
  const read = async (query: string) => {
    const limits = `tailLines=${logLines}&limitBytes=${LOG_LIMIT_BYTES}`;
    const path = `/api/v1/namespaces/${namespace}/pods/${pod.metadata.name}/log`;
    return api.text(`${path}?${query}&${limits}`);
  };
  const toRead = containersWithLogs(pod);
  // Whose current run, said terminated, the kubelet already replaced by a newer one.
  const superseded = new Set<string>();
  const logs = await Promise.all(
    toRead.map(async ({ container, previous, endedAt }): Promise<ContainerLog> => {
      const query = `container=${encodeURIComponent(container)}`;
      try {
        let text = await read(
          `${query}${previous ? '&previous=true' : ''}${endedAt ? '&timestamps=true' : ''}`,
        );
        if (endedAt !== undefined) {
          // The status lags the kubelet: the run it says ended may be --previous by now,
          // the current one a newer run (whose log may not even be there yet).
          // (The limit is judged on the log as read, timestamps and all.)
          const run = isRemovedContainerAnswer(text)
            ? { newerRun: !previous, text }
            : logOfRunEndedAt(withinLogLimit(text), endedAt);
          // Lines within a second of the end (its time has no fraction) may be either
          // run's: a restart the pod shows now says which.
          const newerRun =
            run.newerRun || (!previous && (await restartedSince(api, namespace, pod, container)));
          if (newerRun) superseded.add(container);
          text = newerRun ? await read(`${query}&previous=true`) : run.text;
        }
        if (isRemovedContainerAnswer(text)) return { container, previous, error: text.trim() };
        return { container, previous, text: withinLogLimit(text) };
      } catch (err) {
        return { container, previous, error: (err as Error).message };
      }
    }),
  );
  return {
    name: pod.metadata.name,
    description: describePod(pod),
    logs: logs.map((l) =>
      l.previous && superseded.has(l.container)
        ? { container: l.container, previous: true, error: SUPERSEDED_RUN }
        : l,
    ),
    deleted: false,
  };
}

/** Has the kubelet started `container` again since `pod`'s status was read? (No answer: no.) */
async function restartedSince(
  api: KubeApi,
  namespace: string,
  pod: Pod,
  container: string,
): Promise<boolean> {
  const now = await api
    .find<Pod>(`/api/v1/namespaces/${namespace}/pods/${pod.metadata.name}`)
    .catch(() => undefined);
  const restarts = (p: Pod) => containerStatus(p, container)?.restartCount ?? 0;
  return now !== undefined && restarts(now) > restarts(pod);
}

/** How long a failure waits for the run after a crashed run the kubelet removed unread. */
// (The kubelet's back-off before a second run is 10 s; a Lily daemon that crashes does so soon.)
export const NEXT_RUN_WAIT_MS = 30_000;
const NEXT_RUN_POLL_MS = 500;

/**
 * For each fatal crash loop of which no log could be read (the kubelet
 * removed the runs the status named before they were read), the next run's
 * log once it ends, added to its pod's report: Lily's line in it names the
 * cause, where the report would otherwise hold none.
 */
async function readLaterRuns(
  api: KubeApi,
  namespace: string,
  pods: Pod[],
  findings: Finding[],
  reports: PodReport[],
  logLines: number,
): Promise<void> {
  await Promise.all(
    findings.map(async (finding) => {
      const { container } = finding;
      const pod = pods.find((p) => p.metadata.name === finding.pod);
      const report = reports.find((r) => r.name === finding.pod);
      if (!finding.fatal || finding.reason !== 'crash-loop' || !container || !pod || !report)
        return;
      // Uninstalled or rolled back by now: no run of it comes.
      if (pod.metadata.deletionTimestamp) return;
      const logs = report.logs.filter((l) => l.container === container);
      // An empty current log may be a run the kubelet started since, not the one that ended.
      if (logs.length === 0 || logs.some((l) => (l.text ?? '').trim() !== '')) return;
      core.info(
        `No line of the crashed runs of container ${container} of pod ${pod.metadata.name} could be read (the kubelet removes a crashed run when it starts the next): waiting up to ${NEXT_RUN_WAIT_MS / 1000}s for its next run to end, to read that one's`,
      );
      const next = await nextEndedRun(api, namespace, pod, container, {
        logLines,
        waitMs: NEXT_RUN_WAIT_MS,
      });
      if (next) report.logs.push({ container, previous: false, laterRun: true, text: next.text });
    }),
  );
}

/**
 * The run after the one the pod's status shows ended, once that run has ended
 * too, with its log: in a crash loop the next run usually dies of the same
 * cause, and while it lies terminated (the kubelet's back-off, 10 s and more
 * after a second crash) its log is the container's current one. For when the
 * kubelet removed the ended run before its log was read. Waits up to waitMs;
 * undefined when no later run ended by then.
 */
export async function nextEndedRun(
  api: KubeApi,
  namespace: string,
  pod: Pod,
  container: string,
  { logLines, waitMs }: { logLines: number; waitMs: number },
): Promise<{ run: EndedRun; text: string } | undefined> {
  const path = `/api/v1/namespaces/${namespace}/pods/${encodeURIComponent(pod.metadata.name)}`;
  const query = `container=${encodeURIComponent(container)}&tailLines=${logLines}&limitBytes=${LOG_LIMIT_BYTES}&timestamps=true`;
  const earlier = endedRun(pod, container)?.containerID;
  const deadline = Date.now() + waitMs;
  while (Date.now() < deadline) {
    await sleep(NEXT_RUN_POLL_MS);
    const now = await api.find<Pod>(path).then(
      (found) => found ?? 'gone',
      () => undefined,
    );
    // A pod deleted, or replaced under its name, has no next run of that container.
    if (now === 'gone' || (now && isReplacedOrLeaving(pod, now))) return undefined;
    const run = now && laterRunEnded(now, container, earlier);
    if (!run) continue;
    const text = await api.text(`${path}/log?${query}`).catch(() => undefined);
    if (text === undefined || isRemovedContainerAnswer(text)) continue;
    const log = logOfRunEndedAt(withinLogLimit(text), run.finishedAt ?? '');
    // The kubelet started yet another run since: wait for that one to end.
    if (!log.newerRun) return { run, text: log.text };
  }
  return undefined;
}

function isReplacedOrLeaving(pod: Pod, now: Pod): boolean {
  return now.metadata.uid !== pod.metadata.uid || Boolean(now.metadata.deletionTimestamp);
}

/** A log the limit cut says so: its last lines may be missing. */
export function withinLogLimit(text: string): string {
  return Buffer.byteLength(text) < LOG_LIMIT_BYTES
    ? text
    : `${text}\n(cut at ${LOG_LIMIT_BYTES / 1024} KiB: the log's last lines may be missing; kubectl logs has them all)`;
}

/** Prints the diagnostics, one log group per pod. */
export function printDiagnostics(d: Diagnostics): void {
  core.info(`Diagnostics of ${d.pods.length} pod(s) collected in ${d.collectionMs} ms`);
  for (const pod of podReportsWithinBudget(d.pods)) printGroup(`Pod ${pod.name}`, pod.text);
  printGroup('Events of the release', renderEvents(d.events));
  printGroup(
    'Release status and history',
    `${d.releaseState.trimEnd()}\n\n${d.releaseHistory.trimEnd()}`,
  );
}

/** The text is the cluster's and helm's, not ours: no line of it may act as a workflow command. */
function printGroup(title: string, text: string): void {
  core.startGroup(title);
  printForeign(text);
  core.endGroup();
}

/** Writes the diagnostics JSON next to (not inside) the run's private workspace, so it outlives the post step. */
export async function writeDiagnosticsFile(d: Diagnostics): Promise<string> {
  const stamp = d.collectedAt.replace(/[:.]/g, '-');
  const path = join(
    process.env.RUNNER_TEMP || tmpdir(),
    `lily-deploy-diagnostics-${d.release}-${stamp}.json`,
  );
  await writeFile(path, `${JSON.stringify(d, null, 2)}\n`, { mode: 0o600 });
  return path;
}

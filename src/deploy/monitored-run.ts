import * as core from '@actions/core';
import type { Finding } from '../failure-reason.js';
import type { ClusterAccess } from '../cluster-access.js';
import type { PodReport } from '../failure/report.js';
import type { HelmStop } from '../helm/helm.js';
import type { RunResult } from '../process.js';
import { ReleaseMonitor } from './release-monitor.js';
import type { Workload } from '../kube/release-workloads.js';
import type { Settings } from '../settings.js';
import type { StartupWatch } from './startup-watch.js';

export interface UpgradeOutcome {
  result: RunResult;
  /** The release revision the (last) helm command made. */
  revision: number;
  /** Set when fail-fast stopped helm: the findings that made it stop. */
  stoppedFor?: Finding[];
  /** Set when the job was cancelled while helm ran. */
  cancelled: boolean;
  /** The workloads of the revision deployed, as far as they were seen. */
  workloads: Workload[];
  /** What was deleted besides helm's own work, one line each. */
  interventions: string[];
  /** The pods deleted, as they were just before. */
  deletedPods: PodReport[];
  /** Helm gave up, and broken pods of a superseded StatefulSet revision were replaced in this run. */
  replacedSupersededPods: boolean;
  /**
   * Set when helm succeeded and the verify window then failed the revision
   * (stoppedFor holds its findings): the pods as they were then.
   */
  verifyFailed?: { evidence: PodReport[] };
  /** Set when the verify window passed: what it verified, one line per check. */
  verified?: string[];
  /** The Lily start-up's phase table for the job summary (Markdown lines). */
  startupSummary?: string[];
  /** wait-for: started passed: the start-ups are under way, not finished. */
  startedOnly?: boolean;
}

const POLL_MS = 2000;
export const PROGRESS_MS = 15_000;
const MULTI_ATTACH_GRACE_MS = 60_000;
// Helm records the release as failed on SIGTERM within a second or two (or
// rolls it back, with the atomic flag); past this it is killed, and the
// pending release it leaves is repaired by the caller.
const HELM_STOP_GRACE_MS = 60_000;

/** A helm command that changes the release (upgrade, rollback), run so that it can be stopped. */
export type HelmChange = (stop: HelmStop) => Promise<RunResult>;

export interface MonitoredRun {
  /** The release revision the helm command makes. */
  revision: number;
  /** Stop helm when a pod of that revision is stuck for good. */
  failFast: boolean;
  /** The timeout helm was given (longer than the timeout input while a Lily start-up may progress). */
  helmTimeout: string;
  /** The release's Lily start-up: its phases, and its deadlines, which stop helm. */
  startup?: StartupWatch;
  /** The uids of the namespace's pods before helm ran: any other pod is this run's. */
  podsBefore?: Promise<Set<string>>;
}

/**
 * Runs a helm command that changes the release (upgrade, rollback) under a
 * ReleaseMonitor, and once more when helm gave up on a broken pod of the
 * revision being replaced: Helm 4 does so within a second, before the monitor
 * can replace that pod (a StatefulSet never does), so the pod is replaced
 * after the failure and the command run again. The outcome's revision is the
 * one made last.
 */
export async function runMonitored(
  cluster: ClusterAccess,
  settings: Settings,
  change: HelmChange,
  run: MonitoredRun,
): Promise<UpgradeOutcome> {
  const first = await runMonitoredOnce(cluster, settings, change, run);
  if (!first.replacedSupersededPods) return first;
  core.info(
    'helm gave up on a broken pod of the previous revision, which has just been replaced: running it again',
  );
  const second = await runMonitoredOnce(cluster, settings, change, {
    ...run,
    revision: run.revision + 1,
  });
  return {
    ...second,
    interventions: [...first.interventions, ...second.interventions],
    deletedPods: [...first.deletedPods, ...second.deletedPods],
  };
}

/**
 * Runs the helm command under a ReleaseMonitor. A fatally stuck pod
 * (fail-fast) or a cancelled job (SIGINT/SIGTERM to the action) stops helm
 * with SIGTERM, so that helm itself records the release as failed, or rolls
 * it back with the atomic flag, instead of waiting out the timeout.
 */
async function runMonitoredOnce(
  cluster: ClusterAccess,
  settings: Settings,
  change: HelmChange,
  run: MonitoredRun,
): Promise<UpgradeOutcome> {
  const stopHelm = new AbortController();
  const stopMonitor = new AbortController();
  let stoppedFor: Finding[] | undefined;
  let cancelled = false;

  const onCancel = () => {
    cancelled = true;
    core.warning('The job was cancelled: stopping helm so that it records the release as failed');
    stopHelm.abort();
  };
  process.once('SIGINT', onCancel).once('SIGTERM', onCancel);

  const monitor = await releaseMonitor(cluster, settings, run, (findings) => {
    stoppedFor = findings;
    const fatal = findings.filter((f) => f.fatal);
    const deadline = fatal.some((f) => f.reason === 'lily-stalled' || f.reason === 'timeout');
    core.info(
      `${deadline ? '' : 'fail-fast: '}${fatal.map((f) => f.summary).join('; ')}\nStopping helm now instead of waiting out its ${run.helmTimeout} timeout.`,
    );
    stopHelm.abort();
  });
  const monitoring = monitor.run(stopMonitor.signal);
  let result: RunResult;
  try {
    result = await change({ signal: stopHelm.signal, killAfterMs: HELM_STOP_GRACE_MS });
  } finally {
    stopMonitor.abort();
    await monitoring;
    process.off('SIGINT', onCancel).off('SIGTERM', onCancel);
  }
  const gaveUp = result.exitCode !== 0 && !stoppedFor && !cancelled;
  const replacedSupersededPods = gaveUp && (await replaceSupersededPods(monitor));
  return {
    result,
    revision: run.revision,
    stoppedFor,
    cancelled,
    workloads: monitor.workloads,
    interventions: monitor.interventions,
    deletedPods: monitor.deletedPods,
    replacedSupersededPods,
  };
}

/** A monitor of the revision the helm command makes, with the settings' fail-fast rules. */
async function releaseMonitor(
  cluster: ClusterAccess,
  settings: Settings,
  run: MonitoredRun,
  onFatal: (findings: Finding[]) => void,
): Promise<ReleaseMonitor> {
  return new ReleaseMonitor(
    await cluster.api(),
    cluster.releases,
    cluster.kubectl,
    {
      release: settings.release,
      namespace: settings.namespace,
      revision: run.revision,
      startedAt: Date.now(),
      ...(run.podsBefore ? { podsBefore: run.podsBefore } : {}),
      failFast: run.failFast,
      remediate: settings.failure.remediate,
      restartThreshold: settings.failure.failFastRestarts,
      logLines: settings.failure.logLines,
      graceMs: MULTI_ATTACH_GRACE_MS,
      unschedulableGraceMs: settings.failure.unschedulableGraceMs,
      databaseTimeoutMs: settings.failure.databaseTimeoutMs,
      databaseTimeout: settings.failure.databaseTimeout,
      pollMs: POLL_MS,
      progressMs: PROGRESS_MS,
      startup: run.startup,
    },
    onFatal,
  );
}

/** After helm gave up: replaces broken pods of a superseded revision; true when it did. */
async function replaceSupersededPods(monitor: ReleaseMonitor): Promise<boolean> {
  try {
    return await monitor.sweep();
  } catch (err) {
    // helm's failure is reported either way; this only decides whether to run it again.
    core.warning(
      `Could not look for broken pods of the previous revision: ${(err as Error).message}`,
    );
    return false;
  }
}

import * as core from '@actions/core';
import type { ClusterReader } from '../cluster-access.js';
import { redactor } from '../failure/redact.js';
import { DeployError } from '../failure-reason.js';
import { mergeValues } from '../inputs/values.js';
import { workloadsInManifest } from '../kube/release-workloads.js';
import { expectedJobs } from '../lily/health.js';
import type { Settings } from '../settings.js';
import { lilyPods, type LilyPodReading, readLilyPod } from '../verify/lily-api.js';
import { statusLines, statusReport, statusSummary } from './status-report.js';
import { setLilyOutputs } from './verify.js';

/**
 * command status: a read-only report on the deployed release, for a
 * scheduled workflow. Reads the release's record, its Lily pods and each
 * one's API once; fails as lily-unhealthy when a job failed, a chain head
 * lags more than max-lag, a pod crash-loops or a running Lily does not answer.
 */
export async function status(
  settings: Settings,
  cluster: ClusterReader,
  secrets: string[],
): Promise<void> {
  const { release: name, namespace } = settings;
  await cluster.ready();
  const release = await cluster.releases.latest(name, namespace);
  if (!release)
    throw new DeployError(
      'lily-unhealthy',
      `Release ${name} does not exist in namespace ${namespace}: there is no Lily to report on`,
    );
  const api = await cluster.api();
  const values = mergeValues(release.chartValues, release.config);
  const pods = await lilyPods(api, namespace, workloadsInManifest(release.manifest));
  const read = await Promise.all(
    pods.map(async ({ pod, workload }) => {
      const reading: LilyPodReading = {
        pod: pod.metadata.name,
        expected: expectedJobs(values, workload),
      };
      await readLilyPod(api, namespace, reading);
      return { pod, reading };
    }),
  );
  const report = statusReport({
    release: name,
    namespace,
    revision: release.revision,
    pods: read,
    nowMs: Date.now(),
    maxLag: settings.status.maxLag,
    maxLagMs: settings.status.maxLagMs,
    restartThreshold: settings.failure.failFastRestarts,
  });
  const redact = redactor(secrets);
  for (const line of statusLines(report)) core.info(redact(line));
  for (const line of report.unread) core.warning(redact(line), { title: 'lily-deploy: not read' });
  setLilyOutputs(
    read.map((r) => r.reading),
    redact,
  );
  core.setOutput('revision', String(release.revision));
  core.setOutput('status', release.status);
  core.setOutput('chart-version', release.chartVersion);
  core.setOutput('app-version', release.appVersion);
  await core.summary.addRaw(redact(statusSummary(report))).write();
  if (report.problems.length > 0) {
    for (const p of report.problems)
      core.error(redact(p), { title: 'lily-deploy: lily-unhealthy' });
    throw new DeployError(
      'lily-unhealthy',
      `Lily release ${name} is unhealthy: ${redact(report.problems.join('; '))}`,
    );
  }
}

import type { Finding } from '../failure-reason.js';
import { containerStatus } from '../kube/pod-status.js';
import type { KubeEvent, Pod } from '../kube/types.js';
import { hookFailureWords, type LilyEvidence, withLilyCause } from '../lily/failures.js';
import { type PodReport, runLogs } from './report.js';

// The generic findings refined by what Lily printed: the failure path has read
// every container's log tail and the events; lily/ recognises Lily's lines.

/** Each crash loop whose logs or hook name a known Lily failure, named so; the rest as they are. */
export function withLilyCauses(
  findings: Finding[],
  pods: Pod[],
  reports: PodReport[],
  events: KubeEvent[],
): Finding[] {
  return findings.map((f) => withLilyCause(f, lilyEvidence(f, pods, reports, events)));
}

function lilyEvidence(
  finding: Finding,
  pods: Pod[],
  reports: PodReport[],
  events: KubeEvent[],
): LilyEvidence {
  const pod = pods.find((p) => p.metadata.name === finding.pod);
  const logs = finding.container ? runLogs(reports, finding.pod, finding.container) : [];
  const status = pod && finding.container ? containerStatus(pod, finding.container) : undefined;
  const own = events.filter((e) => e.involvedObject?.name === finding.pod);
  const hookFailures = status ? hookFailureWords(status, own) : [];
  return { workload: pod?.metadata.ownerReferences?.[0]?.name, logs, hookFailures };
}

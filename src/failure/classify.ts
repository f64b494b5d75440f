import type { FailureReason } from '../failure-reason.js';
import type { KubeEvent, Pod } from '../kube/types.js';
import { containerFindings } from './container-findings.js';
import type { Finding } from '../failure-reason.js';
import type { ClassifyOptions } from './finding.js';
import { failedHookFindings, silentDatabaseFinding } from '../lily/failures.js';
import { schedulingFindings } from './scheduling-findings.js';
import { claimFindings, volumeFindings } from './volume-findings.js';

// Known ways a Lily deploy fails, recognised from pod and event JSON, each with
// the remedy in plain words. Pure: the caller fetches, this decides.

// The order in which causes are reported first: the most specific first.
const PRIORITY: FailureReason[] = [
  'missing-secret',
  'image-pull',
  'missing-storage-class',
  'provisioning-failed',
  'volume-node-affinity',
  'multi-attach',
  'unbound-pvc',
  'unschedulable',
  'lily-database',
  'lily-schema',
  'lily-api',
  'oom-killed',
  'crash-loop',
];

export function classify(pods: Pod[], events: KubeEvent[], options: ClassifyOptions): Finding[] {
  // A terminating pod is on its way out; its replacement is what counts.
  const live = pods.filter((pod) => !pod.metadata.deletionTimestamp);
  const findings = live.flatMap((pod) => {
    const own = events.filter((e) => isAbout(e, pod));
    const hooks = failedHookFindings(pod, own, options.restartThreshold);
    const hooked = new Set(hooks.map((f) => f.container));
    return [
      // A container restarted by its failed hook is named by the hook.
      ...containerFindings(pod, options).filter((f) => !hooked.has(f.container)),
      ...hooks,
      ...volumeFindings(pod, own, options),
      ...claimFindings(pod, events, options),
      ...schedulingFindings(pod, own, options),
      ...optional(silentDatabaseFinding(pod, options)),
    ];
  });
  return findings.sort((a, b) => Number(b.fatal) - Number(a.fatal) || rank(a) - rank(b));
}

/**
 * Is the event about this very pod? A StatefulSet's replacement pod has the
 * same name as the one it replaces, so the uid decides where events have one.
 */
function isAbout(event: KubeEvent, pod: Pod): boolean {
  const about = event.involvedObject;
  if (about?.kind !== 'Pod' || about.name !== pod.metadata.name) return false;
  return !about.uid || !pod.metadata.uid || about.uid === pod.metadata.uid;
}

/** The failure-reason output: the first fatal finding's, else the fallback. */
export function primaryReason(findings: Finding[], fallback: FailureReason): FailureReason {
  return findings.find((f) => f.fatal)?.reason ?? fallback;
}

/** The most likely cause among all findings (fatal first), else the fallback. */
export function likeliestReason(findings: Finding[], fallback: FailureReason): FailureReason {
  return findings[0]?.reason ?? fallback;
}

function optional<T>(value: T | undefined): T[] {
  return value === undefined ? [] : [value];
}

function rank(finding: Finding): number {
  return PRIORITY.indexOf(finding.reason);
}

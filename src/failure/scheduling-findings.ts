import { eventLastSeen, type KubeEvent, type Pod } from '../kube/types.js';
import type { Finding } from '../failure-reason.js';
import type { ClassifyOptions } from './finding.js';

// A pod the scheduler cannot place, and whether a node is on its way.

// The scheduler's words for a pod that waits on its volumes: reported from the
// volume's side (above), not as a pod too big for the nodes.
const VOLUME_SCHEDULING =
  /unbound immediate PersistentVolumeClaims|PersistentVolume|volume node affinity/;

// Events of a cluster autoscaler (TriggeredScaleUp) or Karpenter (Nominated)
// that a node for the pod is on its way.
const SCALE_UP = ['TriggeredScaleUp', 'Nominated'];

/** A pod the scheduler cannot place on any node (resources, selectors, affinity, taints). */
export function schedulingFindings(pod: Pod, events: KubeEvent[], o: ClassifyOptions): Finding[] {
  const condition = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
  const message = condition?.message ?? '';
  if (
    pod.status?.phase !== 'Pending' ||
    condition?.status !== 'False' ||
    condition.reason !== 'Unschedulable' ||
    VOLUME_SCHEDULING.test(message)
  )
    return [];
  const lastOf = (reasons: string[]) =>
    Math.max(0, ...events.filter((e) => reasons.includes(e.reason ?? '')).map(eventLastSeen));
  const scaleUp = lastOf(SCALE_UP);
  const noScaleUp = lastOf(['NotTriggerScaleUp']);
  const autoscalerGaveUp = noScaleUp > scaleUp;
  // A node on its way takes minutes to join: the autoscaler's NotTriggerScaleUp
  // (or helm's timeout) ends that wait, not the grace.
  const scaling = scaleUp > 0 && !autoscalerGaveUp;
  const waitingSince = Date.parse(condition.lastTransitionTime ?? '') || o.now;
  return [
    {
      reason: 'unschedulable',
      pod: pod.metadata.name,
      fatal: autoscalerGaveUp || (!scaling && o.now - waitingSince >= o.unschedulableGraceMs),
      summary:
        `pod ${pod.metadata.name} cannot be scheduled: ${message}` +
        (autoscalerGaveUp
          ? ' (the cluster autoscaler reported NotTriggerScaleUp: no node group can fit it)'
          : scaling
            ? ` (a node is on its way: scale-up last triggered ${Math.round((o.now - scaleUp) / 1000)} s ago)`
            : ''),
      remedy: schedulingRemedy(message),
    },
  ];
}

function schedulingRemedy(message: string): string {
  if (/Insufficient (cpu|memory)/.test(message)) {
    return (
      'The pod requests more CPU or memory than any node has free. Lower its requests and limits in your values ' +
      '(Lily chart: daemon.resources, or cluster.worker.resources / cluster.notifier.resources; its defaults are 31 CPU / 254Gi per daemon pod), ' +
      'or add nodes that big (a node group the cluster autoscaler can scale up).'
    );
  }
  if (/node affinity|node selector|didn't match Pod's node/i.test(message)) {
    return "No node matches the pod's nodeSelector or affinity: compare nodeSelector and affinity in your values with the nodes' labels (kubectl get nodes --show-labels).";
  }
  if (/taint/i.test(message)) {
    return 'The nodes have taints the pod does not tolerate: add tolerations in your values, or schedule on nodes without those taints.';
  }
  return 'The scheduler found no node for the pod; its message above says why (kubectl describe pod shows it too).';
}

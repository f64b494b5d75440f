import {
  type ContainerStatus,
  eventFirstSeen,
  eventLastSeen,
  type KubeEvent,
  type Pod,
} from '../kube/types.js';
import type { FailureReason } from '../failure-reason.js';

// Known ways a Lily deploy fails, recognised from pod and event JSON, each with
// the remedy in plain words. Pure: the caller fetches, this decides.

export interface Finding {
  reason: FailureReason;
  pod: string;
  container?: string;
  /** True when waiting longer cannot help: fail-fast stops the deploy on it. */
  fatal: boolean;
  summary: string;
  remedy: string;
  /** PVCs the finding is about (volume node affinity). */
  claims?: string[];
}

export interface ClassifyOptions {
  namespace: string;
  /** A crash-looping container is fatal from this many restarts on. */
  restartThreshold: number;
  /** Multi-Attach, unbound-PVC and provisioning failures are fatal only after lasting this long. */
  graceMs: number;
  /** A pod the scheduler cannot place is fatal after this long without a scale-up. */
  unschedulableGraceMs: number;
  now: number;
}

// The scheduler's words for a pod whose PersistentVolume is pinned to another
// node: the older wording (the deployment guide's) and the current one.
const VOLUME_AFFINITY =
  /volume node affinity conflict|didn't match PersistentVolume's node affinity/;

const IMAGE_PULL = ['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull'];

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
  'crash-loop',
];

// The scheduler's words for a pod that waits on its volumes: reported from the
// volume's side (above), not as a pod too big for the nodes.
const VOLUME_SCHEDULING =
  /unbound immediate PersistentVolumeClaims|PersistentVolume|volume node affinity/;

// Events of a cluster autoscaler (TriggeredScaleUp) or Karpenter (Nominated)
// that a node for the pod is on its way.
const SCALE_UP = ['TriggeredScaleUp', 'Nominated'];

export function classify(pods: Pod[], events: KubeEvent[], options: ClassifyOptions): Finding[] {
  // A terminating pod is on its way out; its replacement is what counts.
  const live = pods.filter((pod) => !pod.metadata.deletionTimestamp);
  const findings = live.flatMap((pod) => {
    const own = events.filter((e) => isAbout(e, pod));
    return [
      ...containerFindings(pod, options),
      ...eventFindings(pod, own, options),
      ...claimFindings(pod, events, options),
      ...schedulingFindings(pod, own, options),
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

function rank(finding: Finding): number {
  return PRIORITY.indexOf(finding.reason);
}

function containerFindings(pod: Pod, o: ClassifyOptions): Finding[] {
  const statuses = [
    ...(pod.status?.initContainerStatuses ?? []),
    ...(pod.status?.containerStatuses ?? []),
  ];
  return statuses.flatMap((status) => {
    const finding = containerFinding(pod, status, o);
    return finding ? [finding] : [];
  });
}

function containerFinding(
  pod: Pod,
  status: ContainerStatus,
  o: ClassifyOptions,
): Finding | undefined {
  const name = pod.metadata.name;
  const waiting = status.state?.waiting;
  const reason = waiting?.reason ?? '';
  const message = waiting?.message ?? '';
  const where = `container ${status.name} of pod ${name}`;
  const restarts = status.restartCount ?? 0;
  const last = status.lastState?.terminated;
  // Between two restarts a crash-looping container shows as running for a
  // moment: many restarts after failed runs, and not ready, is the same loop.
  const failedOften =
    restarts >= o.restartThreshold && (last?.exitCode ?? 0) !== 0 && !status.ready;
  if (reason === 'CrashLoopBackOff' || failedOften) {
    const exit = last
      ? `; last exit code ${last.exitCode ?? '?'}${last.reason ? ` (${last.reason})` : ''}`
      : '';
    return {
      reason: 'crash-loop',
      pod: name,
      container: status.name,
      fatal: restarts >= o.restartThreshold,
      summary: `${where} is crash-looping${reason ? ` (${reason})` : ''}: restarted ${restarts} time(s)${exit}`,
      remedy: crashRemedy(status.name, last?.reason),
    };
  }
  if (IMAGE_PULL.includes(reason)) {
    const image = status.image ?? imageOf(pod, status.name) ?? 'its image';
    return {
      reason: 'image-pull',
      pod: name,
      container: status.name,
      fatal: true,
      summary: `${where} cannot pull image ${image} (${reason}${message ? `: ${message}` : ''})`,
      remedy:
        'Check image.repo and image.tag in your values (the tag must exist in the registry); for a private registry, add imagePullSecrets.',
    };
  }
  if (reason === 'CreateContainerConfigError') {
    const secret = /secret "([^"]+)" not found/.exec(message)?.[1];
    const key = /couldn't find key (\S+) in Secret (\S+)/.exec(message);
    const what = secret
      ? `Secret ${secret} does not exist in namespace ${o.namespace}`
      : key
        ? `Secret ${key[2]} has no key ${key[1]}`
        : message || 'a referenced Secret or ConfigMap is missing';
    return {
      reason: 'missing-secret',
      pod: name,
      container: status.name,
      fatal: true,
      summary: `${where} cannot start (CreateContainerConfigError): ${what}`,
      remedy:
        'Give the database inputs (database-url, or database-host/-name/-user/-password) so lily-deploy creates the Secret, ' +
        'or make secretName/secretKey of the storage entry name an existing Secret and key.',
    };
  }
  return undefined;
}

function crashRemedy(container: string, lastReason?: string): string {
  if (lastReason === 'OOMKilled') {
    return `The ${container} container ran out of memory: raise its resources.limits.memory.`;
  }
  if (container === 'init-database') {
    return 'init-database checks the database schema and fails when it is not installed or the URL is wrong: check the database credentials, and run `lily migrate --schema <schema> --latest` once against the database.';
  }
  return `See the last log lines of ${container} below. For Lily the usual causes are wrong database credentials, a schema that is not migrated, or a bad configuration value.`;
}

function eventFindings(pod: Pod, events: KubeEvent[], o: ClassifyOptions): Finding[] {
  const name = pod.metadata.name;
  const claims = (pod.spec?.volumes ?? [])
    .map((v) => v.persistentVolumeClaim?.claimName)
    .filter((claim): claim is string => claim !== undefined);
  const pending = pod.status?.phase === 'Pending';
  const lasting = (event: KubeEvent) => o.now - eventFirstSeen(event) >= o.graceMs;
  const findings: Finding[] = [];

  const affinity = events.find(
    (e) => e.reason === 'FailedScheduling' && VOLUME_AFFINITY.test(e.message ?? ''),
  );
  if (affinity && pending) {
    const ns = o.namespace;
    findings.push({
      reason: 'volume-node-affinity',
      pod: name,
      fatal: true,
      summary: `pod ${name} cannot be scheduled: ${affinity.message ?? 'volume node affinity conflict'}`,
      remedy:
        `Its volume is bound to a node the pod cannot run on, usually a PVC left by a destroyed release. ` +
        `Delete the PVC and the pod: kubectl delete pvc ${claims.join(' ') || '<claim>'} -n ${ns} && kubectl delete pod ${name} -n ${ns} ` +
        '(or set remediate: true).',
      claims,
    });
  }

  const unbound = events.find(
    (e) =>
      e.reason === 'FailedScheduling' &&
      /unbound immediate PersistentVolumeClaims/.test(e.message ?? ''),
  );
  if (unbound && pending && !affinity) {
    findings.push({
      reason: 'unbound-pvc',
      pod: name,
      fatal: lasting(unbound),
      summary: `pod ${name} waits for PVC(s) ${claims.join(', ')} to bind: ${unbound.message ?? ''}`,
      remedy:
        'No PersistentVolume can be provisioned for the claim: check the storageClassName in your values and that the cluster has that StorageClass and a provisioner.',
      claims,
    });
  }

  const attach = events.find(
    (e) => e.reason === 'FailedAttachVolume' && /Multi-Attach error/.test(e.message ?? ''),
  );
  if (attach) {
    findings.push({
      reason: 'multi-attach',
      pod: name,
      fatal: lasting(attach),
      summary: `pod ${name} cannot attach its volume: ${attach.message ?? 'Multi-Attach error'}`,
      remedy: `The volume is still attached to the node of an old pod. Delete the pod and let its StatefulSet recreate it: kubectl delete pod ${name} -n ${o.namespace} (or set remediate: true).`,
    });
  }
  return findings;
}

/** The pod's PVCs, as its volumes name them. */
function claimsOf(pod: Pod): string[] {
  return (pod.spec?.volumes ?? [])
    .map((v) => v.persistentVolumeClaim?.claimName)
    .filter((claim): claim is string => claim !== undefined);
}

/** A PVC of the pod whose provisioning failed, in the PVC's own words. */
function claimFindings(pod: Pod, events: KubeEvent[], o: ClassifyOptions): Finding[] {
  if (pod.status?.phase !== 'Pending') return [];
  const claims = claimsOf(pod);
  const failed = events.filter(
    (e) =>
      e.reason === 'ProvisioningFailed' &&
      e.involvedObject?.kind === 'PersistentVolumeClaim' &&
      claims.includes(e.involvedObject.name ?? ''),
  );
  const latest = failed.sort((a, b) => eventLastSeen(b) - eventLastSeen(a))[0];
  if (!latest) return [];
  const claim = latest.involvedObject?.name ?? '';
  const message = latest.message ?? '';
  const missingClass = /storageclass\.storage\.k8s\.io "([^"]+)" not found/.exec(message)?.[1];
  const earliest = Math.min(...failed.map(eventFirstSeen));
  return [
    {
      reason: missingClass ? 'missing-storage-class' : 'provisioning-failed',
      pod: pod.metadata.name,
      // A missing class never appears by itself; a provisioner's error may be passing.
      fatal: missingClass !== undefined || o.now - earliest >= o.graceMs,
      summary: `PVC ${claim} of pod ${pod.metadata.name} cannot be provisioned: ${message}`,
      remedy: missingClass
        ? `StorageClass ${missingClass} does not exist in this cluster: set the volume's storageClassName in your values to one that does (kubectl get storageclass; empty = the default class). ` +
          'For the Lily chart: daemon.volumes.datastore.storageClassName (cluster.notifier / cluster.worker in cluster mode); its default, gp2, exists on AWS only.'
        : `The provisioner of the PVC's StorageClass failed: kubectl describe pvc ${claim} -n ${o.namespace} shows its events; check the class's parameters, quotas and the provisioner's logs.`,
      claims: [claim],
    },
  ];
}

/** A pod the scheduler cannot place on any node (resources, selectors, affinity, taints). */
function schedulingFindings(pod: Pod, events: KubeEvent[], o: ClassifyOptions): Finding[] {
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

function imageOf(pod: Pod, container: string): string | undefined {
  return [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].find(
    (c) => c.name === container,
  )?.image;
}

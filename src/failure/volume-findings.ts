import { eventFirstSeen, eventLastSeen, type KubeEvent, type Pod } from '../kube/types.js';
import type { Finding } from '../failure-reason.js';
import type { ClassifyOptions } from './finding.js';

// What the events of a pod and its PVCs say about its volumes.

// The scheduler's words for a pod whose PersistentVolume is pinned to another
// node: the older wording (the deployment guide's) and the current one.
const VOLUME_AFFINITY =
  /volume node affinity conflict|didn't match PersistentVolume's node affinity/;

/** A volume pinned to another node, a claim that does not bind, a volume still attached elsewhere. */
export function volumeFindings(pod: Pod, events: KubeEvent[], options: ClassifyOptions): Finding[] {
  const name = pod.metadata.name;
  const claims = claimsOf(pod);
  const pending = pod.status?.phase === 'Pending';
  const lasting = (event: KubeEvent) => options.now - eventFirstSeen(event) >= options.graceMs;
  const findings: Finding[] = [];

  const affinity = events.find(
    (e) => e.reason === 'FailedScheduling' && VOLUME_AFFINITY.test(e.message ?? ''),
  );
  if (affinity && pending) {
    const ns = options.namespace;
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
      remedy: `The volume is still attached to the node of an old pod. Delete the pod and let its StatefulSet recreate it: kubectl delete pod ${name} -n ${options.namespace} (or set remediate: true).`,
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
export function claimFindings(pod: Pod, events: KubeEvent[], options: ClassifyOptions): Finding[] {
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
      fatal: missingClass !== undefined || options.now - earliest >= options.graceMs,
      summary: `PVC ${claim} of pod ${pod.metadata.name} cannot be provisioned: ${message}`,
      remedy: missingClass
        ? `StorageClass ${missingClass} does not exist in this cluster: set the volume's storageClassName in your values to one that does (kubectl get storageclass; empty = the default class). ` +
          'For the Lily chart: daemon.volumes.datastore.storageClassName (cluster.notifier / cluster.worker in cluster mode); its default, gp2, exists on AWS only.'
        : `The provisioner of the PVC's StorageClass failed: kubectl describe pvc ${claim} -n ${options.namespace} shows its events; check the class's parameters, quotas and the provisioner's logs.`,
      claims: [claim],
    },
  ];
}

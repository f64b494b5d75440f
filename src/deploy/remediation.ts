import type { Finding } from '../failure-reason.js';
import { isReleaseClaim, type Workload } from '../kube/release-workloads.js';

// The two failures the deployment guide fixes by hand, fixed the same way:
// a stale PVC of this release that pins its pod to another node, and a pod
// whose volume is still attached to an old node.

export type Remedy =
  | { kind: 'delete-claims-and-pod'; pod: string; claims: string[]; because: string }
  | { kind: 'delete-pod'; pod: string; because: string };

/** What to delete for these findings, once per pod; nothing outside the release. */
export function remediesFor(
  findings: Finding[],
  workloads: Workload[],
  done: Set<string>,
): Remedy[] {
  const remedies: Remedy[] = [];
  for (const f of findings) {
    if (!f.fatal || done.has(f.pod) || remedies.some((r) => r.pod === f.pod)) continue;
    if (f.reason === 'volume-node-affinity') {
      const claims = (f.claims ?? []).filter((claim) => isReleaseClaim(workloads, claim));
      if (claims.length > 0)
        remedies.push({ kind: 'delete-claims-and-pod', pod: f.pod, claims, because: f.summary });
    } else if (f.reason === 'multi-attach') {
      remedies.push({ kind: 'delete-pod', pod: f.pod, because: f.summary });
    }
  }
  return remedies;
}

export function describeRemedy(r: Remedy, namespace: string): string {
  const what =
    r.kind === 'delete-pod'
      ? `pod ${namespace}/${r.pod}`
      : `PVC ${r.claims.map((c) => `${namespace}/${c}`).join(', ')} and pod ${namespace}/${r.pod}`;
  return `remediate: deleted ${what} (${r.because})`;
}

import { formatSpan } from '../inputs/duration.js';
import { managedLabels } from '../kube/objects.js';
import { boundedName } from '../names.js';

// The in-cluster lock of a release: a coordination.k8s.io/v1 Lease in the
// release's namespace, held by one run at a time, renewed while it works.
// Here only what the Lease says and what a run should do about it; reading
// and writing it is the caller's.

/** How long a Lease stays ours without a renewal; a run renews it every third of that. */
export const LEASE_DURATION_SECONDS = 30;

const MAX_LEASE_NAME = 63;

/** The fields of a Lease's spec, named as in the API. */
export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  /** RFC 3339 micro time. */
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

export interface Lease {
  metadata?: { name?: string; namespace?: string; resourceVersion?: string };
  spec?: LeaseSpec;
}

/** `lily-deploy-<release>`, shortened with a stable hash when longer than 63 characters. */
export function leaseName(release: string): string {
  return boundedName(`lily-deploy-${release}`, '', MAX_LEASE_NAME);
}

/** Kubernetes' MicroTime, which Lease times must be: `2026-12-02T10:00:00.000000Z`. */
export function microTime(at: Date): string {
  return at.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** Who holds a lock: the run's URL, its attempt and job, and an id unique to the process. */
export function holderIdentity(run: {
  runUrl: string;
  attempt: string;
  job: string;
  id: string;
}): string {
  return `${run.runUrl}/attempts/${run.attempt} (job ${run.job}, ${run.id})`;
}

export interface LeaseManifestSpec {
  release: string;
  namespace: string;
  holder: string;
  /** When the holder took the lock (kept on a renewal). */
  acquiredAt: Date;
  renewedAt: Date;
  durationSeconds?: number;
  /** How many times the lock changed hands. */
  transitions?: number;
  /** The version read, so that a write over a changed Lease fails instead of winning a race. */
  resourceVersion?: string;
}

/** The Lease a run writes to take or renew the lock of a release. */
export function leaseManifest(spec: LeaseManifestSpec): object {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: {
      name: leaseName(spec.release),
      namespace: spec.namespace,
      labels: managedLabels(spec.release),
      ...(spec.resourceVersion ? { resourceVersion: spec.resourceVersion } : {}),
    },
    spec: {
      holderIdentity: spec.holder,
      leaseDurationSeconds: spec.durationSeconds ?? LEASE_DURATION_SECONDS,
      acquireTime: microTime(spec.acquiredAt),
      renewTime: microTime(spec.renewedAt),
      leaseTransitions: spec.transitions ?? 0,
    },
  };
}

/** What a run does about the lock of a release, given its Lease. */
export type LeaseDecision =
  /** No Lease, or one nobody holds. */
  | { kind: 'take' }
  /** Ours already. */
  | { kind: 'renew' }
  /** Held by another run that still renews it. */
  | {
      kind: 'wait';
      holder: string;
      /** The holder's own times (undefined when it wrote none that can be read): shown only. */
      heldSince?: Date;
      heldForMs?: number;
      renewedAgoMs?: number;
    }
  /** Held by a run that this run saw leave it unchanged for longer than its duration. */
  | { kind: 'take-over'; holder: string; renewedAt?: Date; unchangedForMs: number };

/**
 * A Lease as a waiting run last found it, and since when (on the waiter's
 * monotonic clock) it has found it so. The holder's renewTime is read on the
 * holder's clock, and two runners' clocks may be minutes apart: like
 * client-go's leader election, a waiter judges expiry only by how long it has
 * itself seen the same record, never by comparing renewTime with its own time.
 */
export interface LeaseSighting {
  record: string;
  sinceMs: number;
}

/** The sighting after reading `lease` at `atMs`: the previous one while the Lease is unchanged. */
export function sightLease(
  previous: LeaseSighting | undefined,
  lease: Lease | undefined,
  atMs: number,
): LeaseSighting {
  const record = JSON.stringify([lease?.metadata?.resourceVersion, lease?.spec]);
  return previous?.record === record ? previous : { record, sinceMs: atMs };
}

/**
 * Decides from the Lease as read (undefined: there is none) what the run `me`
 * does, given how long it has seen that Lease unchanged. `now` (the wall clock)
 * only words the wait.
 */
export function leaseDecision(
  lease: Lease | undefined,
  me: string,
  unchangedForMs: number,
  now: Date,
): LeaseDecision {
  const spec = lease?.spec;
  const holder = spec?.holderIdentity ?? '';
  if (holder === '') return { kind: 'take' };
  if (holder === me) return { kind: 'renew' };
  const renewedAt = timeOf(spec?.renewTime) ?? timeOf(spec?.acquireTime);
  if (unchangedForMs > durationSecondsOf(spec) * 1000)
    return { kind: 'take-over', holder, ...(renewedAt ? { renewedAt } : {}), unchangedForMs };
  if (!renewedAt) return { kind: 'wait', holder };
  const heldSince = timeOf(spec?.acquireTime) ?? renewedAt;
  return {
    kind: 'wait',
    holder,
    heldSince,
    heldForMs: Math.max(0, now.getTime() - heldSince.getTime()),
    renewedAgoMs: Math.max(0, now.getTime() - renewedAt.getTime()),
  };
}

/** The Lease's duration; ours when it has none that makes sense. */
export function durationSecondsOf(spec: LeaseSpec | undefined): number {
  const seconds = spec?.leaseDurationSeconds;
  return seconds !== undefined && seconds > 0 ? seconds : LEASE_DURATION_SECONDS;
}

function timeOf(text: string | undefined): Date | undefined {
  const ms = text ? Date.parse(text) : NaN;
  return Number.isNaN(ms) ? undefined : new Date(ms);
}

/** A time as people read it in a log: to the second, in UTC. */
function shownTime(at: Date): string {
  return at.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The line a waiting run prints each time it finds the lock still held. */
export function waitingLine(
  release: string,
  wait: Extract<LeaseDecision, { kind: 'wait' }>,
): string {
  const times = wait.heldSince
    ? ` since ${shownTime(wait.heldSince)} (for ${formatSpan(wait.heldForMs ?? 0)}, ` +
      `renewed ${Math.floor((wait.renewedAgoMs ?? 0) / 1000)} s ago)`
    : ' (no renewal time on it)';
  return `Waiting for the lock on release ${release}, held by ${wait.holder}${times} …`;
}

/** Why a run that waited lock-timeout for the lock fails. */
export function lockTimeoutMessage(release: string, holder: string, waitedMs: number): string {
  return (
    `The lock on release ${release} is held by ${holder}; gave up after waiting ` +
    `${formatSpan(waitedMs)} (lock-timeout). Let that run finish and run this one again, ` +
    'or raise lock-timeout.'
  );
}

/** Why a run that waited lock-timeout for a namespace being deleted to go fails. */
export function terminatingNamespaceMessage(
  release: string,
  namespace: string,
  waitedMs: number,
): string {
  return (
    `Namespace ${namespace} is being terminated (Terminating) and takes no new Lease; gave up on the lock on release ${release} ` +
    `after waiting ${formatSpan(waitedMs)} for it to go (lock-timeout). See what keeps it (kubectl get namespace ${namespace} -o yaml: ` +
    'its finalizers and conditions), or raise lock-timeout.'
  );
}

/** The warning of a run taking the lock over from a holder that stopped renewing it. */
export function takeOverWarning(
  release: string,
  takeOver: Extract<LeaseDecision, { kind: 'take-over' }>,
): string {
  const silence = takeOver.renewedAt
    ? `has not renewed it since ${shownTime(takeOver.renewedAt)}`
    : 'left no renewal time on it';
  return (
    `Taking over the lock on release ${release} from ${takeOver.holder}, which ${silence} ` +
    `(unchanged for ${formatSpan(takeOver.unchangedForMs)} as this run watched it, longer than the Lease's duration): ` +
    'that run is gone or stuck.'
  );
}

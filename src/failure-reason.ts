// The failure-reason output: every value it takes, and the error that carries
// one from where it is known to main, which sets the output. Every failed run
// says why: a deploy failure carries its reason; anything else is named by
// where it happened.

/** Found by the preflight, before helm changes anything. */
export type PreflightReason =
  'access-denied' | 'missing-crd' | 'missing-storage-class' | 'lily-config';

/** Lily's own failures, named from its log lines, events and API (lily/). */
export type LilyReason =
  | 'lily-database'
  | 'lily-schema'
  | 'lily-snapshot'
  | 'lily-disk'
  | 'lily-api'
  | 'lily-job'
  | 'lily-stalled';

/** Why a deploy failed: found beforehand, in the pods and events, or in what helm did. */
export type FailureReason =
  | PreflightReason
  | LilyReason
  | 'crash-loop'
  | 'oom-killed'
  | 'image-pull'
  | 'missing-secret'
  | 'provisioning-failed'
  | 'unschedulable'
  | 'volume-node-affinity'
  | 'unbound-pvc'
  | 'multi-attach'
  | 'timeout'
  | 'cancelled'
  | 'helm-error';

/** Why a run failed: a deploy's reason, or where the run stopped before it. */
export type RunFailureReason =
  | FailureReason
  | 'plan-mismatch'
  | 'bad-input'
  | 'helm-install'
  | 'cluster-unreachable'
  | 'lock-timeout'
  | 'lily-unhealthy'
  | 'error';

/** What a classifier found in a pod, with the reason it names. */
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

/** A failure whose reason is known where it is thrown. */
export class DeployError extends Error {
  constructor(
    readonly reason: RunFailureReason,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

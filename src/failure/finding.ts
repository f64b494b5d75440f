import type { FailureReason } from '../failure-reason.js';

// What the classifiers find in a pod, and what they judge it by.

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

// What the classifiers judge a pod by.

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

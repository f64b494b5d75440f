// What the classifiers judge a pod by.

export interface ClassifyOptions {
  namespace: string;
  /** A crash-looping container is fatal from this many restarts on. */
  restartThreshold: number;
  /** Multi-Attach, unbound-PVC and provisioning failures are fatal only after lasting this long. */
  graceMs: number;
  /** A pod the scheduler cannot place is fatal after this long without a scale-up. */
  unschedulableGraceMs: number;
  /** init-database with no answer from the database for this long is fatal (Lily retries silently). */
  databaseTimeoutMs: number;
  /** The same bound as given, for the finding's words. */
  databaseTimeout: string;
  now: number;
}

import * as core from '@actions/core';
import { DeployError } from '../failure-reason.js';
import { ApiError, type KubeApi, leasesPath } from '../kube/api.js';
import { saveHeldLocks } from '../state.js';
import { type Clock, systemClock } from './clock.js';
import {
  durationSecondsOf,
  type Lease,
  leaseDecision,
  leaseManifest,
  leaseName,
  type LeaseSighting,
  LEASE_DURATION_SECONDS,
  lockTimeoutMessage,
  sightLease,
  takeOverWarning,
  terminatingNamespaceMessage,
  waitingLine,
} from './lease.js';

// Taking, renewing and releasing the Lease of a release through the API
// client (see cluster-access.ts for why the API client writes it). Every
// write carries the resourceVersion read, so two runs never both win.

/** How often a held Lease is renewed: three times in its duration. */
const RENEW_EVERY_MS = (LEASE_DURATION_SECONDS * 1000) / 3;
/** How often a waiting run looks at the Lease again. */
const POLL_MS = 1_000;
/** How often a waiting run repeats the waiting line while the holder stays the same. */
const WAITING_LINE_EVERY_MS = 30_000;

/** What taking the lock came to. */
export type LockOutcome =
  /** This run holds it until release(). */
  | 'held'
  /** The namespace does not exist yet: take it again once it does. */
  | 'no-namespace'
  /** These credentials may not manage Leases: the run goes on unlocked (said as a warning). */
  | 'not-permitted';

/** A lock the main step held, saved so that the post step can release it if the main step died. */
export interface HeldLock {
  namespace: string;
  name: string;
  holder: string;
  /** The kubeconfig context the run used. */
  context?: string;
}

const held = new Map<string, HeldLock>();

function remember(lock: HeldLock | undefined, key: string): void {
  if (lock) held.set(key, lock);
  else held.delete(key);
  saveHeldLocks(JSON.stringify([...held.values()]));
}

/** Where a lock's lines go: the log, and annotations for what nobody may miss. */
export interface LockOutput {
  info(line: string): void;
  warning(message: string): void;
  error(message: string): void;
}

export interface LockSetup {
  api: () => Promise<KubeApi>;
  release: string;
  namespace: string;
  /** This run (see holderIdentity). */
  holder: string;
  /** The kubeconfig context the run uses. */
  context?: string;
  /** core's log and annotations unless given. */
  output?: Partial<LockOutput>;
  clock?: Clock;
}

export class ReleaseLock {
  private lease?: Lease;
  private stopRenewing?: AbortController;
  private renewing: Promise<void> = Promise.resolve();
  private readonly api: () => Promise<KubeApi>;
  private readonly releaseName: string;
  private readonly namespace: string;
  private readonly holder: string;
  private readonly context: string | undefined;
  private readonly name: string;
  private readonly say: LockOutput;
  private readonly clock: Clock;

  constructor(setup: LockSetup) {
    this.api = setup.api;
    this.releaseName = setup.release;
    this.namespace = setup.namespace;
    this.holder = setup.holder;
    this.context = setup.context;
    this.name = leaseName(setup.release);
    this.say = {
      info: core.info,
      warning: (message) => {
        core.warning(message);
      },
      error: (message) => {
        core.error(message);
      },
      ...setup.output,
    };
    this.clock = setup.clock ?? systemClock;
  }

  /**
   * The Lease's resourceVersion as this run last wrote it; undefined when the
   * lock is not held. Whatever a run that held the lock before wrote is older.
   */
  get heldVersion(): string | undefined {
    return this.lease?.metadata?.resourceVersion;
  }

  private get key(): string {
    return `${this.namespace}/${this.name}`;
  }

  /**
   * Takes the lock, waiting up to `timeoutMs` for another run to release it
   * (or to stop renewing it for longer than its duration, when it is taken
   * over), or for its namespace to finish terminating; fails with lock-timeout
   * naming what it waited for when that takes longer.
   */
  async take(timeoutMs: number): Promise<LockOutcome> {
    const { clock } = this;
    const startedAt = clock.monotonicMs();
    let said = { about: '', atMs: -Infinity };
    /**
     * Waits a poll for `about`, saying `line` when what the run waits for
     * changed and every WAITING_LINE_EVERY_MS; fails with `timedOut` once
     * lock-timeout has passed.
     */
    const waitFor = async (about: string, line: string, timedOut: (waitedMs: number) => string) => {
      const atMs = clock.monotonicMs();
      const waitedMs = atMs - startedAt;
      if (waitedMs >= timeoutMs) throw new DeployError('lock-timeout', timedOut(waitedMs));
      if (about !== said.about || atMs - said.atMs >= WAITING_LINE_EVERY_MS) {
        this.say.info(line);
        said = { about, atMs };
      }
      await clock.sleep(Math.min(POLL_MS, timeoutMs - waitedMs));
    };
    let seen: LeaseSighting | undefined;
    // First as if there were no Lease (a released lock is deleted): uncontended,
    // the lock costs one request; a Lease that is there makes the create fail.
    let current: Lease | undefined | 'not-permitted' = undefined;
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0) current = await this.read();
      if (current === 'not-permitted') return this.unlocked(current);
      seen = sightLease(seen, current, clock.monotonicMs());
      const decision = leaseDecision(
        current,
        this.holder,
        clock.monotonicMs() - seen.sinceMs,
        clock.now(),
      );
      if (decision.kind === 'wait') {
        await waitFor(decision.holder, waitingLine(this.releaseName, decision), (waitedMs) =>
          lockTimeoutMessage(this.releaseName, decision.holder, waitedMs),
        );
        continue;
      }
      if (decision.kind === 'take-over')
        this.say.warning(takeOverWarning(this.releaseName, decision));
      const written = await this.write(current, clock.now());
      if (written === 'conflict') continue; // Another run wrote it first: look again.
      if (written === 'terminating') {
        await waitFor(
          `namespace ${this.namespace}`,
          `Waiting for namespace ${this.namespace}, which is being terminated, to go before taking the lock on release ${this.releaseName} …`,
          (waitedMs) => terminatingNamespaceMessage(this.releaseName, this.namespace, waitedMs),
        );
        continue;
      }
      if (written !== 'held') return this.unlocked(written);
      this.say.info(
        `Took the lock on release ${this.releaseName} in ${Math.round(clock.monotonicMs() - startedAt)} ms (Lease ${this.key}, renewed every ${RENEW_EVERY_MS / 1000} s)`,
      );
      this.stopRenewing?.abort();
      this.stopRenewing = new AbortController();
      this.renewing = this.renewWhileHeld(this.stopRenewing.signal);
      return 'held';
    }
  }

  /** Gives the lock up (deletes the Lease, if it is still ours); nothing when not held. */
  async release(): Promise<void> {
    this.stopRenewing?.abort();
    await this.renewing;
    const version = this.lease?.metadata?.resourceVersion;
    if (!version) return;
    this.lease = undefined;
    const startedAt = this.clock.monotonicMs();
    try {
      if (await releaseLease(await this.api(), this.heldLock(), version))
        this.say.info(
          `Released the lock on release ${this.releaseName} in ${Math.round(this.clock.monotonicMs() - startedAt)} ms`,
        );
    } catch (err) {
      this.say.warning(
        `Could not release the lock on release ${this.releaseName} (Lease ${this.key}): ${(err as Error).message}. It expires ${LEASE_DURATION_SECONDS} s after its last renewal.`,
      );
    }
    remember(undefined, this.key);
  }

  private heldLock(): HeldLock {
    const { namespace, name, holder, context } = this;
    return { namespace, name, holder, ...(context ? { context } : {}) };
  }

  private async read(): Promise<Lease | undefined | 'not-permitted'> {
    try {
      return await (await this.api()).find<Lease>(leasePath(this.namespace, this.name));
    } catch (err) {
      if (err instanceof ApiError && err.status === 403) return 'not-permitted';
      throw err;
    }
  }

  /** Writes the Lease as held by this run from now on. */
  private async write(
    current: Lease | undefined,
    now: Date,
  ): Promise<'held' | 'conflict' | 'terminating' | Exclude<LockOutcome, 'held'>> {
    const ours = current?.spec?.holderIdentity === this.holder;
    const manifest = leaseManifest({
      release: this.releaseName,
      namespace: this.namespace,
      holder: this.holder,
      acquiredAt: ours && current.spec?.acquireTime ? new Date(current.spec.acquireTime) : now,
      renewedAt: now,
      transitions: (current?.spec?.leaseTransitions ?? 0) + (current && !ours ? 1 : 0),
      resourceVersion: current?.metadata?.resourceVersion,
    });
    try {
      const api = await this.api();
      this.lease = current
        ? await api.replaceLease<Lease>(this.namespace, this.name, manifest)
        : await api.createLease<Lease>(this.namespace, manifest);
      remember(this.heldLock(), this.key);
      return 'held';
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      if (err.status === 409) return 'conflict';
      if (err.status === 404) return 'no-namespace';
      // A namespace being deleted (an uninstall that just finished) refuses new
      // objects until it is gone: then it is a namespace that does not exist.
      if (err.status === 403 && /being terminated/.test(err.message)) return 'terminating';
      if (err.status === 403) return 'not-permitted';
      throw err;
    }
  }

  private unlocked(outcome: Exclude<LockOutcome, 'held'>): LockOutcome {
    if (outcome === 'not-permitted') {
      this.say.warning(
        `These credentials may not manage Leases in namespace ${this.namespace}: release ${this.releaseName} is changed without the lock, ` +
          'so another run may change it at the same time. Grant get, create, update and delete on leases.coordination.k8s.io there.',
      );
    }
    return outcome;
  }

  /**
   * Renews the Lease every RENEW_EVERY_MS until released or lost. One renewal
   * at a time: the next starts once the previous has finished, so that none
   * writes over the version another is about to replace (a slow reply would
   * otherwise make the next renewal's write fail as if the lock were taken).
   */
  private async renewWhileHeld(signal: AbortSignal): Promise<void> {
    let lastMs = this.clock.monotonicMs();
    while (this.lease && !signal.aborted) {
      const dueInMs = RENEW_EVERY_MS - (this.clock.monotonicMs() - lastMs);
      if (!(await this.clock.sleep(dueInMs, { signal, background: true }))) return;
      lastMs = this.clock.monotonicMs();
      await this.renew();
    }
  }

  /**
   * Moves renewTime on. A write refused because the Lease changed is looked
   * into: still this run's (an earlier renewal was written but its reply was
   * lost), it is written again over the version read; held by another run or
   * gone, the run is told loudly that it goes on without the lock.
   */
  private async renew(): Promise<void> {
    // Twice at most: a Lease that keeps changing under a holder that is still
    // us is written again at the next renewal.
    for (let tries = 0; tries < 2 && this.lease; tries++) {
      try {
        this.lease = await (
          await this.api()
        ).replaceLease<Lease>(this.namespace, this.name, this.renewalOf(this.lease));
        return;
      } catch (err) {
        if (!(err instanceof ApiError && (err.status === 409 || err.status === 404))) {
          // A missed renewal is retried at the next one; the Lease lasts three of them.
          core.debug(
            `Renewing the lock on release ${this.releaseName} failed: ${(err as Error).message}`,
          );
          return;
        }
      }
      let now: Lease | undefined | 'not-permitted';
      try {
        now = await this.read();
      } catch (err) {
        core.debug(
          `Reading the lock on release ${this.releaseName} after a refused renewal failed: ${(err as Error).message}`,
        );
        return;
      }
      if (now === 'not-permitted') return;
      if (now?.spec?.holderIdentity !== this.holder) {
        this.lost(now);
        return;
      }
      this.lease = now;
    }
  }

  /** The Lease `current` (this run's) with renewTime now. */
  private renewalOf(current: Lease): object {
    const spec = current.spec ?? {};
    return leaseManifest({
      release: this.releaseName,
      namespace: this.namespace,
      holder: this.holder,
      acquiredAt: spec.acquireTime ? new Date(spec.acquireTime) : this.clock.now(),
      renewedAt: this.clock.now(),
      durationSeconds: durationSecondsOf(spec),
      transitions: spec.leaseTransitions,
      resourceVersion: current.metadata?.resourceVersion,
    });
  }

  private lost(now: Lease | undefined): void {
    this.lease = undefined;
    remember(undefined, this.key);
    const where = now?.spec?.holderIdentity
      ? `Lease ${this.key} is now held by ${now.spec.holderIdentity}`
      : `Lease ${this.key} is gone`;
    this.say.error(
      `The lock on release ${this.releaseName} was taken from this run (${where}): this run goes on without it, ` +
        'and another run may change the release at the same time. Check the release once both runs are done.',
    );
  }
}

function leasePath(namespace: string, name: string): string {
  return `${leasesPath(namespace)}/${name}`;
}

/**
 * Deletes the Lease if `holder` still holds it. Given the version this run
 * last wrote, it is one request; otherwise (the post step) read first.
 */
export async function releaseLease(
  api: KubeApi,
  lock: HeldLock,
  resourceVersion?: string,
): Promise<boolean> {
  let version = resourceVersion;
  if (version === undefined) {
    const lease = await api.find<Lease>(leasePath(lock.namespace, lock.name));
    if (lease?.spec?.holderIdentity !== lock.holder) return false;
    version = lease.metadata?.resourceVersion ?? '';
  }
  try {
    await api.deleteLease(lock.namespace, lock.name, version);
    return true;
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    // Changed since this run last wrote it: read who holds it now.
    if (err.status === 409 && resourceVersion !== undefined) return releaseLease(api, lock);
    // Gone already (its namespace deleted by an uninstall), or no longer ours.
    if (err.status === 404 || err.status === 409) return false;
    throw err;
  }
}

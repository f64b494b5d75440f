import * as core from '@actions/core';
import { DeployError } from '../failure-reason.js';
import { ApiError, type KubeApi, leasesPath } from '../kube/api.js';
import { saveHeldLocks } from '../state.js';
import {
  durationSecondsOf,
  type Lease,
  leaseDecision,
  leaseManifest,
  leaseName,
  LEASE_DURATION_SECONDS,
  lockTimeoutMessage,
  takeOverWarning,
  waitingLine,
} from './lease.js';

// Taking, renewing and releasing the Lease of a release through the API
// client (see cluster-access.ts for why the API client writes it). Every
// write carries the resourceVersion read, so two runs never both win.

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

export class ReleaseLock {
  private lease?: Lease;
  private renewal?: NodeJS.Timeout;
  private renewing: Promise<void> = Promise.resolve();
  private readonly name: string;

  constructor(
    private readonly api: () => Promise<KubeApi>,
    private readonly releaseName: string,
    private readonly namespace: string,
    private readonly holder: string,
    private readonly context: string | undefined,
    private readonly log: (line: string) => void = core.info,
  ) {
    this.name = leaseName(releaseName);
  }

  private get key(): string {
    return `${this.namespace}/${this.name}`;
  }

  /**
   * Takes the lock, waiting up to `timeoutMs` for another run to release it
   * (or to stop renewing it for longer than its duration, when it is taken
   * over); fails naming the holder when that run keeps it longer.
   */
  async take(timeoutMs: number): Promise<LockOutcome> {
    const startedAt = Date.now();
    let said = { holder: '', at: 0 };
    // First as if there were no Lease (a released lock is deleted): uncontended,
    // the lock costs one request; a Lease that is there makes the create fail.
    let current: Lease | undefined | 'not-permitted' = undefined;
    for (let attempt = 0; ; attempt++) {
      const now = new Date();
      if (attempt > 0) current = await this.read();
      if (current === 'not-permitted') return this.unlocked(current);
      const decision = leaseDecision(current, this.holder, now);
      if (decision.kind === 'wait') {
        const waitedMs = now.getTime() - startedAt;
        if (waitedMs >= timeoutMs) {
          throw new DeployError(
            'lock-timeout',
            lockTimeoutMessage(this.releaseName, decision.holder, waitedMs),
          );
        }
        if (decision.holder !== said.holder || now.getTime() - said.at >= WAITING_LINE_EVERY_MS) {
          this.log(waitingLine(this.releaseName, decision));
          said = { holder: decision.holder, at: now.getTime() };
        }
        await sleep(Math.min(POLL_MS, timeoutMs - waitedMs));
        continue;
      }
      if (decision.kind === 'take-over') core.warning(takeOverWarning(this.releaseName, decision));
      const written = await this.write(current, now);
      if (written === 'conflict') continue; // Another run wrote it first: look again.
      if (written !== 'held') return this.unlocked(written);
      this.log(
        `Took the lock on release ${this.releaseName} in ${Date.now() - startedAt} ms (Lease ${this.key}, renewed every ${LEASE_DURATION_SECONDS / 3} s)`,
      );
      this.renewal = setInterval(
        () => {
          this.renewing = this.renew();
        },
        (LEASE_DURATION_SECONDS * 1000) / 3,
      );
      this.renewal.unref();
      return 'held';
    }
  }

  /** Gives the lock up (deletes the Lease, if it is still ours); nothing when not held. */
  async release(): Promise<void> {
    clearInterval(this.renewal);
    this.renewal = undefined;
    await this.renewing;
    const version = this.lease?.metadata?.resourceVersion;
    if (!version) return;
    this.lease = undefined;
    const startedAt = Date.now();
    try {
      if (await releaseLease(await this.api(), this.heldLock(), version))
        this.log(
          `Released the lock on release ${this.releaseName} in ${Date.now() - startedAt} ms`,
        );
    } catch (err) {
      core.warning(
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
  ): Promise<'held' | 'conflict' | Exclude<LockOutcome, 'held'>> {
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
      if (err.status === 403 && /being terminated/.test(err.message)) {
        await sleep(POLL_MS);
        return 'conflict';
      }
      if (err.status === 403) return 'not-permitted';
      throw err;
    }
  }

  private unlocked(outcome: Exclude<LockOutcome, 'held'>): LockOutcome {
    if (outcome === 'not-permitted') {
      core.warning(
        `These credentials may not manage Leases in namespace ${this.namespace}: release ${this.releaseName} is changed without the lock, ` +
          'so another run may change it at the same time. Grant get, create, update and delete on leases.coordination.k8s.io there.',
      );
    }
    return outcome;
  }

  /** Moves renewTime on; a write refused because the Lease changed means another run took it over. */
  private async renew(): Promise<void> {
    const current = this.lease;
    if (!current?.spec) return;
    try {
      this.lease = await (
        await this.api()
      ).replaceLease<Lease>(
        this.namespace,
        this.name,
        leaseManifest({
          release: this.releaseName,
          namespace: this.namespace,
          holder: this.holder,
          acquiredAt: new Date(current.spec.acquireTime ?? Date.now()),
          renewedAt: new Date(),
          durationSeconds: durationSecondsOf(current.spec),
          transitions: current.spec.leaseTransitions,
          resourceVersion: current.metadata?.resourceVersion,
        }),
      );
    } catch (err) {
      if (err instanceof ApiError && (err.status === 409 || err.status === 404)) {
        clearInterval(this.renewal);
        this.lease = undefined;
        core.warning(
          `The lock on release ${this.releaseName} was taken from this run (Lease ${this.key} changed or went away): another run may now change the release too.`,
        );
        return;
      }
      // A missed renewal is retried at the next tick; the Lease lasts three of them.
      core.debug(
        `Renewing the lock on release ${this.releaseName} failed: ${(err as Error).message}`,
      );
    }
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

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

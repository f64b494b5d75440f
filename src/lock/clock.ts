import { setTimeout as delay } from 'node:timers/promises';

/**
 * The time a lock goes by, given to it so that tests can move it. Two clocks:
 * the wall clock only for what is written into the Lease and shown, the
 * monotonic one for every span this run measures (a step of the wall clock
 * must neither expire a Lease nor stretch a wait).
 */
export interface Clock {
  /** Wall-clock time. */
  now(): Date;
  /** Milliseconds on a monotonic clock, from an arbitrary origin. */
  monotonicMs(): number;
  /**
   * Resolves true after `ms`, or false as soon as `signal` aborts.
   * A `background` sleep does not keep the process alive.
   */
  sleep(ms: number, options?: { signal?: AbortSignal; background?: boolean }): Promise<boolean>;
}

export const systemClock: Clock = {
  now: () => new Date(),
  monotonicMs: () => performance.now(),
  sleep: (ms, options = {}) =>
    delay(Math.max(0, ms), true, { signal: options.signal, ref: !options.background }).catch(
      (err: unknown) => {
        if (options.signal?.aborted) return false;
        throw err;
      },
    ),
};

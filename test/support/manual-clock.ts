// A Clock (src/lock/clock.ts) whose time moves only when the test moves it:
// no test waits for real time, so none depends on how loaded the machine is.
import { EventEmitter } from 'node:events';
import type { Clock } from '../../src/lock/clock.js';

interface Sleeper {
  dueMs: number;
  background: boolean;
  wake: (woken: boolean) => void;
}

export class ManualClock implements Clock {
  private nowMs = 0;
  private sleepers: Sleeper[] = [];
  private readonly events = new EventEmitter();

  /** `wall` is what now() says at monotonic time 0. */
  constructor(private readonly wall: Date) {}

  now(): Date {
    return new Date(this.wall.getTime() + this.nowMs);
  }

  monotonicMs(): number {
    return this.nowMs;
  }

  sleep(
    ms: number,
    options: { signal?: AbortSignal; background?: boolean } = {},
  ): Promise<boolean> {
    const { signal, background = false } = options;
    if (signal?.aborted) return Promise.resolve(false);
    if (ms <= 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const sleeper: Sleeper = { dueMs: this.nowMs + ms, background, wake: resolve };
      signal?.addEventListener(
        'abort',
        () => {
          this.sleepers = this.sleepers.filter((s) => s !== sleeper);
          resolve(false);
        },
        { once: true },
      );
      this.sleepers.push(sleeper);
      this.events.emit('sleep');
    });
  }

  /** Moves time on by `ms`, waking every sleep due by then. */
  advance(ms: number): void {
    this.nowMs += ms;
    const due = this.sleepers.filter((s) => s.dueMs <= this.nowMs);
    this.sleepers = this.sleepers.filter((s) => s.dueMs > this.nowMs);
    for (const sleeper of due) sleeper.wake(true);
  }

  /**
   * Runs `work` to its end in virtual time: each time it sleeps (background
   * sleeps aside), time jumps to when the sleep ends.
   */
  async runToEnd<T>(work: Promise<T>): Promise<T> {
    const settled = work.then(
      () => true,
      () => true,
    );
    while (!(await Promise.race([settled, this.foregroundSleep().then(() => false)]))) {
      const next = Math.min(...this.foreground().map((s) => s.dueMs));
      this.advance(next - this.nowMs);
    }
    return work;
  }

  private foreground(): Sleeper[] {
    return this.sleepers.filter((s) => !s.background);
  }

  /** Resolves once something sleeps in the foreground (at once if something does). */
  private foregroundSleep(): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (this.foreground().length === 0) return;
        this.events.off('sleep', check);
        resolve();
      };
      this.events.on('sleep', check);
      check();
    });
  }
}

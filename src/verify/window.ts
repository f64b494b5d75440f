import { setTimeout as sleep } from 'node:timers/promises';
import type { Finding } from '../failure-reason.js';
import type { PodReport } from '../failure/report.js';

// The verify window: after helm's wait passed, checks watch the release for a
// while, and the first fatal finding fails the deploy. A check takes its
// baseline when the window opens, judges each observation against it (pure),
// and reads the evidence of a failure at once (before it is gone). Reading
// only: what to do about a failed window is decided by the deploy.

/** One thing the window watches, such as "Lily's pods stay up". */
export interface VerifyCheck {
  /** Reads the baseline, when the window opens. */
  start(): Promise<RunningCheck>;
  /** How often it observes, when not the window's pollMs. */
  pollMs?: number;
}

/** A check watching, against the baseline it took. */
export interface RunningCheck {
  /**
   * Observes once and judges against the baseline: a fatal finding fails the
   * window. `closing`: the observation that closes it, where what must have
   * happened within the window is judged.
   */
  poll(closing: boolean): Promise<Finding[]>;
  /** How it stands, in one line, for the progress log. */
  progress(): string;
  /** Read at once after poll failed the window: what shows why, before it is gone. */
  evidence(findings: Finding[]): Promise<Evidence>;
  /** What it verified, once the window closed without a fatal finding. */
  verified(window: string): string;
}

export interface Evidence {
  /** Printed at once, under the findings (the crashed run's last lines). */
  lines: string[];
  /** The pods as they were then, for the diagnostics. */
  pods: PodReport[];
}

export interface WindowOptions {
  /** The window as given, for the log. */
  window: string;
  windowMs: number;
  pollMs: number;
  /** A progress line at least this often. */
  progressMs: number;
  log: (line: string) => void;
  signal?: AbortSignal;
}

export type WindowResult =
  | { passed: true; verified: string[] }
  | { passed: false; findings: Finding[]; evidence: Evidence; afterMs: number };

/**
 * Runs the checks for the window: polls each until the window closes or one
 * finds something fatal. A poll that fails to read is said once per distinct
 * error and tried again; the observation closing the window must succeed, or
 * nothing was verified and this throws.
 */
export async function runVerifyWindow(
  checks: VerifyCheck[],
  options: WindowOptions,
): Promise<WindowResult> {
  const running = await Promise.all(checks.map((check) => check.start()));
  // Each check every `stride` rounds of the fastest one's interval.
  const tick = Math.min(options.pollMs, ...checks.map((check) => check.pollMs ?? options.pollMs));
  const stride = checks.map((check) =>
    Math.max(1, Math.round((check.pollMs ?? options.pollMs) / tick)),
  );
  let round = 0;
  const opened = Date.now();
  let lastProgress = opened;
  let lastError: string | undefined;
  for (;;) {
    const closing = Date.now() - opened >= options.windowMs;
    let failed: readonly [RunningCheck, Finding[]] | undefined;
    try {
      const polling = running.flatMap((check, i) =>
        closing || round % (stride[i] ?? 1) === 0
          ? [check.poll(closing).then((findings) => [check, findings] as const)]
          : [],
      );
      round++;
      failed = await firstFatal(polling);
      lastError = undefined;
    } catch (err) {
      const message = (err as Error).message;
      if (closing)
        throw new Error(
          `Could not verify the release at the end of the verify window: ${message}`,
          {
            cause: err,
          },
        );
      if (message !== lastError)
        options.log(`Verifying: reading the release failed (tried again): ${message}`);
      lastError = message;
    }
    if (failed) {
      const [check, findings] = failed;
      return {
        passed: false,
        findings,
        evidence: await check.evidence(findings),
        afterMs: Date.now() - opened,
      };
    }
    if (closing) return { passed: true, verified: running.map((c) => c.verified(options.window)) };
    const now = Date.now();
    if (now - lastProgress >= options.progressMs) {
      lastProgress = now;
      options.log(
        `Verifying (${Math.round((now - opened) / 1000)}s of ${options.window}): ${running.map((c) => c.progress()).join('; ')}`,
      );
    }
    const left = opened + options.windowMs - now;
    await sleep(Math.max(0, Math.min(tick, left)), undefined, { signal: options.signal });
  }
}

/**
 * The first poll with a fatal finding, as soon as it is in; undefined once
 * every poll is in without one. A slow check (Lily's API, up to its call
 * timeout) must not hold up a crash another check saw: the kubelet removes a
 * crashed run's log within seconds, when it starts the next run.
 */
function firstFatal(
  polls: Promise<readonly [RunningCheck, Finding[]]>[],
): Promise<readonly [RunningCheck, Finding[]] | undefined> {
  return new Promise((resolve, reject) => {
    for (const poll of polls) {
      poll.then((polled) => {
        if (polled[1].some((f) => f.fatal)) resolve(polled);
      }, reject);
    }
    Promise.all(polls).then(() => {
      resolve(undefined);
    }, reject);
  });
}

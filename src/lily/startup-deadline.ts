import { leastAdvanced, type PhaseReading } from './startup-phase.js';

// The deadlines that follow a Lily start-up's progress: `timeout` for
// whatever is not a progressing Lily start-up, `stall-timeout` for a start-up
// whose progress marker stopped, `startup-timeout` for the whole. Pure: the
// tracker is fed readings and the time, and decides.

export interface Deadlines {
  /** The `timeout` input: for everything that is not a progressing Lily start-up. */
  timeoutMs: number;
  timeout: string;
  /** A start-up whose progress marker has not advanced for this long has stalled. */
  stallMs: number;
  stall: string;
  /** No start-up, however it progresses, goes on past this. */
  startupMs: number;
  startup: string;
}

/** One pod as the deploy sees it in a poll. */
export interface PodSeen {
  name: string;
  ready: boolean;
  /** Undefined for a pod that is not Lily's. */
  reading?: PhaseReading;
  /** The log tail of the container the phase is read from, for a stall's report. */
  logTail?: string[];
}

/** A Lily pod's start-up as tracked across polls. */
export interface PodStartup {
  name: string;
  ready: boolean;
  reading: PhaseReading;
  /** When its progress marker last changed (or it was first seen). */
  advancedAt: number;
  /** When the deploy first saw it. */
  firstSeenAt: number;
  /** When its current phase was first seen, with the reading then: the base of an estimate. */
  phaseSince: { at: number; reading: PhaseReading };
  logTail: string[];
}

export type Verdict =
  { kind: 'wait' } | { kind: 'stalled'; pods: PodStartup[] } | { kind: 'timeout'; why: string };

export class StartupTracker {
  private readonly pods = new Map<string, PodStartup>();
  private others: PodSeen[] = [];
  /** When an unready Lily pod last progressed: what helm waits for after it gets timeout again. */
  private lastStartingAt: number;

  constructor(
    private readonly deadlines: Deadlines,
    private readonly startedAt: number,
  ) {
    this.lastStartingAt = startedAt;
  }

  /** Records a poll's pods. */
  see(pods: PodSeen[], now: number): void {
    this.others = pods.filter((p) => !p.reading);
    const names = new Set<string>();
    for (const p of pods) {
      if (!p.reading) continue;
      names.add(p.name);
      const before = this.pods.get(p.name);
      // A new phase is progress too, with or without a marker to follow in it.
      const advanced =
        !before ||
        p.reading.marker !== before.reading.marker ||
        p.reading.step !== before.reading.step;
      const samePhase = before && before.reading.step === p.reading.step;
      this.pods.set(p.name, {
        name: p.name,
        ready: p.ready,
        reading: p.reading,
        firstSeenAt: before?.firstSeenAt ?? now,
        advancedAt: advanced ? now : before.advancedAt,
        phaseSince: samePhase ? before.phaseSince : { at: now, reading: p.reading },
        logTail: p.logTail ?? [],
      });
    }
    for (const name of this.pods.keys()) if (!names.has(name)) this.pods.delete(name);
    if (this.startups().some((p) => !p.ready && this.progressing(p, now)))
      this.lastStartingAt = now;
  }

  /** The Lily pods as last seen. */
  startups(): PodStartup[] {
    return [...this.pods.values()];
  }

  /** The least advanced Lily pod's phase (the output lily-phase); '' without Lily pods. */
  leastPhase(): string {
    return leastAdvanced(this.startups().map((p) => p.reading))?.phase ?? '';
  }

  /**
   * Is this start-up advancing: its marker (or its phase, where nothing shows
   * more) changed within stall-timeout?
   */
  progressing(p: PodStartup, now: number): boolean {
    if (p.reading.phase === 'pending' || p.reading.stopped) return false;
    return now - p.advancedAt < this.deadlines.stallMs;
  }

  /** Go on waiting, or fail now (a stall, or a deadline passed). */
  decide(now: number): Verdict {
    const { deadlines } = this;
    const unready = this.startups().filter((p) => !p.ready);
    const stalled = unready.filter(
      (p) =>
        p.reading.marker !== undefined &&
        !p.reading.stopped &&
        p.reading.phase !== 'indexing' &&
        now - p.advancedAt >= deadlines.stallMs,
    );
    if (stalled.length > 0) return { kind: 'stalled', pods: stalled };
    const elapsed = now - this.startedAt;
    if (elapsed >= deadlines.startupMs)
      return {
        kind: 'timeout',
        why: `startup-timeout ${deadlines.startup} passed while Lily was still starting: ${unready.map((p) => `${p.name} ${p.reading.phase}`).join(', ') || 'no pod unready'}`,
      };
    if (elapsed < deadlines.timeoutMs) return { kind: 'wait' };
    const reasons = [
      ...this.others.filter((p) => !p.ready).map((p) => `${p.name} is not Ready and is not Lily's`),
      ...unready
        .filter((p) => !this.progressing(p, now))
        .map((p) =>
          p.reading.stopped
            ? `${p.name} (${p.reading.phase}): ${p.reading.container ?? 'its container'} is not running (${p.reading.stopped})`
            : `${p.name} (${p.reading.phase}) shows no progress to follow`,
        ),
    ];
    // Every pod Ready, helm still waiting (on something that is not a pod):
    // that wait gets timeout from the end of the last Lily start-up.
    const waitedSinceStartup = now - this.lastStartingAt;
    if (unready.length === 0 && reasons.length === 0 && waitedSinceStartup >= deadlines.timeoutMs)
      reasons.push(
        this.lastStartingAt === this.startedAt
          ? 'no Lily pod is starting up'
          : `every pod is Ready, and helm has waited ${deadlines.timeout} since the last Lily start-up progressed`,
      );
    if (reasons.length === 0) return { kind: 'wait' };
    return {
      kind: 'timeout',
      why: `timeout ${deadlines.timeout} passed and the deploy is not a progressing Lily start-up: ${reasons.join('; ')}`,
    };
  }

  /** Is every Lily pod scheduled, its start-up advancing (or done)? (wait-for: started) */
  allStarted(now: number): boolean {
    const pods = this.startups();
    return (
      pods.length > 0 &&
      pods.every((p) => p.ready || (this.progressing(p, now) && p.advancedAt > p.firstSeenAt))
    );
  }
}

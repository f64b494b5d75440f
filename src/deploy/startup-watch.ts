import * as core from '@actions/core';
import type { Finding } from '../failure-reason.js';
import { isRemovedContainerAnswer } from '../failure/report.js';
import { printForeign } from '../foreign-text.js';
import { formatSpan } from '../inputs/duration.js';
import type { KubeApi } from '../kube/api.js';
import { isReady } from '../kube/pod-status.js';
import { lilyApiOfPod } from '../lily/api.js';
import type { Pod } from '../kube/types.js';
import {
  type Deadlines,
  type PodSeen,
  type PodStartup,
  StartupTracker,
  type Verdict,
} from '../lily/startup-deadline.js';
import {
  type ApiView,
  currentInitContainer,
  estimateLeftMs,
  inPostStartHook,
  isLilyPod,
  logTail,
  namePhase,
} from '../lily/startup-phase.js';
import { escapeCell } from '../markdown.js';
import type { Settings } from '../settings.js';

// Reads a Lily start-up while the deploy waits: the log tail of the init
// container that runs (limited in bytes: `sync wait` redraws its block four
// times a second for hours), or, while the daemon's postStart hook runs,
// Lily's read-only API through the pod's proxy. Only pods that are not Ready.

const LOG_TAIL_LINES = 40;
const LOG_TAIL_BYTES = 64 * 1024;
/** The longest piece of a line a container runtime logs (containerd's and CRI-O's default). */
const LOG_PIECE_BYTES = 16 * 1024;
/** Pieces read when the tail filled the byte limit: within it, with the newest. */
const LOG_PIECES = 2;
/** Log lines shown with a stall. */
const STALL_TAIL_LINES = 20;

/** The deadlines the settings give a Lily start-up. */
export function startupDeadlines(settings: Settings): Deadlines {
  const { startup } = settings;
  return {
    timeout: settings.timeout,
    timeoutMs: startup.timeoutMs,
    stall: startup.stallTimeout,
    stallMs: startup.stallTimeoutMs,
    startup: startup.startupTimeout,
    startupMs: startup.startupTimeoutMs,
  };
}

/** Watches the release's Lily pods' start-up; the monitor polls it. */
export class StartupWatch {
  private readonly tracker: StartupTracker;
  private readonly shownPhase = new Map<string, string>();
  private lastTable = 0;

  constructor(
    private readonly api: KubeApi,
    private readonly namespace: string,
    private readonly deadlines: Deadlines,
    private readonly startedAt: number,
    private readonly redact: (text: string) => string,
    private readonly progressMs: number,
  ) {
    this.tracker = new StartupTracker(deadlines, startedAt);
  }

  /** Reads the pods' start-up, prints what changed (and every pod each progressMs), and decides. */
  async poll(pods: Pod[], now: number): Promise<Verdict> {
    this.tracker.see(await Promise.all(pods.map((pod) => this.read(pod))), now);
    this.print(now);
    return this.tracker.decide(now);
  }

  /** Is every Lily pod scheduled and its start-up advancing (wait-for: started)? */
  allStarted(now: number): boolean {
    return this.tracker.allStarted(now);
  }

  /** The least advanced Lily pod's phase; '' when the release has none. */
  leastPhase(): string {
    return this.tracker.leastPhase();
  }

  /** The findings a verdict fails the deploy with; the stalled container's log tail is printed. */
  findings(verdict: Exclude<Verdict, { kind: 'wait' }>, now: number): Finding[] {
    if (verdict.kind === 'timeout')
      return [
        {
          reason: 'timeout',
          pod: '',
          fatal: true,
          summary: verdict.why,
          remedy:
            'Find what is not Ready in the diagnostics below; raise timeout only for what is not a Lily start-up ' +
            '(a progressing Lily start-up goes on up to startup-timeout).',
        },
      ];
    return verdict.pods.map((p) => {
      if (p.logTail.length > 0)
        printForeign(
          `--- last lines of ${p.reading.container ?? 'the container'} of ${p.name}, stalled in ${p.reading.phase}:\n${p.logTail.join('\n')}`,
        );
      return stallFinding(p, now, this.deadlines.stall);
    });
  }

  /** The phase table of the job summary (Markdown lines); none without Lily pods. */
  summary(now: number, title: string): string[] {
    const pods = this.tracker.startups();
    if (pods.length === 0) return [];
    return [
      `#### ${title}`,
      '',
      '| Pod | Phase | Progress |',
      '|---|---|---|',
      ...pods.map(
        (p) => `| ${escapeCell(p.name)} | ${p.reading.phase} | ${escapeCell(describe(p, now))} |`,
      ),
      '',
    ];
  }

  private print(now: number): void {
    const pods = this.tracker.startups();
    const changed = pods.filter((p) => this.shownPhase.get(p.name) !== p.reading.phase);
    const due = now - this.lastTable >= this.progressMs;
    const shown = due ? pods : changed;
    if (shown.length === 0) return;
    if (due) this.lastTable = now;
    for (const p of pods) this.shownPhase.set(p.name, p.reading.phase);
    core.info(
      `Lily start-up (${formatSpan(now - this.startedAt)}):\n${shown.map((p) => `  ${p.name}  ${p.reading.phase}: ${describe(p, now)}`).join('\n')}`,
    );
  }

  private async read(pod: Pod): Promise<PodSeen> {
    const name = pod.metadata.name;
    const ready = isReady(pod);
    if (!isLilyPod(pod)) return { name, ready };
    if (ready) return { name, ready, reading: namePhase({ pod }) };
    const init = currentInitContainer(pod);
    if (init && (init.state?.running ?? init.state?.terminated)) {
      const text = this.redact(await this.log(name, init.name));
      return {
        name,
        ready,
        reading: namePhase({ pod, log: { container: init.name, text } }),
        logTail: logTail(text, STALL_TAIL_LINES),
      };
    }
    const api = inPostStartHook(pod) ? await this.askApi(name) : undefined;
    return { name, ready, reading: namePhase({ pod, api }) };
  }

  private async log(pod: string, container: string): Promise<string> {
    try {
      const tail = await this.tail(pod, container, LOG_TAIL_LINES);
      // A run the kubelet is pruning shows nothing; the next poll reads its successor.
      if (isRemovedContainerAnswer(tail)) return '';
      // limitBytes keeps the start of the tail: the import's bar (no newline)
      // reaches the log in 16 KiB pieces, and a few of them fill the limit with
      // old counts. Then only the last pieces, which hold the newest count.
      if (Buffer.byteLength(tail) < LOG_TAIL_BYTES - LOG_PIECE_BYTES) return tail;
      return await this.tail(pod, container, LOG_PIECES);
    } catch {
      return ''; // the next poll reads again; an unread log shows no progress
    }
  }

  private tail(pod: string, container: string, lines: number): Promise<string> {
    const query = `container=${encodeURIComponent(container)}&tailLines=${lines}&limitBytes=${LOG_TAIL_BYTES}`;
    return this.api.text(`/api/v1/namespaces/${this.namespace}/pods/${pod}/log?${query}`);
  }

  /** Lily's API through the pod's proxy, with the read-only client. */
  private async askApi(pod: string): Promise<ApiView> {
    const lily = lilyApiOfPod(this.api, this.namespace, pod);
    try {
      const [sync, head, jobs] = await Promise.all([
        lily.syncState(),
        lily.chainHead(),
        lily.jobs(),
      ]);
      const active = (sync.ActiveSyncs ?? []).filter((s) => s.Stage !== 0 && s.Stage !== 4);
      const worker = active.at(-1);
      return {
        answered: true,
        head: head.Height,
        jobs: jobs.length,
        syncing: worker && {
          height: worker.Height,
          target: worker.Target?.Height ?? worker.Height,
          stage: SYNC_STAGES[worker.Stage] ?? `stage ${worker.Stage}`,
        },
      };
    } catch {
      return { answered: false };
    }
  }
}

// lotus api.SyncStateStage, as `sync wait` names them.
const SYNC_STAGES = [
  'idle',
  'header sync',
  'persisting headers',
  'message sync',
  'complete',
  'error',
  'fetching messages',
];

/** What a pod does, how long it has done it, and an estimate when the rate allows. */
function describe(p: PodStartup, now: number): string {
  const left = estimateLeftMs(p.phaseSince, { at: now, reading: p.reading });
  const estimate = left === undefined ? '' : `, about ${formatSpan(left)} left at this rate`;
  return `${p.reading.progress}; ${formatSpan(now - p.phaseSince.at)} in this phase${estimate}`;
}

// What usually holds each phase, for a stall's remedy.
const STALL_REMEDIES: Record<string, string> = {
  'importing-snapshot':
    'The snapshot download or import stopped: check importSnapshot.url (the FilOps default is retired), egress, and the datastore volume (volumes.datastore) for space.',
  'syncing-chain':
    'The chain sync stopped advancing: check the pod’s egress to Filecoin peers (port 1347) and its memory; the daemon’s lines above the sync block say why.',
  'checking-database':
    'lily migrate did not answer: Lily retries a database connection silently for about 15 minutes; check the URL in the storage Secret, the password, sslmode and the network path to Postgres.',
  'waiting-for-api':
    'Lily’s API did not come up: the daemon may still be opening a large datastore or have died; raise apiWaitTimeout or read the daemon’s lines.',
  settling:
    'The chain head stopped advancing while the datastore settled: check the pod’s egress to Filecoin peers.',
  'starting-jobs':
    'The jobs stopped starting: read the daemon’s log and `lily job list` in the pod.',
};

function stallFinding(p: PodStartup, now: number, stall: string): Finding {
  return {
    reason: 'lily-stalled',
    pod: p.name,
    container: p.reading.container,
    fatal: true,
    summary:
      `Lily pod ${p.name} stalled in ${p.reading.phase}: no progress for ${formatSpan(now - p.advancedAt)} ` +
      `(stall-timeout ${stall}); last progress seen: ${p.reading.progress}`,
    remedy:
      STALL_REMEDIES[p.reading.phase] ??
      'Read the container’s log tail above; raise stall-timeout if this phase is slow but alive.',
  };
}

import type { ContainerStatus, Pod } from '../kube/types.js';

// A Lily pod's start-up, named from what the chart's containers show
// (shared/lily-runtime.md §1.2, §1.3): the init container that runs and the
// markers in its log, then, while the daemon's postStart hook runs (its output
// never reaches `kubectl logs`), what Lily's read-only API says. Pure: the
// reading is the deploy's.

/** The start-up phases, in the order a pod goes through them. */
export const STARTUP_PHASES = [
  'pending',
  'importing-snapshot',
  'syncing-chain',
  'checking-database',
  'waiting-for-api',
  'settling',
  'starting-jobs',
  'indexing',
] as const;
export type StartupPhase = (typeof STARTUP_PHASES)[number];

/** What Lily's API answered about a daemon whose postStart hook runs. */
export type ApiView =
  | { answered: false }
  | {
      answered: true;
      /** Set while a sync is behind its target. */
      syncing?: { height: number; target: number; stage: string };
      head: number;
      jobs: number;
    };

/** What was read of one pod. */
export interface PodEvidence {
  pod: Pod;
  /** The log tail of the init container that runs now. */
  log?: { container: string; text: string };
  /** Lily's API, asked only while the daemon's postStart hook runs. */
  api?: ApiView;
}

/** A pod's phase and how far it is in it. */
export interface PhaseReading {
  phase: StartupPhase;
  /** Where in the chart's sequence: a later step is further on (the same phase can come twice). */
  step: number;
  /** The container the phase is read from. */
  container?: string;
  /** What the pod is doing, for a person: `height 1234 of 1300 (66 epochs to go)`. */
  progress: string;
  /** Changes whenever the start-up advances; undefined when nothing shows whether it does. */
  marker?: string;
  /** Counted progress, for an estimate of the time left. */
  amount?: { done: number; total: number; unit: 'epochs' | 'percent' };
  /**
   * Why the container is not running: it exited, waits to restart, or (the
   * pod's first container) has not started yet, which is Kubernetes' part
   * (scheduling, volumes, image) under timeout. Not a start-up that progresses.
   */
  stopped?: string;
}

// The chart's init containers, in order, and the daemon (main) container.
const INIT_CONTAINERS = ['init-datastore', 'init-sync', 'init-database', 'init-redis'];
const DAEMON = 'daemon';

/** Is this pod one of the Lily chart's (a daemon container after its init containers)? */
export function isLilyPod(pod: Pod): boolean {
  return (pod.spec?.containers ?? []).some((c) => c.name === DAEMON);
}

/**
 * The init container a Lily pod runs now (or is about to run): its logs hold
 * the phase markers. Undefined once every init container completed.
 */
export function currentInitContainer(pod: Pod): ContainerStatus | undefined {
  return (pod.status?.initContainerStatuses ?? []).find((s) => s.state?.terminated?.exitCode !== 0);
}

/** Is the pod's daemon container started, with its postStart hook still running? */
export function inPostStartHook(pod: Pod): boolean {
  if (pod.status?.initContainerStatuses?.length && currentInitContainer(pod)) return false;
  const daemon = pod.status?.containerStatuses?.find((s) => s.name === DAEMON);
  return Boolean(pod.spec?.nodeName) && !daemon?.state?.running && !daemon?.state?.terminated;
}

/** The phase of a Lily pod, from its container statuses, the running init container's log and the API. */
export function namePhase(evidence: PodEvidence): PhaseReading {
  const { pod } = evidence;
  if (!pod.spec?.nodeName) return { phase: 'pending', step: 0, progress: 'not scheduled yet' };
  const init = currentInitContainer(pod);
  if (init)
    return withStopped(
      initPhase(init, evidence.log?.container === init.name ? evidence.log.text : ''),
      init,
      init === pod.status?.initContainerStatuses?.[0],
    );
  const daemon = pod.status?.containerStatuses?.find((s) => s.name === DAEMON);
  const daemonStopped = daemon && stoppedWhy(daemon);
  if (daemonStopped)
    return {
      phase: 'waiting-for-api',
      step: 5,
      container: DAEMON,
      progress: `the daemon container is not running (${daemonStopped})`,
      stopped: daemonStopped,
    };
  if (daemon?.state?.running) {
    return {
      phase: 'indexing',
      step: 9,
      container: DAEMON,
      progress: daemon.ready ? 'running and Ready' : 'running',
      marker: 'indexing',
    };
  }
  return hookPhase(evidence.api);
}

// A container that is about to run, as opposed to one that failed and waits to run again.
const ABOUT_TO_RUN = ['PodInitializing', 'ContainerCreating'];

/** Why a container is neither running nor about to run (it exited, or waits to restart); undefined otherwise. */
function stoppedWhy(status: ContainerStatus): string | undefined {
  const { waiting, terminated } = status.state ?? {};
  if (terminated && terminated.exitCode !== 0)
    return `${terminated.reason ?? 'exited'}, exit code ${terminated.exitCode ?? '?'}`;
  if (waiting?.reason && !ABOUT_TO_RUN.includes(waiting.reason)) return waiting.reason;
  return undefined;
}

function withStopped(reading: PhaseReading, status: ContainerStatus, first: boolean): PhaseReading {
  const started = Boolean(status.state?.running ?? status.state?.terminated);
  const stopped =
    stoppedWhy(status) ??
    (first && !started ? (status.state?.waiting?.reason ?? 'not started') : undefined);
  return stopped
    ? {
        ...reading,
        stopped,
        progress: `${reading.progress}; ${status.name} is not running (${stopped})`,
      }
    : reading;
}

function initPhase(status: ContainerStatus, log: string): PhaseReading {
  const container = status.name;
  const started = Boolean(status.state?.running ?? status.state?.terminated);
  const lines = terminalLines(log);
  const last = lines
    .filter((l) => l.trim() !== '')
    .at(-1)
    ?.trim();
  const base = { container, marker: last === undefined ? undefined : `${container}: ${last}` };
  switch (INIT_CONTAINERS.indexOf(container)) {
    case 0:
      return { ...importReading(log, started), ...base, ...importMarker(log, container) };
    case 1:
      return initSyncReading(log, started, base);
    default:
      return {
        phase: 'checking-database',
        step: 4,
        ...base,
        progress:
          container === 'init-redis'
            ? 'checking Redis (init-redis)'
            : started
              ? `checking the database schema (${container})`
              : `about to check the database (${container})`,
      };
  }
}

/** init-datastore: the download, then `lily init --import-snapshot` and its byte counts. */
function importReading(log: string, started: boolean): PhaseReading {
  const reading = { phase: 'importing-snapshot' as const, step: 1 };
  const bar = lastBar(log);
  // The tail may have lost the echo line: lily init's own lines say it too.
  if (bar || log.includes('*** Importing snapshot...') || log.includes('importing chain from ')) {
    if (!bar) return { ...reading, progress: 'importing the snapshot (lily init)' };
    const [, done, total, percent] = bar;
    const share = percent ? ` (${percent}%)` : '';
    return {
      ...reading,
      progress: `importing the snapshot: ${done} of ${total === '?' ? 'an unknown size' : total}${share}`,
      amount: percent ? { done: Number(percent), total: 100, unit: 'percent' } : undefined,
    };
  }
  if (log.includes('*** Downloading snapshot from url '))
    return { ...reading, progress: 'downloading the snapshot' };
  return { ...reading, progress: started ? 'preparing the datastore' : 'about to start' };
}

/** The import's counted progress changes its marker; otherwise any new line does. */
function importMarker(log: string, container: string): { marker?: string } {
  const bar = lastBar(log);
  return bar ? { marker: `${container}: ${bar[1]}` } : {};
}

/** init-sync: the daemon starts and `wait-api` waits (silently), then `sync wait` redraws its block. */
function initSyncReading(
  log: string,
  started: boolean,
  base: { container: string; marker?: string },
): PhaseReading {
  const worker = lastMatch(log, SYNC_WORKER);
  const state = lastMatch(log, SYNC_STATE);
  // The tail may hold only redrawn blocks: four a second push the echo line out.
  if (!state && !log.includes('Waiting for network sync to complete...'))
    return {
      phase: 'waiting-for-api',
      step: 2,
      ...base,
      progress: started ? "the daemon is starting (init-sync's wait-api)" : 'about to start',
    };
  if (!state)
    return { phase: 'syncing-chain', step: 3, ...base, progress: 'waiting for a sync to start' };
  const [, stage, current, todo] = state;
  const height = Number(current);
  const target = worker ? Number(worker[3]) : height + Number(todo);
  return {
    ...syncing(3, { height, target, stage: stage ?? '' }),
    container: base.container,
    marker: `${base.container}: sync ${height}/${target}`,
  };
}

function syncing(step: number, s: { height: number; target: number; stage: string }): PhaseReading {
  const todo = Math.max(0, s.target - s.height);
  return {
    phase: 'syncing-chain',
    step,
    progress: `height ${s.height} of ${s.target} (${todo} epochs to go, ${s.stage})`,
    amount: { done: s.height, total: s.target, unit: 'epochs' },
  };
}

/** The postStart hook: wait-api, sync wait, the settle sleep, then `lily job run` per job. */
function hookPhase(api: ApiView | undefined): PhaseReading {
  const container = DAEMON;
  if (!api?.answered) {
    return {
      phase: 'waiting-for-api',
      step: 5,
      container,
      progress: api
        ? "Lily's API does not answer yet (postStart hook's wait-api)"
        : "in the postStart hook (its output is hidden; Lily's API not asked)",
    };
  }
  if (api.syncing)
    return {
      ...syncing(6, api.syncing),
      container,
      marker: `hook: sync ${api.syncing.height}/${api.syncing.target}`,
    };
  if (api.jobs === 0)
    return {
      phase: 'settling',
      step: 7,
      container,
      progress: `synced, waiting for the datastore to settle (chain head ${api.head})`,
      marker: `hook: head ${api.head}`,
    };
  return {
    phase: 'starting-jobs',
    step: 8,
    container,
    progress: `${api.jobs} job(s) started (chain head ${api.head})`,
    marker: `hook: jobs ${api.jobs}, head ${api.head}`,
  };
}

// pb's bar without a terminal (`\r`-redrawn): ` 1.23 GiB / 50.00 GiB   2.46% 45.67 MiB/s 17m30s`.
const IMPORT_BAR =
  /(\d+(?:\.\d+)? (?:[KMGTP]i)?B) \/ (\d+(?:\.\d+)? (?:[KMGTP]i)?B|\?)(?:\s+(\d+(?:\.\d+)?)%)?/g;
// `lily sync wait`'s block (§2.4).
const SYNC_WORKER = /Worker: (\d+); Base: (\d+); Target: (\d+) \(diff: (-?\d+)\)/g;
const SYNC_STATE = /State: ([a-z ]+); Current Epoch: (\d+); Todo: (-?\d+)/g;

/**
 * The import's last whole bar: the bar has no newline, so a container runtime
 * logs it in 16 KiB pieces, and the newest piece may end in the middle of a
 * redraw, without its percent; the redraw before it then says more.
 */
function lastBar(log: string): RegExpExecArray | undefined {
  let last: RegExpExecArray | undefined;
  let whole: RegExpExecArray | undefined;
  IMPORT_BAR.lastIndex = 0;
  for (let m = IMPORT_BAR.exec(log); m; m = IMPORT_BAR.exec(log)) {
    last = m;
    if (m[3] !== undefined || m[2] === '?') whole = m;
  }
  return whole ?? last;
}

function lastMatch(text: string, pattern: RegExp): RegExpExecArray | undefined {
  let last: RegExpExecArray | undefined;
  pattern.lastIndex = 0;
  for (let m = pattern.exec(text); m; m = pattern.exec(text)) last = m;
  return last;
}

/**
 * A log as a terminal would show it: a `\r` starts the line again, `ESC[2K`
 * erases it and `ESC[A` moves up to the line before, which the next write
 * goes over (as `sync wait`'s blocks are redrawn), so
 * `sync wait`'s redrawn blocks and the import's bar show only their last state.
 */
export function terminalLines(text: string): string[] {
  const lines: string[] = [];
  let current = '';
  // What a bare `\r` started to write over: a log read that ends in the
  // middle of a redraw (a runtime's 16 KiB piece) shows, as a terminal does,
  // the line it has only begun to overwrite with the same characters.
  let overwritten = '';
  // eslint-disable-next-line no-control-regex
  for (const token of text.split(/(\r\x1b\[2K\x1b\[A|\r|\n|\x1b\[[0-9;]*[A-Za-z])/)) {
    if (token === '\n') {
      lines.push(current);
      current = overwritten = '';
    } else if (token === '\r') {
      if (current !== '') overwritten = current;
      current = '';
    } else if (token === '\x1b[2K') current = overwritten = '';
    else if (token === '\r\x1b[2K\x1b[A' || token === '\x1b[A') {
      // Up to the line before, which the next write goes over.
      lines.pop();
      current = overwritten = '';
    }
    // eslint-disable-next-line no-control-regex
    else if (!/^\x1b\[/.test(token)) current += token;
  }
  const last = overwritten.startsWith(current) ? overwritten : current;
  if (last !== '') lines.push(last);
  return lines;
}

/** The last lines of a log as a terminal would show them, for a person. */
export function logTail(text: string, count: number): string[] {
  return terminalLines(text)
    .filter((l) => l.trim() !== '')
    .slice(-count);
}

/** The least advanced of the pods' readings (the output lily-phase). */
export function leastAdvanced(readings: PhaseReading[]): PhaseReading | undefined {
  return readings.reduce<PhaseReading | undefined>(
    (least, r) => (least === undefined || r.step < least.step ? r : least),
    undefined,
  );
}

/**
 * The time left at the rate seen between two readings of the same phase, in
 * ms; undefined when the rate does not allow one (no counts, or no advance).
 */
export function estimateLeftMs(
  first: { at: number; reading: PhaseReading },
  now: { at: number; reading: PhaseReading },
): number | undefined {
  const [a, b] = [first.reading.amount, now.reading.amount];
  if (!a || !b || a.unit !== b.unit || first.reading.phase !== now.reading.phase) return undefined;
  const rate = (b.done - a.done) / (now.at - first.at);
  if (!(rate > 0)) return undefined;
  return Math.max(0, b.total - b.done) / rate;
}

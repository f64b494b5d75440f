import type {
  FailureSettings,
  Settings,
  StartupSettings,
  StatusSettings,
  VerifySettings,
} from '../settings.js';
import type { InputReader } from './reader.js';

export type RolloutSettings = Pick<
  Settings,
  'wait' | 'timeout' | 'atomic' | 'failure' | 'verify' | 'status' | 'startup'
>;

/**
 * How the release is rolled out: whether and how long to wait for it, whether
 * helm rolls a failed one back (atomic), what counts as failing, and how long
 * its pods must stay up after helm's wait, and how far its chain may lag.
 */
export function parseRollout(reader: InputReader): RolloutSettings {
  const wait = reader.bool('wait', true);
  const atomic = reader.bool('atomic', false);
  const timeout = reader.duration('timeout', '10m');
  return {
    wait,
    atomic,
    timeout: timeout.text,
    failure: parseFailure(reader),
    startup: parseStartup(reader, timeout),
    verify: parseVerify(reader),
    status: parseStatus(reader),
  };
}

/** How far behind the network command status lets a chain head be. */
function parseStatus(reader: InputReader): StatusSettings {
  const { text, ms } = reader.duration('max-lag', '10m');
  return { maxLag: text, maxLagMs: ms };
}

const WAIT_FOR = ['ready', 'started'] as const;

/** How long a Lily start-up may take, and what the deploy waits for. */
function parseStartup(reader: InputReader, timeout: { text: string; ms: number }): StartupSettings {
  const waitFor = reader.text('wait-for') || 'ready';
  reader.check(
    'wait-for',
    waitFor,
    (WAIT_FOR as readonly string[]).includes(waitFor),
    WAIT_FOR.join(', '),
  );
  const stall = reader.duration('stall-timeout', '10m');
  const startup = reader.duration('startup-timeout', '5h30m');
  if (startup.ms > 0 && startup.ms < timeout.ms)
    reader.fail(
      'startup-timeout',
      `is '${startup.text}', shorter than timeout '${timeout.text}'; allowed: a Go duration at least as long as timeout (a Lily start-up may take longer than timeout, never less)`,
    );
  if (stall.ms > startup.ms && startup.ms > 0)
    reader.fail(
      'stall-timeout',
      `is '${stall.text}', longer than startup-timeout '${startup.text}'; allowed: a Go duration up to startup-timeout`,
    );
  return {
    waitFor: waitFor as StartupSettings['waitFor'],
    timeoutMs: timeout.ms,
    stallTimeout: stall.text,
    stallTimeoutMs: stall.ms,
    startupTimeout: startup.text,
    startupTimeoutMs: startup.ms,
  };
}

/** Whether and how long the pods must stay up after helm's wait passed. */
function parseVerify(reader: InputReader): VerifySettings {
  const enabled = reader.bool('verify', true);
  const { text, ms } = reader.duration('verify-window', '2m');
  return { enabled, window: text, windowMs: ms };
}

/** When to stop waiting early, how much to report, and what to repair. */
function parseFailure(reader: InputReader): FailureSettings {
  return {
    failFast: reader.bool('fail-fast', true),
    failFastRestarts: reader.count('fail-fast-restarts', 3, 1000),
    unschedulableGraceMs: reader.duration('unschedulable-grace', '45s').ms,
    ...parseDatabaseTimeout(reader),
    logLines: reader.count('log-lines', 200, 100_000),
    remediate: reader.bool('remediate', false),
    stuckReleaseTimeoutMs: reader.duration('stuck-release-timeout', '15m').ms,
    recoverStuckRelease: reader.bool('recover-stuck-release', false),
  };
}

/** How long Lily's database check may go without an answer (Lily retries silently). */
function parseDatabaseTimeout(
  reader: InputReader,
): Pick<FailureSettings, 'databaseTimeout' | 'databaseTimeoutMs'> {
  const { text, ms } = reader.duration('database-timeout', '3m');
  return { databaseTimeout: text, databaseTimeoutMs: ms };
}

import type { FailureSettings, Settings, StatusSettings, VerifySettings } from '../settings.js';
import type { InputReader } from './reader.js';

export type RolloutSettings = Pick<
  Settings,
  'wait' | 'timeout' | 'atomic' | 'failure' | 'verify' | 'status'
>;

/**
 * How the release is rolled out: whether and how long to wait for it, whether
 * helm rolls a failed one back (atomic), what counts as failing, and how long
 * its pods must stay up after helm's wait, and how far its chain may lag.
 */
export function parseRollout(reader: InputReader): RolloutSettings {
  return {
    wait: reader.bool('wait', true),
    atomic: reader.bool('atomic', false),
    timeout: reader.duration('timeout', '10m').text,
    failure: parseFailure(reader),
    verify: parseVerify(reader),
    status: parseStatus(reader),
  };
}

/** How far behind the network command status lets a chain head be. */
function parseStatus(reader: InputReader): StatusSettings {
  const { text, ms } = reader.duration('max-lag', '10m');
  return { maxLag: text, maxLagMs: ms };
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

import type { Settings } from '../settings.js';
import { parseGoDuration } from './duration.js';
import type { InputReader } from './reader.js';

export type SweepAndLockSettings = Pick<Settings, 'sweep' | 'lock'>;

/**
 * What a sweep removes (preview-ttl, sweep-other-repositories), whether it
 * only says so (dry-run), and how long a run waits for the lock of a release
 * another run holds (lock-timeout).
 */
export function parseSweepAndLock(reader: InputReader): SweepAndLockSettings {
  return {
    sweep: {
      previewTtlMs: parseTtl(reader),
      dryRun: reader.bool('dry-run', false),
      otherRepositories: reader.bool('sweep-other-repositories', false),
    },
    lock: { timeoutMs: reader.duration('lock-timeout', '5m').ms },
  };
}

/** preview-ttl: a Go duration above zero, or empty for none. */
function parseTtl(reader: InputReader): number | undefined {
  const text = reader.text('preview-ttl');
  if (text === '') return undefined;
  const ms = parseGoDuration(text);
  reader.check(
    'preview-ttl',
    text,
    ms !== undefined && ms > 0,
    'a Go duration above zero such as 72h or 168h (Go durations have no days), or empty for no TTL',
  );
  return ms !== undefined && ms > 0 ? ms : undefined;
}

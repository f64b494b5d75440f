// Go's time.ParseDuration grammar, because helm's --timeout is parsed by it:
// a sequence of decimal numbers, each with an optional fraction and a unit.
const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

// µs and μs (micro sign, Greek mu) escaped: the bundle stays ASCII (scripts/bundle.ts).
const TERM = /(\d+(?:\.\d*)?|\.\d+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)/y;

/** Milliseconds in a Go duration such as `10m`, `1h30m` or `90s`; undefined when it is not one. */
export function parseGoDuration(text: string): number | undefined {
  if (text === '0') return 0;
  if (text === '') return undefined;
  let total = 0;
  TERM.lastIndex = 0;
  while (TERM.lastIndex < text.length) {
    const match = TERM.exec(text);
    if (!match) return undefined;
    total += Number(match[1]) * (UNIT_MS[match[2] as string] as number);
  }
  return total;
}

/** A short human form of a millisecond count: `850ms`, `12.3s`, `4m05s`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
}

// Seconds in each unit of a long span.
const SPAN_UNITS: [string, number][] = [
  ['d', 86_400],
  ['h', 3600],
  ['m', 60],
  ['s', 1],
];

/**
 * A span of time that may run to days, in its two largest units, rounded
 * down (never more than it was): `45s`, `12m30s`, `5h12m`, `3d4h`, `3d`.
 */
export function formatSpan(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  const first = SPAN_UNITS.findIndex(([, size]) => seconds >= size);
  if (first === -1) return '0s';
  const [unit, size] = SPAN_UNITS[first]!;
  const [smallUnit, smallSize] = SPAN_UNITS[first + 1] ?? ['', 1];
  const rest = Math.floor((seconds % size) / smallSize);
  return `${Math.floor(seconds / size)}${unit}${rest > 0 ? `${rest}${smallUnit}` : ''}`;
}

// What the GitHub runner does with an action's output, re-done for tests
// (after actions/runner: ActionCommand.cs, ActionCommandManager.cs,
// FileCommandManager.cs, SecretMasker/ValueEncoders.cs):
// - workflow commands (`::name k=v::data`) on stdout and stderr lines;
// - the secret masker: every value registered by ::add-mask:: (plus each of
//   its trimmed lines, plus the runner's encoded variants: base64 at three byte
//   offsets, URI-escaped, JSON-escaped, ...) is replaced by *** in every later
//   line, annotation and in the step summary;
// - the environment files (GITHUB_OUTPUT, GITHUB_ENV, GITHUB_STATE):
//   `name=value` lines and `name<<DELIM` heredocs.

export type AnnotationKind = 'error' | 'warning' | 'notice' | 'debug';

export interface Annotation {
  kind: AnnotationKind;
  /** Unescaped and masked, as the runner shows it. */
  message: string;
  /** file, line, col, endLine, endColumn, title: unescaped and masked. */
  properties: Record<string, string>;
}

export interface ParsedCommand {
  command: string;
  properties: Record<string, string>;
  data: string;
}

/** The commands the runner knows; any other `::x::` line is plain output. */
const KNOWN_COMMANDS = new Set([
  'add-mask',
  'add-path',
  'set-env',
  'set-output',
  'save-state',
  'error',
  'warning',
  'notice',
  'debug',
  'group',
  'endgroup',
  'echo',
  'add-matcher',
  'remove-matcher',
  'stop-commands',
]);

/**
 * Parses a `::command k=v,k2=v2::data` line (leading whitespace allowed);
 * undefined if it is none. `extra`: more command names, lower-case (the
 * token of a ::stop-commands::).
 */
export function parseCommand(line: string, extra?: ReadonlySet<string>): ParsedCommand | undefined {
  const message = line.trimStart();
  if (!message.startsWith('::')) return undefined;
  const end = message.indexOf('::', 2);
  if (end < 0) return undefined;
  const info = message.slice(2, end);
  const space = info.indexOf(' ');
  const command = space < 0 ? info : info.slice(0, space);
  // The runner's registered commands are matched ignoring case, a stop token too.
  if (!KNOWN_COMMANDS.has(command.toLowerCase()) && !extra?.has(command.toLowerCase()))
    return undefined;
  const properties: Record<string, string> = {};
  if (space > 0) {
    for (const pair of info
      .slice(space + 1)
      .trim()
      .split(',')) {
      if (!pair) continue;
      const eq = pair.indexOf('=');
      if (eq <= 0 || eq === pair.length - 1) continue;
      properties[pair.slice(0, eq)] = unescapeProperty(pair.slice(eq + 1));
    }
  }
  return { command: command.toLowerCase(), properties, data: unescapeData(message.slice(end + 2)) };
}

/** %0D, %0A, then %25, as the runner undoes @actions/core's escaping of command data. */
export function unescapeData(s: string): string {
  return s.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');
}

export function unescapeProperty(s: string): string {
  return s
    .replace(/%0D/g, '\r')
    .replace(/%0A/g, '\n')
    .replace(/%3A/g, ':')
    .replace(/%2C/g, ',')
    .replace(/%25/g, '%');
}

/** The runner's secret masker: registered values and their encoded forms become ***. */
export class SecretMasker {
  /** Values registered with add(), in order (no encodings). */
  readonly registered: string[] = [];
  private readonly needles = new Set<string>();

  /** Registers `value`, as ::add-mask:: does: the whole value and each trimmed non-empty line. */
  addMask(value: string): void {
    this.addValue(value);
    for (const line of value.split(/[\r\n]/)) {
      const trimmed = line.trim();
      if (trimmed) this.addValue(trimmed);
    }
  }

  /** Registers one value and the runner's encoded variants of it. */
  addValue(value: string): void {
    if (!value || this.registered.includes(value)) return;
    this.registered.push(value);
    for (const encoded of runnerEncodings(value)) if (encoded) this.needles.add(encoded);
  }

  /** `text` with every occurrence of every needle (overlaps merged) replaced by ***. */
  mask(text: string): string {
    if (!text || this.needles.size === 0) return text;
    const ranges: [number, number][] = [];
    for (const needle of this.needles) {
      for (let i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1)) {
        ranges.push([i, i + needle.length]);
      }
    }
    if (ranges.length === 0) return text;
    ranges.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
    let out = '';
    let pos = 0;
    let current: [number, number] | undefined;
    for (const range of ranges) {
      if (current && range[0] <= current[1]) {
        current[1] = Math.max(current[1], range[1]);
        continue;
      }
      if (current) {
        out += text.slice(pos, current[0]) + '***';
        pos = current[1];
      }
      current = [range[0], range[1]];
    }
    if (current) out += text.slice(pos, current[0]) + '***';
    return out + text.slice(current ? current[1] : pos);
  }

  clone(): SecretMasker {
    const copy = new SecretMasker();
    for (const v of this.registered) copy.addValue(v);
    return copy;
  }
}

/** The runner's value encoders (HostContext registers these on its SecretMasker). */
function runnerEncodings(value: string): string[] {
  const bytes = Buffer.from(value, 'utf8');
  const shifted = (n: number) => (bytes.length > n ? bytes.subarray(n) : bytes).toString('base64');
  const trimmedQuotes =
    value.length > 8 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : '';
  return [
    value,
    bytes.toString('base64'),
    shifted(1),
    shifted(2),
    value.replace(/"/g, '\\"'),
    value.replace(/'/g, "''"),
    JSON.stringify(value).slice(1, -1),
    uriDataEscape(value),
    value.replace(/[&<>"']/g, (c) => XML_ESCAPES[c] ?? c),
    trimmedQuotes,
  ];
}

const XML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

/** .NET Uri.EscapeDataString: everything but RFC 3986 unreserved characters is %XX. */
export function uriDataEscape(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

export interface EnvFile {
  values: Record<string, string>;
  /** Format errors, worded as the runner words them (the runner fails the step). */
  errors: string[];
}

/**
 * Parses a GITHUB_OUTPUT / GITHUB_ENV / GITHUB_STATE file as the runner does:
 * `NAME=value` lines, and `NAME<<DELIM` ... `DELIM` heredocs whose value is
 * the lines between (joined with \n, no final newline). Later names win.
 */
export function parseEnvFile(text: string): EnvFile {
  const values: Record<string, string> = {};
  const errors: string[] = [];
  const lines = text.split('\n');
  // A final newline leaves one empty string behind: not a line.
  if (lines[lines.length - 1] === '') lines.pop();
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (!line) continue;
    const eq = line.indexOf('=');
    const heredoc = line.indexOf('<<');
    if (eq >= 0 && (heredoc < 0 || eq < heredoc)) {
      values[line.slice(0, eq)] = line.slice(eq + 1);
    } else if (heredoc >= 0) {
      const name = line.slice(0, heredoc);
      const delimiter = line.slice(heredoc + 2);
      if (!name || !delimiter) {
        errors.push(
          `Invalid format '${line}'. Name must not be empty and delimiter must not be empty`,
        );
        continue;
      }
      const body: string[] = [];
      let j = i + 1;
      while (j < lines.length && lines[j] !== delimiter) body.push(lines[j++] ?? '');
      if (j >= lines.length) {
        errors.push(`Invalid value. Matching delimiter not found '${delimiter}'`);
        break;
      }
      values[name] = body.join('\n');
      i = j;
    } else {
      errors.push(`Invalid format '${line}'`);
    }
  }
  return { values, errors };
}

/** GITHUB_PATH: one directory a line, in the order written (the runner puts the last first on PATH). */
export function parsePathFile(text: string): string[] {
  return text.split('\n').filter((line) => line.length > 0);
}

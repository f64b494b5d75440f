// Finds secrets ("canaries") a run let out. A canary counts as leaked where a
// user or a later step could read it:
// - '<step>.<stream> before add-mask': a raw stdout/stderr line (other than an
//   ::add-mask:: line) that holds it before the ::add-mask:: registering it,
//   or at all if it is never registered;
// - '<step>.log': the masked log (what a user sees), annotations included;
// - '<step>.outputs.<name>', '<step>.env.<name>', '<step>.state.<name>',
//   '<step>.path', '<step>.summary' (the summary file as written, unmasked);
// - '<dir>:<relative path>': any file left under runnerTemp (except the
//   runner's own _runner_file_commands, covered above), toolCache, home, tmp
//   or workspace; symlinks are not followed, files over maxFileBytes skipped.
// Each canary is looked for raw and in encoded forms: base64 (at all three
// byte alignments, complete groups only, so it is found inside a longer
// base64 text such as user:password), percent-encoded and JSON-escaped.
// In line-based places (stdout, stderr, log) a multi-line canary is looked for
// line by line (trimmed non-empty lines), as the runner masks it.

import { lstat, readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { ActionResult, StepResult } from './runner.js';
import { parseCommand, uriDataEscape } from './workflow-commands.js';

export interface Leak {
  canary: string;
  /** 'raw', 'base64', 'percent', 'json' (and 'raw-line' for a line of a multi-line canary). */
  form: string;
  place: string;
}

export interface LeakOptions {
  /** Files larger than this are not read (default 32 MiB: the helm binaries are larger). */
  maxFileBytes?: number;
  /** More texts to search, by place name (e.g. the argv of every process the action started). */
  extra?: Record<string, string>;
}

export interface LeakScan {
  leaks: Leak[];
  /** Every place searched (streams, outputs, files …), whether anything was found there or not. */
  places: string[];
}

interface Needle {
  form: string;
  text: string;
}

/** Every place and form in which `result` exposes one of `canaries`. */
export async function leaks(
  result: ActionResult,
  canaries: readonly string[],
  options: LeakOptions = {},
): Promise<Leak[]> {
  return (await scanForLeaks(result, canaries, options)).leaks;
}

/** Like leaks(), also telling every place that was searched. */
export async function scanForLeaks(
  result: ActionResult,
  canaries: readonly string[],
  options: LeakOptions = {},
): Promise<LeakScan> {
  const found: Leak[] = [];
  const places = new Set<string>();
  const maxFileBytes = options.maxFileBytes ?? 32 * 1024 * 1024;

  for (const canary of canaries) {
    if (!canary) throw new Error('leaks(): an empty canary matches everything');
    const whole = forms(canary);
    const lines = lineNeedles(canary);
    const hit = (place: string, text: string, needles: Needle[]) => {
      places.add(place);
      for (const n of needles)
        if (text.includes(n.text)) found.push({ canary, form: n.form, place });
    };

    // The masks registered so far, across main and post (the runner's masker lives for the job).
    const registered = new Set<string>();
    const steps = [result as StepResult, ...(result.post ? [result.post] : [])];
    for (const step of steps) {
      places
        .add(`${step.step}.stdout before add-mask`)
        .add(`${step.step}.stderr before add-mask`)
        .add(`${step.step}.log`);
      const hitsBefore = new Map<string, Set<string>>();
      for (const line of step.transcript) {
        if (line.addMask) {
          const cmd = parseCommand(line.text);
          if (cmd) {
            registered.add(cmd.data);
            for (const l of cmd.data.split(/[\r\n]/)) if (l.trim()) registered.add(l.trim());
          }
          continue;
        }
        for (const n of lines) {
          if (registered.has(n.line) || !line.text.includes(n.text)) continue;
          const place = `${step.step}.${line.stream} before add-mask`;
          const set = hitsBefore.get(place) ?? new Set<string>();
          set.add(n.form);
          hitsBefore.set(place, set);
        }
      }
      for (const [place, formsHit] of hitsBefore) {
        for (const form of formsHit) found.push({ canary, form, place });
      }
      found.push(...logLeaks(canary, `${step.step}.log`, step.log));
      for (const [k, v] of Object.entries(step.outputs)) hit(`${step.step}.outputs.${k}`, v, whole);
      for (const [k, v] of Object.entries(step.env)) hit(`${step.step}.env.${k}`, v, whole);
      for (const [k, v] of Object.entries(step.state)) hit(`${step.step}.state.${k}`, v, whole);
      hit(`${step.step}.path`, step.path.join('\n'), whole);
      hit(`${step.step}.summary`, step.summary, whole);
    }
    for (const [place, text] of Object.entries(options.extra ?? {})) hit(place, text, whole);
  }

  const dirs: [string, string, string[]][] = [
    ['runnerTemp', result.runnerTemp, ['_runner_file_commands']],
    ['toolCache', result.toolCache, []],
    ['home', result.home, []],
    ['tmp', result.tmp, []],
    ['workspace', result.workspace, []],
  ];
  const needles = canaries.map((c) => ({ canary: c, needles: forms(c) }));
  for (const [label, dir, skip] of dirs) {
    for await (const file of walk(
      dir,
      skip.map((s) => join(dir, s)),
      maxFileBytes,
    )) {
      const content = await readFile(file);
      places.add(`${label}:${relative(dir, file)}`);
      for (const { canary, needles: ns } of needles) {
        for (const n of ns) {
          if (content.includes(n.text))
            found.push({ canary, form: n.form, place: `${label}:${relative(dir, file)}` });
        }
      }
    }
  }
  return { leaks: dedupe(found), places: [...places] };
}

/** Where a log (line by line, as the runner masks it) shows one of `canaries`, raw or encoded. */
export function leaksInLog(place: string, log: string, canaries: readonly string[]): Leak[] {
  return dedupe(canaries.flatMap((canary) => logLeaks(canary, place, log)));
}

function logLeaks(canary: string, place: string, log: string): Leak[] {
  const logLines = log.split('\n');
  return lineNeedles(canary)
    .filter((n) => logLines.some((l) => l.includes(n.text)))
    .map((n) => ({ canary, form: n.form, place }));
}

/** The canary and its encoded forms (each only if it differs from the raw text). */
function forms(canary: string): Needle[] {
  const out: Needle[] = [{ form: 'raw', text: canary }];
  const bytes = Buffer.from(canary, 'utf8');
  for (let shift = 0; shift < 3; shift++) {
    const aligned = bytes.subarray(shift);
    const complete = aligned.subarray(0, aligned.length - (aligned.length % 3));
    const b64 = complete.toString('base64');
    if (b64.length >= 8) out.push({ form: 'base64', text: b64 });
  }
  for (const [form, text] of [
    ['percent', uriDataEscape(canary)],
    ['percent', encodeURIComponent(canary)],
    ['json', JSON.stringify(canary).slice(1, -1)],
  ] as const) {
    if (text !== canary) out.push({ form, text });
  }
  return uniqueNeedles(out);
}

/** Forms to look for in a single log line: each trimmed line of the canary, and its encodings. */
function lineNeedles(canary: string): (Needle & { line: string })[] {
  const parts = canary
    .split(/[\r\n]/)
    .map((l) => l.trim())
    .filter(Boolean);
  if (parts.length <= 1) return forms(canary).map((n) => ({ ...n, line: canary }));
  return parts.flatMap((line) =>
    forms(line).map((n) => ({ form: n.form === 'raw' ? 'raw-line' : n.form, text: n.text, line })),
  );
}

function uniqueNeedles<T extends Needle>(needles: T[]): T[] {
  const seen = new Set<string>();
  return needles.filter((n) => !seen.has(n.text) && seen.add(n.text));
}

function dedupe(leaks: Leak[]): Leak[] {
  const seen = new Set<string>();
  return leaks.filter((l) => {
    const key = `${l.canary}\0${l.form}\0${l.place}`;
    return !seen.has(key) && seen.add(key);
  });
}

async function* walk(dir: string, skip: string[], maxBytes: number): AsyncGenerator<string> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (skip.includes(path)) continue;
    if (entry.isDirectory()) yield* walk(path, skip, maxBytes);
    else if (entry.isFile()) {
      const info = await lstat(path);
      if (info.size <= maxBytes) yield path;
    }
  }
}

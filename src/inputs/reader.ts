import { parseGoDuration } from './duration.js';

/** Reads one raw input by name; '' when it is not set. */
export type InputSource = (name: string) => string;

const BOOLEAN_TRUE = ['true', 'True', 'TRUE'];
const BOOLEAN_FALSE = ['false', 'False', 'FALSE'];

/**
 * Reads inputs and gathers what the group parsers find: every error, so all
 * are reported at once, and every secret, so each is masked before anything prints.
 */
export class InputReader {
  readonly errors: string[] = [];
  /** The errors that are Lily's refusals, also in `errors`. */
  readonly lilyConfigErrors: string[] = [];
  readonly secrets: string[] = [];
  constructor(private readonly source: InputSource) {}

  text(name: string): string {
    return this.source(name).trim();
  }

  required(name: string): string {
    const value = this.text(name);
    if (value === '') this.fail(name, 'is required');
    return value;
  }

  bool(name: string, fallback: boolean): boolean {
    const value = this.text(name);
    if (value === '') return fallback;
    if (BOOLEAN_TRUE.includes(value)) return true;
    if (BOOLEAN_FALSE.includes(value)) return false;
    this.fail(name, `is '${value}'; allowed: true, false`);
    return fallback;
  }

  /** A whole number from 1 to max. */
  count(name: string, fallback: number, max: number): number {
    const text = this.text(name) || String(fallback);
    const value = Number(text);
    this.check(
      name,
      text,
      /^\d+$/.test(text) && value >= 1 && value <= max,
      `a whole number from 1 to ${max}`,
    );
    return value;
  }

  /** A Go duration above zero, in milliseconds. */
  duration(name: string, fallback: string): { text: string; ms: number } {
    const text = this.text(name) || fallback;
    const ms = parseGoDuration(text);
    this.check(
      name,
      text,
      ms !== undefined && ms > 0,
      'a Go duration above zero such as 10m, 90s or 1h30m',
    );
    return { text, ms: ms ?? 0 };
  }

  /** Adds an error unless `url` is an http:// or https:// URL; returns it either way. */
  httpUrl(name: string, url: string): string {
    return this.check(name, url, isHttpUrl(url), 'an http:// or https:// URL');
  }

  /** Adds an error unless `value` passes `test`; returns the value either way. */
  check(name: string, value: string, test: boolean, allowed: string): string {
    if (!test) this.fail(name, `is '${value}'; allowed: ${allowed}`);
    return value;
  }

  fail(name: string, message: string): void {
    this.problem(`Input '${name}' ${message}`);
  }

  /** An input Lily itself would refuse at start-up (failure-reason lily-config, not bad-input). */
  failForLily(name: string, message: string): void {
    const problem = `Input '${name}' ${message}`;
    this.problem(problem);
    this.lilyConfigErrors.push(problem);
  }

  /** A problem already worded with the input it is about. */
  problem(message: string): void {
    this.errors.push(message);
  }

  /** Values to mask: an input that is a secret, or a form it can take in a log. */
  secret(...values: string[]): void {
    this.secrets.push(...values);
  }
}

/** A version as people write it, 'v1.2.3', as the tools take it, '1.2.3'. */
export function withoutLeadingV(version: string): string {
  return version.replace(/^v(?=\d)/, '');
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

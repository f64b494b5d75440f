import { InputReader } from '../../src/inputs/reader.js';

/** A reader over a step's `with:` as given; an input not given reads as '' (no action.yml defaults). */
export function readerOf(given: Record<string, string>): InputReader {
  return new InputReader((name) => given[name] ?? '');
}

/** What a group parser makes of the given inputs: its part of the settings, the errors and secrets. */
export function parseGroup<T>(parse: (reader: InputReader) => T, given: Record<string, string>) {
  const reader = readerOf(given);
  return { parsed: parse(reader), errors: reader.errors, secrets: reader.secrets };
}

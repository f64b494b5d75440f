import * as yaml from 'js-yaml';
import { readFile } from 'node:fs/promises';
import type { Settings } from '../settings.js';
import { isRecord, yamlErrorSummary } from '../yaml.js';
import type { InputReader } from './reader.js';

// The chart values the user gives: values files and inline values, read and
// merged the way helm merges them.

export type Values = Record<string, unknown>;

export type ValuesSettings = Pick<Settings, 'valuesFiles' | 'values' | 'lilyPreflight'>;

/**
 * The values-files list, the inline values (the files are read later, by
 * loadValuesFiles), and whether the Lily preflight checks them.
 */
export function parseValues(reader: InputReader): ValuesSettings {
  return {
    valuesFiles: valuesFileList(reader.text('values-files')),
    values: parseInlineValues(reader),
    lilyPreflight: reader.bool('lily-preflight', true),
  };
}

/** The `values-files` input: one path per line, blank lines ignored. */
export function valuesFileList(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

function parseInlineValues(reader: InputReader): Values | undefined {
  const text = reader.text('values');
  if (text === '') return undefined;
  let doc: unknown;
  try {
    doc = yaml.load(text);
  } catch (err) {
    reader.fail('values', `is not valid YAML: ${yamlErrorSummary(err)}`);
    return undefined;
  }
  if (doc === null || doc === undefined) return undefined;
  if (!isRecord(doc)) {
    reader.fail(
      'values',
      `is YAML of type ${Array.isArray(doc) ? 'list' : typeof doc}; allowed: a mapping (key: value)`,
    );
    return undefined;
  }
  return doc;
}

/**
 * Reads the `values-files`, refusing a missing file or bad YAML with the file
 * and line, so a typo fails before anything is downloaded.
 */
export async function loadValuesFiles(
  paths: string[],
): Promise<{ values: Values[]; errors: string[] }> {
  const values: Values[] = [];
  const errors: string[] = [];
  for (const path of paths) {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      const reason =
        (err as NodeJS.ErrnoException).code === 'ENOENT'
          ? 'does not exist'
          : (err as Error).message;
      errors.push(`Input 'values-files': ${path} ${reason}`);
      continue;
    }
    try {
      const doc = yaml.load(text, { filename: path });
      if (doc === null || doc === undefined) continue;
      if (!isRecord(doc)) {
        errors.push(`Input 'values-files': ${path} is not a YAML mapping (key: value)`);
        continue;
      }
      values.push(doc);
    } catch (err) {
      errors.push(`Input 'values-files': ${path} is not valid YAML: ${yamlErrorSummary(err)}`);
    }
  }
  return { values, errors };
}

/** Merges values the way helm does with several -f files: maps deeply, anything else replaced. */
export function mergeValues(...layers: Values[]): Values {
  const merged: Values = {};
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer)) {
      const current = merged[key];
      merged[key] = isRecord(current) && isRecord(value) ? mergeValues(current, value) : value;
    }
  }
  return merged;
}

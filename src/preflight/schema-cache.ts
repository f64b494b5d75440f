import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isRecord } from '../yaml.js';
import type { OpenApiDocument } from './schema-fields.js';

// The schema check's OpenAPI documents, reduced to the kinds it checked
// (schemasOfKinds), kept in the runner's tool cache: a self-hosted runner's
// next deploy reads a few hundred kB from disk where it read 2.4 MB from the
// API server and parsed them. An entry is named by the document's URL, whose
// hash the API server changes with the document, and the kinds: it never
// goes stale, and clusters serving the same document share it. The schemas
// are the cluster's API, no secret.

/** The tool cache's directory of kept schemas. */
export function schemaCacheDir(toolCache: string): string {
  return join(toolCache, 'lily-deploy-openapi');
}

/** The entry of a document (`url`, with its hash) reduced to `kinds` (as `group/version/Kind`). */
export function schemaCacheKey(url: string, kinds: string[]): string {
  const kindList = [...new Set(kinds)].sort().join('\n');
  return createHash('sha256').update(`${url}\n${kindList}`).digest('hex');
}

/** The kept schemas of `key`; undefined when there are none, or none that parse. */
export async function readKeptSchemas(
  dir: string,
  key: string,
): Promise<OpenApiDocument | undefined> {
  try {
    const doc = JSON.parse(await readFile(join(dir, `${key}.json`), 'utf8')) as unknown;
    return isDocument(doc) ? doc : undefined;
  } catch {
    return undefined;
  }
}

/** Keeps `doc` as `key`, whole or not at all (written beside, then renamed into place). */
export async function keepSchemas(dir: string, key: string, doc: OpenApiDocument): Promise<void> {
  await mkdir(dir, { recursive: true });
  const partial = join(dir, `.${key}.${randomUUID()}`);
  await writeFile(partial, JSON.stringify(doc));
  await rename(partial, join(dir, `${key}.json`));
}

function isDocument(value: unknown): value is OpenApiDocument {
  return isRecord(value) && isRecord(value.components) && isRecord(value.components.schemas);
}

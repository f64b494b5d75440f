import { existsSync, readdirSync, statSync } from 'node:fs';
import { access } from 'node:fs/promises';
import { arch } from 'node:os';
import { join } from 'node:path';
import * as yaml from 'js-yaml';
import { isRecord } from '../yaml.js';
import { cacheToolDir, sha256Of } from './tool-cache-entry.js';

// A chart archive kept in the tool cache of a self-hosted runner, by its
// sha256: the repository index names each version's digest, so a run that
// finds the version's digest there uses the archive it already has, and a
// chart republished under the same version (another digest) is pulled again.
// The archive is hashed against the digest on every use.

/** A chart version as the repository index lists it. */
export interface IndexedChart {
  /** The archive's sha256, hex. */
  digest: string;
  /** Where the archive is, resolved against the repository URL. */
  url: string;
  /** The archive's file name (`lily-0.1.4.tgz`). */
  file: string;
}

const TOOL = 'lily-deploy-chart';

/**
 * The entry of chart `name` at exactly `version` in a repository's
 * index.yaml, when it has a sha256 digest and an http(s) URL. Pure.
 */
export function indexedChart(
  indexYaml: string,
  repoUrl: string,
  name: string,
  version: string,
): IndexedChart | undefined {
  let index: unknown;
  try {
    index = yaml.load(indexYaml, { schema: yaml.JSON_SCHEMA });
  } catch {
    return undefined;
  }
  const versions = isRecord(index) && isRecord(index.entries) ? index.entries[name] : undefined;
  if (!Array.isArray(versions)) return undefined;
  const entry: unknown = versions.find((e) => isRecord(e) && String(e.version) === version);
  if (!isRecord(entry) || !Array.isArray(entry.urls) || typeof entry.urls[0] !== 'string')
    return undefined;
  const digest = typeof entry.digest === 'string' ? entry.digest.replace(/^sha256:/, '') : '';
  if (!/^[0-9a-f]{64}$/.test(digest)) return undefined;
  let url: URL;
  try {
    // Relative URLs are relative to the repository, as helm resolves them.
    url = new URL(entry.urls[0], `${repoUrl.replace(/\/+$/, '')}/`);
  } catch {
    return undefined;
  }
  const file = url.pathname.split('/').at(-1) ?? '';
  if (!/^https?:$/.test(url.protocol) || !file.endsWith('.tgz')) return undefined;
  return { digest, url: url.href, file };
}

/** The cached archive of this digest, when the tool cache has it whole. */
export async function cachedChart(
  toolCache: string,
  chart: IndexedChart,
): Promise<string | undefined> {
  const entry = join(toolCache, TOOL, chart.digest, arch());
  const archive = join(entry, chart.file);
  try {
    await access(`${entry}.complete`);
    return (await sha256Of(archive)) === chart.digest ? archive : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The newest complete entry holding an archive named `file`, whatever its
 * digest: what the tool cache most likely has for a version before the
 * index says which digest it is. Synchronous: it leads to the render, helm's
 * first process, and takes a few system calls; awaited, it would let the work
 * started beside it (TLS, the index) run first.
 */
export function newestCachedArchive(toolCache: string, file: string): string | undefined {
  const root = join(toolCache, TOOL);
  let digests: string[];
  try {
    digests = readdirSync(root);
  } catch {
    return undefined;
  }
  return digests
    .map((digest) => {
      const entry = join(root, digest, arch());
      try {
        const complete = statSync(`${entry}.complete`, { throwIfNoEntry: false });
        return complete && existsSync(join(entry, file))
          ? { archive: join(entry, file), at: complete.mtimeMs }
          : undefined;
      } catch {
        return undefined; // an entry this run cannot read is not a likely one
      }
    })
    .filter((f) => f !== undefined)
    .sort((a, b) => b.at - a.at)
    .at(0)?.archive;
}

/** Puts the directory holding the pulled archive (and nothing else) in the tool cache. */
export function cacheChart(dir: string, chart: IndexedChart): Promise<string> {
  return cacheToolDir(dir, TOOL, chart.digest, chart.file);
}

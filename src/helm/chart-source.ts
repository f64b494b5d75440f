import * as core from '@actions/core';
import { startedEarly } from '../background.js';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { readChartFiles } from './chart-archive.js';
import {
  cacheChart,
  cachedChart,
  type IndexedChart,
  indexedChart,
  newestCachedArchive,
} from './chart-cache.js';
import { DEFAULT_DOWNLOAD_POLICY, downloadFile, downloadText } from './download.js';
import { sha256Of } from './tool-cache-entry.js';
import type { Helm } from './helm.js';
import type { ChartRef, RepoSettings } from '../settings.js';

/** The chart as every helm command of the run is given it, and what the run knows of it. */
export interface ChartSource {
  /** What helm is given: the archive pulled once for this run, or the chart on disk. */
  ref: string;
  /** The chart as the inputs name it: `filecoin/lily`, the OCI URL, the local path. */
  name: string;
  description: string;
  /** The chart's version (its Chart.yaml): what a deploy of it deploys. */
  version: string;
  /** The chart's default values (its values.yaml). */
  defaults: Record<string, unknown>;
}

/** Where the chart comes from and how the inputs name it. */
function chartOrigin(chart: ChartRef, repo: RepoSettings): { name: string; description: string } {
  switch (chart.kind) {
    case 'repo':
      return { name: `${repo.name}/${chart.name}`, description: repo.url };
    case 'oci':
      return { name: chart.url, description: chart.url };
    case 'local':
      return { name: chart.path, description: `local path ${chart.path}` };
  }
}

export interface PullRequest {
  chart: ChartRef;
  repo: RepoSettings;
  /** An exact version, or 'latest' (the newest stable one). */
  version: string;
  /** An empty directory of the run's own, where the archive goes. */
  destination: string;
  /** The flags of extra-args that say how the chart is fetched and verified (--verify, --keyring…). */
  fetchArgs: string[];
  /** The runner's tool cache, where a repository's chart is kept by version and digest. */
  toolCache?: string;
  /** Reads an archive's version and default values (chartFilesOnce: each archive once per run). */
  filesOf: (archive: string) => Promise<ChartFiles>;
}

/** What the run reads of a chart archive: its version and its default values. */
export interface ChartFiles {
  version: string;
  defaults: Record<string, unknown>;
}

/**
 * Pulls the chart once: every later helm command of the run is given the
 * archive, so none reads the repository index or downloads the chart again.
 * A repository without credentials is named to the pull itself (`--repo`),
 * one helm process; one with credentials is added first (`helm repo add`,
 * the password on stdin), and an OCI registry logged in to. A chart on disk
 * is used where it is.
 */
export async function prepareChart(helm: Helm, request: PullRequest): Promise<ChartSource> {
  const { chart, repo, filesOf } = request;
  const origin = chartOrigin(chart, repo);
  if (chart.kind === 'local') {
    core.info(`Chart ${chart.path}: no repository to add`);
    return { ref: chart.path, ...origin, ...(await filesOf(chart.path)) };
  }
  const indexed = await indexedInRepo(request);
  if (indexed) {
    const cached = await cachedChart(request.toolCache as string, indexed);
    if (cached) {
      core.info(
        `Chart ${origin.name} ${request.version} (sha256 ${indexed.digest}, as the repository index gives it) from the tool cache: not downloaded`,
      );
      return { ref: cached, ...origin, ...(await filesOf(cached)) };
    }
    // A GET of the URL the index names needs no helm (which may still be
    // downloading); where it fails, helm pull tries, and its error is the one reported.
    core.info(`Downloading ${indexed.url}`);
    const downloaded = join(request.destination, indexed.file);
    const digest = await downloadFile(indexed.url, downloaded, ONE_TRY).catch(async () => {
      await helm.pull(indexed.url, request.destination, undefined, []);
      return sha256Of(await pulledArchive(indexed.url, request.destination));
    });
    const ref = await pulledArchive(indexed.url, request.destination);
    await keepInCache(request.destination, digest, indexed);
    return { ref, ...origin, ...(await filesOf(ref)) };
  }
  let pulled = origin.name;
  const fetchArgs = [...request.fetchArgs];
  if (chart.kind === 'repo' && !repo.username) {
    pulled = chart.name;
    fetchArgs.unshift('--repo', repo.url);
  } else if (chart.kind === 'repo') {
    await helm.repoAdd(repo.name, repo.url, repo.username, repo.password);
  } else if (repo.username && repo.password) {
    await helm.registryLogin(
      new URL(chart.url.replace(/^oci:/, 'https:')).host,
      repo.username,
      repo.password,
    );
  }
  const version = request.version === 'latest' ? undefined : request.version;
  await helm.pull(pulled, request.destination, version, fetchArgs);
  const ref = await pulledArchive(pulled, request.destination);
  return { ref, ...origin, ...(await filesOf(ref)) };
}

/** Reads of the repository (its index, an archive) the run makes itself: one try, helm's error otherwise. */
const ONE_TRY = { attempts: 1, backoffMs: 0, idleTimeoutMs: DEFAULT_DOWNLOAD_POLICY.idleTimeoutMs };

/** The chart archive a pull left in `destination`. */
async function pulledArchive(pulled: string, destination: string): Promise<string> {
  const archive = (await readdir(destination)).find((file) => file.endsWith('.tgz'));
  if (!archive) throw new Error(`helm pull ${pulled} left no chart archive`);
  return join(destination, archive);
}

/**
 * The archive the tool cache most likely holds for the requested version,
 * before the repository index names its digest (`<chart>-<version>.tgz`, the
 * newest such entry): work on it can start while the index is read, and is
 * kept only if prepareChart then gives that very archive.
 */
export function likelyCachedArchive(request: PullRequest): string | undefined {
  const { chart, version, toolCache } = request;
  if (!cacheable(request) || chart.kind !== 'repo') return undefined;
  return newestCachedArchive(toolCache as string, `${chart.name}-${version}.tgz`);
}

/** The likely archive (likelyCachedArchive) as a chart source, its files read. */
export async function likelyCachedChart(
  request: PullRequest,
  archive: string | undefined,
): Promise<ChartSource | undefined> {
  if (archive === undefined) return undefined;
  const { chart, repo, filesOf } = request;
  return { ref: archive, ...chartOrigin(chart, repo), ...(await filesOf(archive)) };
}

/**
 * `work` on the chart the tool cache likely holds, started before the
 * repository index is read, and kept when the index names that very archive;
 * else done on the chart itself.
 */
export function onLikelyChart<C extends { ref: string }, T>(
  likely: Promise<C | undefined>,
  chartReady: Promise<C>,
  work: (chart: C) => Promise<T>,
): Promise<T> {
  const early = likely.then((chart) =>
    chart === undefined ? undefined : { ref: chart.ref, result: startedEarly(work(chart)) },
  );
  return Promise.all([chartReady, early]).then(([chart, guess]) =>
    chart.ref === guess?.ref ? guess.result : work(chart),
  );
}

/**
 * `work` once per chart archive, each after the one before has ended: the
 * values of two archives are written to the same file, never at once.
 */
export function oncePerChart<T>(
  work: (chart: ChartSource) => T | Promise<T>,
): (chart: ChartSource) => Promise<T> {
  const done = new Map<string, Promise<T>>();
  let last: Promise<unknown> = Promise.resolve();
  return (chart) => {
    let result = done.get(chart.ref);
    if (result === undefined) {
      result = startedEarly(
        last.then(
          () => work(chart),
          () => work(chart),
        ),
      );
      done.set(chart.ref, result);
      last = result;
    }
    return result;
  };
}

/** A chart the tool cache can keep: an exact version of a repository without credentials, fetched without extra-args' flags. */
function cacheable({ chart, repo, version, toolCache, fetchArgs }: PullRequest): boolean {
  return (
    chart.kind === 'repo' &&
    !repo.username &&
    version !== 'latest' &&
    toolCache !== undefined &&
    toolCache !== '' &&
    fetchArgs.length === 0
  );
}

/**
 * The version's entry in the repository index, for a chart the tool cache
 * can keep: an exact version of a repository without credentials, fetched
 * without extra-args' flags (TLS files, --verify's provenance) that only
 * helm applies. One read of the index; the archive is then fetched from the
 * entry's URL. Anything else (no index, the version not listed)
 * is left to `helm pull --repo` and its own error.
 */
async function indexedInRepo(request: PullRequest): Promise<IndexedChart | undefined> {
  const { chart, repo, version } = request;
  if (!cacheable(request) || chart.kind !== 'repo') return undefined;
  const index = await downloadText(`${repo.url.replace(/\/+$/, '')}/index.yaml`, ONE_TRY).catch(
    () => undefined,
  );
  return index === undefined ? undefined : indexedChart(index, repo.url, chart.name, version);
}

/** The downloaded archive (of sha256 `digest`) into the tool cache, when it is the one the index names. */
async function keepInCache(dir: string, digest: string, indexed: IndexedChart): Promise<void> {
  if (digest !== indexed.digest) {
    core.warning(
      `The chart archive ${indexed.url} has sha256 ${digest}, not the ${indexed.digest} the repository index gives: deployed as downloaded, not kept in the tool cache`,
    );
    return;
  }
  try {
    await cacheChart(dir, indexed);
    core.info(`Chart archive kept in the tool cache by its sha256 ${digest}`);
  } catch (err) {
    core.warning(`The chart archive was not kept in the tool cache: ${(err as Error).message}`);
  }
}

/** Reads of chart archives' files, each archive's once: the likely archive is often the one the index names. */
export function chartFilesOnce(): (archive: string) => Promise<ChartFiles> {
  const read = new Map<string, Promise<ChartFiles>>();
  return (archive) => {
    let files = read.get(archive);
    if (files === undefined) {
      files = chartFiles(archive);
      read.set(archive, files);
    }
    return files;
  };
}

async function chartFiles(path: string): Promise<ChartFiles> {
  const { version, values } = await readChartFiles(path);
  return { version, defaults: values };
}

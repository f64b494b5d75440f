import * as core from '@actions/core';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { readChartFiles } from './chart-archive.js';
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
  const { chart, repo } = request;
  const origin = chartOrigin(chart, repo);
  if (chart.kind === 'local') {
    core.info(`Chart ${chart.path}: no repository to add`);
    return { ref: chart.path, ...origin, ...(await chartFiles(chart.path)) };
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
  const archive = (await readdir(request.destination)).find((file) => file.endsWith('.tgz'));
  if (!archive) throw new Error(`helm pull ${pulled} left no chart archive`);
  const ref = join(request.destination, archive);
  return { ref, ...origin, ...(await chartFiles(ref)) };
}

async function chartFiles(
  path: string,
): Promise<{ version: string; defaults: Record<string, unknown> }> {
  const { version, values } = await readChartFiles(path);
  return { version, defaults: values };
}

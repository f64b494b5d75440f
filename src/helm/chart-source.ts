import * as core from '@actions/core';
import type { Helm } from './helm.js';
import type { ChartRef, RepoSettings } from '../settings.js';

/** The chart argument for helm, and a description of where it comes from. */
export interface ChartSource {
  ref: string;
  description: string;
  /** Does `--version` apply? Not to a chart on disk. */
  versioned: boolean;
}

export function chartSource(chart: ChartRef, repo: RepoSettings): ChartSource {
  switch (chart.kind) {
    case 'repo':
      return { ref: `${repo.name}/${chart.name}`, description: repo.url, versioned: true };
    case 'oci':
      return { ref: chart.url, description: chart.url, versioned: true };
    case 'local':
      return { ref: chart.path, description: `local path ${chart.path}`, versioned: false };
  }
}

/** Makes the chart reachable: `helm repo add` for a repository, `helm registry login` for OCI with credentials. */
export async function prepareChart(
  helm: Helm,
  chart: ChartRef,
  repo: RepoSettings,
): Promise<ChartSource> {
  const source = chartSource(chart, repo);
  if (chart.kind === 'repo') {
    await helm.repoAdd(repo.name, repo.url, repo.username, repo.password);
  } else if (chart.kind === 'oci' && repo.username && repo.password) {
    await helm.registryLogin(
      new URL(chart.url.replace(/^oci:/, 'https:')).host,
      repo.username,
      repo.password,
    );
  } else {
    core.info(`Chart ${source.ref}: no repository to add`);
  }
  return source;
}

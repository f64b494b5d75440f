import type { ChartRef, Command, RepoSettings, Settings } from '../settings.js';
import { type InputReader, withoutLeadingV } from './reader.js';

/** A version as SemVer 2.0.0 defines it (semver.org's pattern): what helm's --version pins exactly. */
const SEMANTIC_VERSION =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*)?(?:\+[0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*)?$/;

export type ChartSettings = Pick<Settings, 'chart' | 'chartVersion' | 'repo'>;

// A Helm repository name, and a chart name in a repository.
const REPO_ENTRY_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** The chart, its version and the repository it comes from. */
export function parseChart(reader: InputReader, command: Command): ChartSettings {
  return {
    chart: parseChartRef(reader),
    chartVersion: parseChartVersion(reader, command),
    repo: parseRepo(reader),
  };
}

function parseChartRef(reader: InputReader): ChartRef {
  const chart = reader.text('chart') || 'lily';
  if (chart.startsWith('oci://')) return { kind: 'oci', url: chart };
  if (REPO_ENTRY_NAME.test(chart) && !chart.endsWith('.tgz')) {
    return { kind: 'repo', name: chart };
  }
  if (chart.includes('://')) {
    reader.fail(
      'chart',
      `is '${chart}'; allowed: a chart name in the repository, an oci:// reference, or a local path`,
    );
  }
  return { kind: 'local', path: chart };
}

function parseChartVersion(reader: InputReader, command: Command): string {
  // A deploy and its plan need a chart version; an uninstall or sweep takes the same step's inputs.
  const text =
    command === 'deploy' || command === 'plan'
      ? reader.required('chart-version')
      : reader.text('chart-version') || 'latest';
  const version = withoutLeadingV(text);
  if (version !== '') {
    reader.check(
      'chart-version',
      version,
      version === 'latest' || SEMANTIC_VERSION.test(version),
      "an exact semantic version such as 0.1.4 or 0.1.5-rc1, or 'latest'",
    );
  }
  return version;
}

function parseRepo(reader: InputReader): RepoSettings {
  const name = reader.text('repo-name') || 'filecoin';
  reader.check('repo-name', name, REPO_ENTRY_NAME.test(name), 'letters, digits, ., _ and -');
  const url = reader.httpUrl(
    'repo-url',
    reader.text('repo-url') || 'https://filecoin-project.github.io/helm-charts',
  );
  const username = reader.text('repo-username') || undefined;
  const password = reader.text('repo-password') || undefined;
  if (password) reader.secret(password);
  if (Boolean(username) !== Boolean(password)) {
    reader.fail(
      username ? 'repo-password' : 'repo-username',
      'is required when the other repository credential is given',
    );
  }
  return { name, url, username, password };
}

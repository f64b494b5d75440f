// A classic (index.yaml) Helm chart repository for tests: a chart directory is
// packaged with the real `helm package` at several versions, indexed with
// `helm repo index` (relative URLs, which helm 3 and 4 both resolve against
// the repository URL), and served by a StaticServer on 127.0.0.1, optionally
// behind basic auth. helm always runs with a private HELM_*_HOME.

import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as yaml from 'js-yaml';
import { removeAtExit } from './cache.js';
import { StaticServer, type BasicAuth } from './static-server.js';
import { helmTool, removeHelmHome, runHelm, tempHelmHome, type HelmMajor } from './tools.js';

export interface ChartVersionSpec {
  version: string;
  /** Passed as --app-version; by default the chart's own appVersion is kept. */
  appVersion?: string;
}

export interface PackageChartRepoOptions {
  /** A chart directory (with Chart.yaml). */
  chartDir: string;
  /** The chart versions to package, e.g. ['0.1.3', '0.1.4', '0.1.5-rc1']. */
  versions: readonly (string | ChartVersionSpec)[];
  /** --app-version for every version that has none of its own. */
  appVersion?: string;
  /** The helm that packages and indexes (default 3). */
  helm?: HelmMajor;
  /** The directory served (default a new temp dir). */
  root?: string;
  /** A sub-path the repository lives under, e.g. '/charts' (default: the root). */
  prefix?: string;
}

export interface PackagedChart {
  version: string;
  appVersion: string;
  /** The .tgz on disk. */
  file: string;
  /** Its URL path on the server, e.g. '/lily-0.1.3.tgz'. */
  path: string;
  digest: string;
}

export interface ChartRepoContent {
  /** The directory served. */
  root: string;
  /** The sub-path of the repository ('' or e.g. '/charts'). */
  prefix: string;
  /** The chart's name, from its Chart.yaml. */
  name: string;
  charts: PackagedChart[];
}

interface IndexFile {
  entries?: Record<
    string,
    { version: string; appVersion?: string; urls: string[]; digest: string }[]
  >;
}

/** Packages and indexes the chart; no server. */
export async function packageChartRepo(
  options: PackageChartRepoOptions,
): Promise<ChartRepoContent> {
  const prefix = (options.prefix ?? '').replace(/\/+$/, '').replace(/^(?=[^/])/, '/');
  let root = options.root;
  if (root === undefined) {
    root = await mkdtemp(join(tmpdir(), 'lily-deploy-chart-repo-'));
    removeAtExit(root);
  }
  const dir = join(root, prefix);
  await mkdir(dir, { recursive: true });
  const chart = yaml.load(await readFile(join(options.chartDir, 'Chart.yaml'), 'utf8')) as {
    name: string;
  };

  const tool = await helmTool(options.helm ?? 3);
  const home = await tempHelmHome();
  try {
    for (const entry of options.versions) {
      const spec = typeof entry === 'string' ? { version: entry } : entry;
      const appVersion = spec.appVersion ?? options.appVersion;
      const args = ['package', options.chartDir, '--version', spec.version, '-d', dir];
      if (appVersion !== undefined) args.push('--app-version', appVersion);
      await runHelm(tool, args, { home });
    }
    await runHelm(tool, ['repo', 'index', dir], { home });
  } finally {
    await removeHelmHome(home);
  }

  const index = yaml.load(await readFile(join(dir, 'index.yaml'), 'utf8')) as IndexFile;
  const charts = (index.entries?.[chart.name] ?? []).map((e): PackagedChart => ({
    version: e.version,
    appVersion: e.appVersion ?? '',
    file: join(dir, e.urls[0] ?? ''),
    path: `${prefix}/${e.urls[0] ?? ''}`,
    digest: e.digest,
  }));
  return { root, prefix, name: chart.name, charts };
}

/** A running chart repository. `repoUrl` is what `helm repo add` takes. */
export class ChartRepo extends StaticServer {
  constructor(
    readonly content: ChartRepoContent,
    auth?: BasicAuth,
    /** Delete content.root on close() (startChartRepo does when it packaged it). */
    private readonly removeOnClose = false,
  ) {
    super(auth ? { root: content.root, auth } : { root: content.root });
  }

  override async close(): Promise<void> {
    await super.close();
    if (this.removeOnClose) await rm(this.content.root, { recursive: true, force: true });
  }

  /** The repository URL (server URL plus prefix, no trailing slash). */
  get repoUrl(): string {
    return this.url + this.content.prefix;
  }

  /** URL path of index.yaml, e.g. '/index.yaml'. */
  get indexPath(): string {
    return `${this.content.prefix}/index.yaml`;
  }

  get name(): string {
    return this.content.name;
  }

  /** The packaged chart of this version. */
  chart(version: string): PackagedChart {
    const found = this.content.charts.find((c) => c.version === version);
    if (!found) throw new Error(`the repository has no ${this.content.name} ${version}`);
    return found;
  }
}

export type StartChartRepoOptions = (PackageChartRepoOptions | { content: ChartRepoContent }) & {
  /** Require basic auth with this user and password. */
  auth?: BasicAuth;
};

/**
 * Packages (unless `content` is given) and serves the repository on 127.0.0.1.
 * A repository packaged here into a temp dir is deleted by close().
 */
export async function startChartRepo(options: StartChartRepoOptions): Promise<ChartRepo> {
  if ('content' in options) return new ChartRepo(options.content, options.auth).listen();
  const content = await packageChartRepo(options);
  return new ChartRepo(content, options.auth, options.root === undefined).listen();
}

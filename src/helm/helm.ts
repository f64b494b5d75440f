import {
  type HelmMajor,
  listAllFlags,
  type UpgradeOptions,
  upgradeArgs,
  waitFlags,
} from './flags.js';
import { BoundTool, CommandError, type RunResult } from '../process.js';
import { isRecord } from '../yaml.js';

/** What `helm get metadata -o json` tells about a release's latest revision. */
export interface ReleaseStatus {
  name: string;
  namespace: string;
  revision: number;
  status: string;
  chartName: string;
  chartVersion: string;
  appVersion: string;
  /** When the revision's operation started (also for a pending one). */
  lastDeployed: string;
}

/** `helm get metadata -o json`: the status, and the release's own labels (`--labels`). */
export interface ReleaseMetadata extends ReleaseStatus {
  labels: Record<string, string>;
}

/** One line of `helm history -o json`. */
export interface HistoryEntry {
  revision: number;
  status: string;
  updated: string;
  description?: string;
}

export interface TemplateOptions {
  namespace: string;
  valuesFiles: string[];
  /** Value flags of extra-args (--set and the like), as given. */
  valueArgs: string[];
}

/** What `helm upgrade --install --dry-run=server` would make the release. */
export interface DryRunRelease {
  /** The rendered manifest, as the upgrade would apply it. */
  manifest: string;
  /** The chart's hooks, as a manifest: `helm template` renders them among the rest. */
  hooks: string;
  chartVersion: string;
}

/**
 * How a helm command that changes the release is stopped: SIGTERM when the
 * signal aborts (helm then records the release as failed), SIGKILL if it has
 * not exited this long after.
 */
export interface HelmStop {
  signal: AbortSignal;
  killAfterMs: number;
}

/**
 * Where helm keeps what a run gives it: the repository list and its index
 * cache, registry logins (credentials) and Helm 4's chart cache, each a path
 * in the run's own directory (`path(name)`), which the post step removes.
 * helm's defaults are under HOME, which a self-hosted runner keeps from one
 * job to the next; and the runner's own helm setup is neither read nor changed.
 */
export function privateHelmEnv(path: (name: string) => string): Record<string, string> {
  return {
    HELM_REPOSITORY_CONFIG: path('helm-repositories.yaml'),
    HELM_REPOSITORY_CACHE: path('helm-repository-cache'),
    HELM_REGISTRY_CONFIG: path('helm-registry.json'),
    HELM_CONTENT_CACHE: path('helm-content-cache'),
  };
}

/** A thin wrapper over one helm binary, bound to one kube context. */
export class Helm extends BoundTool {
  constructor(
    binary: string,
    readonly major: HelmMajor,
    env: NodeJS.ProcessEnv,
    private readonly kubeContext?: string,
    installed?: Promise<unknown>,
  ) {
    super(binary, env, installed);
  }

  async repoAdd(name: string, url: string, username?: string, password?: string): Promise<void> {
    const auth = username ? ['--username', username, '--password-stdin'] : [];
    await this.checked(['repo', 'add', name, url, '--force-update', ...auth], { input: password });
  }

  async registryLogin(host: string, username: string, password: string): Promise<void> {
    await this.checked(['registry', 'login', host, '--username', username, '--password-stdin'], {
      input: password,
    });
  }

  /**
   * Downloads the chart into `destination` (an archive; with --verify in
   * `fetchArgs`, its provenance file beside it, where a later --verify finds it).
   */
  async pull(
    chartRef: string,
    destination: string,
    version: string | undefined,
    fetchArgs: string[],
  ): Promise<void> {
    await this.checked([
      'pull',
      chartRef,
      ...fetchArgs,
      ...(version ? ['--version', version] : []),
      '--destination',
      destination,
    ]);
  }

  /**
   * The release's manifest as `helm upgrade --install` would apply it, rendered
   * locally (no cluster access: a kind the cluster lacks renders all the same).
   */
  async template(release: string, chartRef: string, options: TemplateOptions): Promise<string> {
    const args = [
      'template',
      release,
      chartRef,
      '--namespace',
      options.namespace,
      ...options.valuesFiles.flatMap((file) => ['--values', file]),
      ...options.valueArgs,
    ];
    return (await this.checked(args, { quiet: true })).stdout;
  }

  /**
   * The release as `helm upgrade --install` would apply it, changing nothing:
   * rendered with the cluster's capabilities and lookups, checked against the
   * cluster's kinds, the release's state read (so it needs the same reads as
   * the upgrade). Throws helm's error.
   */
  async dryRun(options: UpgradeOptions): Promise<DryRunRelease> {
    const args = [
      ...upgradeArgs(this.major, { ...options, wait: false, atomic: false }),
      '--dry-run=server',
      '--output',
      'json',
    ];
    const doc = JSON.parse((await this.checked(args, { quiet: true })).stdout) as unknown;
    const release = isRecord(doc) ? doc : {};
    const chart =
      isRecord(release.chart) && isRecord(release.chart.metadata) ? release.chart.metadata : {};
    const hooks = Array.isArray(release.hooks) ? release.hooks.filter(isRecord) : [];
    return {
      manifest: typeof release.manifest === 'string' ? release.manifest : '',
      hooks: hooks
        .map((hook) => (typeof hook.manifest === 'string' ? hook.manifest : ''))
        .filter(Boolean)
        .join('\n---\n'),
      chartVersion: typeof chart.version === 'string' ? chart.version : '',
    };
  }

  /**
   * The release's user-supplied values, or with `all` the values merged over
   * the chart's (for a release driver only helm reads).
   */
  async userValues(
    release: string,
    namespace: string,
    { all } = { all: false },
  ): Promise<Record<string, unknown>> {
    const stdout = await this.outputUnlessMissing([
      'get',
      'values',
      release,
      '--namespace',
      namespace,
      '--output',
      'json',
      ...(all ? ['--all'] : []),
    ]);
    const doc = stdout === undefined ? undefined : (JSON.parse(stdout) as unknown);
    return isRecord(doc) ? doc : {};
  }

  /** The release's latest revision, or undefined when there is no such release. */
  async status(release: string, namespace: string): Promise<ReleaseMetadata | undefined> {
    const args = ['get', 'metadata', release, '--namespace', namespace, '-o', 'json'];
    const stdout = await this.outputUnlessMissing(args);
    return stdout === undefined ? undefined : parseReleaseMetadata(stdout);
  }

  /** The chart's NOTES as rendered for the release. */
  async notes(release: string, namespace: string): Promise<string> {
    const stdout = await this.outputUnlessMissing([
      'status',
      release,
      '--namespace',
      namespace,
      '-o',
      'json',
    ]);
    if (stdout === undefined) return '';
    return (JSON.parse(stdout) as { info?: { notes?: string } }).info?.notes ?? '';
  }

  /** The names of the releases in the namespace, whatever their status. */
  async list(namespace: string): Promise<string[]> {
    const args = ['list', '--namespace', namespace, ...listAllFlags(this.major), '-o', 'json'];
    const { stdout } = await this.checked(args, { quiet: true });
    return (JSON.parse(stdout) as { name: string }[]).map((r) => r.name);
  }

  async history(release: string, namespace: string): Promise<HistoryEntry[]> {
    const stdout = await this.outputUnlessMissing([
      'history',
      release,
      '--namespace',
      namespace,
      '-o',
      'json',
    ]);
    return stdout === undefined ? [] : (JSON.parse(stdout) as HistoryEntry[]);
  }

  /** The manifest of a revision (the latest when none is given); undefined while it does not exist. */
  getManifest(release: string, namespace: string, revision?: number): Promise<string | undefined> {
    const rev = revision === undefined ? [] : ['--revision', String(revision)];
    return this.outputUnlessMissing(['get', 'manifest', release, '--namespace', namespace, ...rev]);
  }

  /**
   * `helm upgrade --install`, streamed to the log. Returns helm's result, a
   * failure included: what the failure means is decided by the caller.
   */
  upgrade(options: UpgradeOptions, stop: HelmStop): Promise<RunResult> {
    return this.run(upgradeArgs(this.major, options), { stream: true, ...stop });
  }

  /** Rolls back without waiting for the pods (a pending release's repair). */
  async rollback(
    release: string,
    namespace: string,
    revision: number,
    timeout: string,
  ): Promise<void> {
    await this.checked(rollbackArgs(release, namespace, revision, timeout));
  }

  /** Rolls back and waits for the revision's pods, as an upgrade does; streamed, like upgrade. */
  rollbackAndWait(
    release: string,
    namespace: string,
    revision: number,
    timeout: string,
    stop: HelmStop,
  ): Promise<RunResult> {
    const args = [
      ...rollbackArgs(release, namespace, revision, timeout),
      ...waitFlags(this.major, true),
    ];
    return this.run(args, { stream: true, ...stop });
  }

  /**
   * Uninstalls, waiting until the release's objects are gone. (Not with a
   * foreground cascade: Helm 4's watcher then reports the Terminating
   * StatefulSet as an error instead of waiting for it.)
   */
  async uninstall(
    release: string,
    namespace: string,
    timeout: string,
    wait: boolean,
  ): Promise<void> {
    await this.checked([
      'uninstall',
      release,
      '--namespace',
      namespace,
      '--timeout',
      timeout,
      ...waitFlags(this.major, wait),
    ]);
  }

  /** stdout of a read command, or undefined when helm says the release (revision) is not found. */
  private async outputUnlessMissing(args: string[]): Promise<string | undefined> {
    const result = await this.run(args, { quiet: true });
    if (result.exitCode === 0) return result.stdout;
    if (/not found/.test(result.stderr)) return undefined;
    throw new CommandError(this.commandLine(args), result);
  }

  protected withContext(args: string[]): string[] {
    return this.kubeContext ? [...args, '--kube-context', this.kubeContext] : args;
  }
}

function rollbackArgs(
  release: string,
  namespace: string,
  revision: number,
  timeout: string,
): string[] {
  return ['rollback', release, String(revision), '--namespace', namespace, '--timeout', timeout];
}

/** Reads `helm get metadata -o json`, which Helm 3 (3.13 on) and Helm 4 print alike. */
export function parseReleaseMetadata(json: string): ReleaseMetadata {
  const doc = JSON.parse(json) as {
    labels?: Record<string, string>;
    name: string;
    namespace: string;
    revision: number;
    status: string;
    chart: string;
    version: string;
    appVersion?: string;
    deployedAt?: string;
  };
  return {
    name: doc.name,
    namespace: doc.namespace,
    revision: doc.revision,
    status: doc.status,
    chartName: doc.chart,
    chartVersion: doc.version,
    appVersion: doc.appVersion ?? '',
    lastDeployed: doc.deployedAt ?? '',
    labels: doc.labels ?? {},
  };
}

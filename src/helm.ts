import * as yaml from 'js-yaml';
import { clusterFlags, type HelmMajor } from './helm-flags.js';
import {
  CommandError,
  commandLine,
  runChecked,
  runCommand,
  type RunOptions,
  type RunResult,
} from './process.js';
import { isRecord } from './yaml-doc.js';

/** What `helm status -o json` tells about a release. */
export interface ReleaseStatus {
  name: string;
  namespace: string;
  revision: number;
  status: string;
  chartName: string;
  chartVersion: string;
  appVersion: string;
  notes: string;
  lastDeployed: string;
}

/** A thin wrapper over one helm binary, bound to one cluster context. */
export class Helm {
  constructor(
    readonly binary: string,
    readonly major: HelmMajor,
    private readonly env: NodeJS.ProcessEnv,
    private readonly kubeContext?: string,
  ) {}

  run(args: string[], options: RunOptions = {}): Promise<RunResult> {
    return runCommand(this.binary, args, { env: this.env, ...options });
  }

  private checked(args: string[], options: RunOptions = {}): Promise<RunResult> {
    return runChecked(this.binary, args, { env: this.env, ...options });
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

  /** The chart's default values.yaml, parsed. */
  async showValues(chartRef: string, version?: string): Promise<Record<string, unknown>> {
    const args = ['show', 'values', chartRef, ...(version ? ['--version', version] : [])];
    const doc = yaml.load((await this.checked(args)).stdout);
    return isRecord(doc) ? doc : {};
  }

  /** The release's status, or undefined when there is no such release. */
  async status(release: string, namespace: string): Promise<ReleaseStatus | undefined> {
    const args = ['status', release, ...clusterFlags(namespace, this.kubeContext), '-o', 'json'];
    const result = await this.run(args, { quiet: true });
    if (result.exitCode !== 0) {
      if (/release: not found/.test(result.stderr)) return undefined;
      throw new CommandError(commandLine(this.binary, args), result);
    }
    return parseReleaseStatus(result.stdout);
  }
}

/** Reads `helm status -o json`, which Helm 3 and Helm 4 print in the same shape. */
export function parseReleaseStatus(json: string): ReleaseStatus {
  const doc = JSON.parse(json) as {
    name: string;
    namespace: string;
    version: number;
    info?: { status?: string; notes?: string; last_deployed?: string };
    chart?: { metadata?: { name?: string; version?: string; appVersion?: string } };
  };
  return {
    name: doc.name,
    namespace: doc.namespace,
    revision: doc.version,
    status: doc.info?.status ?? 'unknown',
    chartName: doc.chart?.metadata?.name ?? '',
    chartVersion: doc.chart?.metadata?.version ?? '',
    appVersion: doc.chart?.metadata?.appVersion ?? '',
    notes: doc.info?.notes ?? '',
    lastDeployed: doc.info?.last_deployed ?? '',
  };
}

import * as core from '@actions/core';
import { HttpClient } from '@actions/http-client';

// GitHub Deployments for the release: created when a deploy starts, marked
// in_progress, then success or failure; marked inactive on uninstall. A
// failing GitHub API call is a warning: the cluster is what matters.

export type DeploymentState = 'in_progress' | 'success' | 'failure' | 'inactive';

export interface RunContext {
  apiUrl: string;
  /** owner/name */
  repository: string;
  /** The link to this workflow run. */
  runUrl: string;
}

/** The run as the runner describes it in its environment. */
export function runContext(env: NodeJS.ProcessEnv): RunContext {
  const server = env.GITHUB_SERVER_URL ?? 'https://github.com';
  const repository = env.GITHUB_REPOSITORY ?? '';
  return {
    apiUrl: (env.GITHUB_API_URL ?? 'https://api.github.com').replace(/\/+$/, ''),
    repository,
    runUrl: `${server}/${repository}/actions/runs/${env.GITHUB_RUN_ID ?? ''}`,
  };
}

export interface DeploymentRequest {
  ref: string;
  environment: string;
  description: string;
  auto_merge: false;
  required_contexts: [];
  transient_environment: boolean;
  production_environment: boolean;
}

export function deploymentRequest(
  ref: string,
  environment: string,
  release: string,
  preview: boolean,
): DeploymentRequest {
  return {
    ref,
    environment,
    description: `Lily release ${release}`,
    auto_merge: false,
    required_contexts: [],
    transient_environment: preview,
    production_environment: !preview,
  };
}

export function statusRequest(state: DeploymentState, runUrl: string, environmentUrl?: string) {
  return {
    state,
    log_url: runUrl,
    ...(environmentUrl && state === 'success' ? { environment_url: environmentUrl } : {}),
    description: {
      in_progress: 'Deploying with lily-deploy',
      success: 'Deployed',
      failure: 'The deploy failed: see the run',
      inactive: 'Uninstalled',
    }[state],
  };
}

/** An HTTP client for the GitHub REST API, authenticated with the token. */
export function githubClient(token: string): HttpClient {
  return new HttpClient('lily-deploy', [], {
    headers: {
      authorization: `Bearer ${token}`,
      accept: 'application/vnd.github+json',
      'x-github-api-version': '2022-11-28',
    },
  });
}

export class GithubDeployments {
  private readonly http: HttpClient;

  constructor(
    private readonly run: RunContext,
    token: string,
  ) {
    this.http = githubClient(token);
  }

  /** Creates the deployment and marks it in progress; undefined when GitHub refused. */
  async start(request: DeploymentRequest): Promise<number | undefined> {
    return this.attempt(`create a deployment for ${request.environment}`, async () => {
      const created = await this.http.postJson<{ id: number }>(this.url('deployments'), request);
      const id = created.result?.id;
      if (id === undefined) throw new Error(`HTTP ${created.statusCode} without a deployment id`);
      await this.setState(id, 'in_progress');
      core.info(`GitHub deployment ${id} for environment ${request.environment}: in_progress`);
      return id;
    });
  }

  async finish(id: number, state: 'success' | 'failure', environmentUrl?: string): Promise<void> {
    await this.attempt(`mark deployment ${id} ${state}`, () =>
      this.setState(id, state, environmentUrl),
    );
  }

  /** Marks every deployment of the environment inactive; returns how many. */
  async deactivate(environment: string): Promise<number> {
    return (
      (await this.attempt(`mark the deployments of ${environment} inactive`, async () => {
        const query = `deployments?environment=${encodeURIComponent(environment)}&per_page=100`;
        const list = (await this.http.getJson<{ id: number }[]>(this.url(query))).result ?? [];
        for (const deployment of list) await this.setState(deployment.id, 'inactive');
        core.info(`GitHub deployments of ${environment} marked inactive: ${list.length}`);
        return list.length;
      })) ?? 0
    );
  }

  private async setState(
    id: number,
    state: DeploymentState,
    environmentUrl?: string,
  ): Promise<void> {
    await this.http.postJson(
      this.url(`deployments/${id}/statuses`),
      statusRequest(state, this.run.runUrl, environmentUrl),
    );
  }

  private url(path: string): string {
    return `${this.run.apiUrl}/repos/${this.run.repository}/${path}`;
  }

  private async attempt<T>(what: string, call: () => Promise<T>): Promise<T | undefined> {
    try {
      return await call();
    } catch (err) {
      core.warning(`Could not ${what} on GitHub: ${(err as Error).message}`);
      return undefined;
    }
  }
}

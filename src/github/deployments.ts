import * as core from '@actions/core';
import type { RepositoryApi } from './repository-api.js';

// GitHub Deployments for the release: created when a deploy starts, marked
// in_progress, then success or failure; marked inactive on uninstall. A
// failing GitHub API call is a warning: the cluster is what matters.

export type DeploymentState = 'in_progress' | 'success' | 'failure' | 'inactive';

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

export class GithubDeployments {
  constructor(private readonly api: RepositoryApi) {}

  /** Creates the deployment and marks it in progress; undefined when GitHub refused. */
  async start(request: DeploymentRequest): Promise<number | undefined> {
    return this.api.attempt(`create a deployment for ${request.environment}`, async () => {
      const created = await this.api.http.postJson<{ id: number }>(
        this.api.url('deployments'),
        request,
      );
      const id = created.result?.id;
      if (id === undefined) throw new Error(`HTTP ${created.statusCode} without a deployment id`);
      await this.setState(id, 'in_progress');
      core.info(`GitHub deployment ${id} for environment ${request.environment}: in_progress`);
      return id;
    });
  }

  async finish(id: number, state: 'success' | 'failure', environmentUrl?: string): Promise<void> {
    await this.api.attempt(`mark deployment ${id} ${state}`, () =>
      this.setState(id, state, environmentUrl),
    );
  }

  /** Marks every deployment of the environment inactive; returns how many. */
  async deactivate(environment: string): Promise<number> {
    return (
      (await this.api.attempt(`mark the deployments of ${environment} inactive`, async () => {
        const query = `deployments?environment=${encodeURIComponent(environment)}&per_page=100`;
        const list =
          (await this.api.http.getJson<{ id: number }[]>(this.api.url(query))).result ?? [];
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
    await this.api.http.postJson(
      this.api.url(`deployments/${id}/statuses`),
      statusRequest(state, this.api.run.runUrl, environmentUrl),
    );
  }
}

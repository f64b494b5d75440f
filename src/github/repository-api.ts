import * as core from '@actions/core';
import { HttpClient } from '@actions/http-client';

// The GitHub REST API of the run's repository, as the run's token reaches it.
// A failing call is a warning where it is attempted: the cluster is what
// matters.

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

export class RepositoryApi {
  readonly http: HttpClient;

  constructor(
    readonly run: RunContext,
    token: string,
  ) {
    this.http = githubClient(token);
  }

  /** The URL of a path under the repository: `deployments`, `issues/3/comments`. */
  url(path: string): string {
    return `${this.run.apiUrl}/repos/${this.run.repository}/${path}`;
  }

  /** The GraphQL endpoint beside the REST one: `…/graphql`, `https://HOST/api/graphql` on GitHub Enterprise Server. */
  graphqlUrl(): string {
    return `${this.run.apiUrl.replace(/\/api\/v3$/, '/api')}/graphql`;
  }

  /** The call's result, or undefined after a warning naming what failed. */
  async attempt<T>(what: string, call: () => Promise<T>): Promise<T | undefined> {
    try {
      return await call();
    } catch (err) {
      core.warning(`Could not ${what} on GitHub: ${(err as Error).message}`);
      return undefined;
    }
  }
}

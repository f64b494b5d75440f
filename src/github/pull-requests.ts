import { githubClient } from './repository-api.js';

// The state of pull requests, for a sweep: whether each preview's pull
// request is still open.

/** A pull request's state as GitHub gave it, or why it could not be read. */
export type PullRequestState = 'open' | 'closed' | 'merged' | { error: string };

export class PullRequests {
  private readonly http;

  constructor(
    private readonly apiUrl: string,
    token: string,
  ) {
    this.http = githubClient(token);
  }

  /** The state of pull request `number` of `repository` (`owner/name`); an error is an answer too. */
  async state(repository: string, number: number): Promise<PullRequestState> {
    try {
      const response = await this.http.getJson<{ state?: string; merged?: boolean }>(
        `${this.apiUrl}/repos/${repository}/pulls/${number}`,
      );
      const pull = response.result;
      if (response.statusCode === 404) {
        return {
          error: 'HTTP 404: no such pull request, or the token may not read the repository',
        };
      }
      if (response.statusCode !== 200 || !pull) return { error: `HTTP ${response.statusCode}` };
      if (pull.merged === true) return 'merged';
      if (pull.state === 'open' || pull.state === 'closed') return pull.state;
      return { error: `GitHub answered an unknown state '${String(pull.state)}'` };
    } catch (err) {
      return { error: (err as Error).message };
    }
  }
}

import { previewEnvironment, pullRequestOf } from '../github/preview.js';
import type { GithubSettings, Settings } from '../settings.js';
import type { InputReader } from './reader.js';
import type { EventContext } from './target.js';

/**
 * GitHub Deployments and the plan comment: github-token (off without one),
 * environment and environment-url. The environment defaults to the
 * preview's or the namespace.
 */
export function parseGithub(
  reader: InputReader,
  target: Pick<Settings, 'command' | 'preview' | 'namespace'>,
  event: EventContext,
): GithubSettings {
  const token = reader.text('github-token') || undefined;
  if (token) reader.secret(token);
  if (!token && target.command === 'sweep') {
    reader.fail(
      'github-token',
      "is empty: command sweep reads each preview's pull request from the GitHub API with it (pull-requests: read)",
    );
  }
  const environment =
    reader.text('environment') ||
    (target.preview ? previewEnvironment(target.preview.number) : target.namespace);
  const environmentUrl = reader.text('environment-url') || undefined;
  if (environmentUrl) reader.httpUrl('environment-url', environmentUrl);
  const pullRequest = pullRequestOf(event.eventName, event.payload);
  return {
    token,
    pullRequest: typeof pullRequest === 'string' ? undefined : pullRequest.number,
    environment,
    environmentUrl,
  };
}

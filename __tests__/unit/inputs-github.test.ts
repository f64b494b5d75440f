import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseGithub } from '../../src/inputs/github.js';
import type { InputReader } from '../../src/inputs/reader.js';
import type { EventContext } from '../../src/inputs/target.js';
import type { Command, PullRequestEvent } from '../../src/settings.js';
import { parseGroup } from './fake-inputs.js';

/** The github inputs of a release in namespace lily-prod, or of a preview. */
function parseGithubOf(
  given: Record<string, string>,
  preview?: PullRequestEvent,
  {
    event = { eventName: 'push', payload: {} },
    command = 'deploy',
  }: {
    event?: EventContext;
    command?: Command;
  } = {},
) {
  const namespace = preview ? `lily-pr-${preview.number}` : 'lily-prod';
  return parseGroup(
    (reader: InputReader) => parseGithub(reader, { command, namespace, preview }, event),
    given,
  );
}

describe('parseGithub', () => {
  it('is off without a token, the environment named after the namespace', () => {
    assert.deepEqual(parseGithubOf({}), {
      parsed: {
        token: undefined,
        pullRequest: undefined,
        environment: 'lily-prod',
        environmentUrl: undefined,
      },
      errors: [],
      secrets: [],
    });
  });

  it('masks the token and names a preview environment after its pull request', () => {
    const given = { 'github-token': 'ghs_canary', 'environment-url': 'https://lily.example' };
    const event = { eventName: 'pull_request', payload: { number: 12, action: 'opened' } };
    assert.deepEqual(parseGithubOf(given, { number: 12, action: 'opened' }, { event }), {
      parsed: {
        token: 'ghs_canary',
        pullRequest: 12,
        environment: 'preview/pr-12',
        environmentUrl: 'https://lily.example',
      },
      errors: [],
      secrets: ['ghs_canary'],
    });
  });

  it('takes the environment given, and refuses an environment-url that is not http(s)', () => {
    const { parsed, errors } = parseGithubOf({
      environment: 'production',
      'environment-url': 'lily.example.org',
    });
    assert.equal(parsed.environment, 'production');
    assert.deepEqual(errors, [
      "Input 'environment-url' is 'lily.example.org'; allowed: an http:// or https:// URL",
    ]);
  });

  it('knows the pull request of a pull_request event without preview (for the plan comment)', () => {
    const event = { eventName: 'pull_request', payload: { number: 7, action: 'synchronize' } };
    assert.equal(parseGithubOf({}, undefined, { event }).parsed.pullRequest, 7);
    assert.equal(parseGithubOf({}).parsed.pullRequest, undefined);
  });

  it('needs a token for a sweep, which reads the pull requests with it', () => {
    assert.deepEqual(parseGithubOf({}, undefined, { command: 'sweep' }).errors, [
      "Input 'github-token' is empty: command sweep reads each preview's pull request from the GitHub API with it (pull-requests: read)",
    ]);
    assert.deepEqual(
      parseGithubOf({ 'github-token': 'ghs_x' }, undefined, { command: 'sweep' }).errors,
      [],
    );
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deploymentRequest, statusRequest } from '../../src/github/deployments.js';
import { runContext } from '../../src/github/repository-api.js';
import { parseInputs } from '../../src/inputs/parse.js';
import { previewName, pullRequestOf } from '../../src/github/preview.js';

describe('previewName', () => {
  it('is <base>-pr-<number> when it fits', () => {
    assert.equal(previewName('lily', 42, 53), 'lily-pr-42');
  });
  it('shortens a long base with a stable hash, within the limit, as a valid DNS label', () => {
    const base = 'lily-indexer-for-the-filecoin-mainnet-archive-nodes-x';
    assert.equal(base.length, 53);
    const name = previewName(base, 12345, 53);
    assert.ok(name.length <= 53, name);
    assert.match(name, /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    assert.match(name, /-[0-9a-f]{6}-pr-12345$/);
    assert.equal(previewName(base, 12345, 53), name, 'the same every time');
    assert.notEqual(
      previewName(`${base.slice(0, -1)}y`, 12345, 53),
      name,
      'another base, another name',
    );
    assert.ok(previewName(base, 12345, 63).length <= 63);
  });
});

describe('pullRequestOf', () => {
  it('reads the number, action and head of a pull_request or pull_request_target event', () => {
    const payload = {
      action: 'closed',
      number: 7,
      pull_request: { number: 7, head: { sha: 'abc' } },
    };
    assert.deepEqual(pullRequestOf('pull_request', payload), {
      number: 7,
      action: 'closed',
      headSha: 'abc',
    });
    assert.deepEqual(pullRequestOf('pull_request_target', payload), {
      number: 7,
      action: 'closed',
      headSha: 'abc',
    });
  });
  it('says why there is none', () => {
    assert.match(
      pullRequestOf('push', {}) as string,
      /needs a pull_request .* this run is a push event/,
    );
    assert.match(pullRequestOf('pull_request', { action: 'opened' }) as string, /number/);
  });
});

describe('preview inputs', () => {
  const inputs = (given: Record<string, string>) => (name: string) => given[name] ?? '';
  const event = (action: string) => ({
    eventName: 'pull_request',
    payload: { action, number: 9, pull_request: { number: 9 } },
  });

  it('derive the release, the namespace (created on demand) and the environment', () => {
    const { settings } = parseInputs(
      inputs({ release: 'lily', 'chart-version': '0.1.4', preview: 'true' }),
      event('opened'),
    );
    assert.ok(settings);
    assert.equal(settings.release, 'lily-pr-9');
    assert.equal(settings.namespace, 'lily-pr-9');
    assert.equal(settings.createNamespace, true);
    assert.equal(settings.command, 'deploy');
    assert.equal(settings.github.environment, 'preview/pr-9');
  });
  it('keep an explicit namespace, and uninstall a closed pull request without a chart version', () => {
    const { settings, errors } = parseInputs(
      inputs({ release: 'lily', namespace: 'previews', preview: 'true' }),
      event('closed'),
    );
    assert.deepEqual(errors, []);
    assert.ok(settings);
    assert.equal(settings.command, 'uninstall');
    assert.equal(settings.namespace, 'previews');
    assert.equal(settings.createNamespace, false);
  });
  it('refuse bad preview inputs before anything happens, naming them', () => {
    const cases: [Record<string, string>, string, RegExp][] = [
      [
        { preview: 'true' },
        'preview',
        /needs a pull_request or pull_request_target event; this run is a push event/,
      ],
      [{ 'delete-pvcs': 'yes' }, 'delete-pvcs', /'yes'; allowed: true, false/],
      [{ 'delete-namespace': '0' }, 'delete-namespace', /'0'/],
      [{ 'environment-url': 'ftp://x' }, 'environment-url', /http/],
      [{ command: 'destroy' }, 'command', /deploy, plan, uninstall/],
    ];
    for (const [given, name, says] of cases) {
      const { errors } = parseInputs(
        inputs({ release: 'lily', 'chart-version': '0.1.4', ...given }),
        { eventName: 'push', payload: {} },
      );
      const error = errors.find((e) => e.startsWith(`Input '${name}'`));
      assert.ok(error, `${name}: ${JSON.stringify(errors)}`);
      assert.match(error, says);
    }
    const noNumber = parseInputs(
      inputs({ release: 'lily', 'chart-version': '0.1.4', preview: 'true' }),
      { eventName: 'pull_request', payload: {} },
    );
    assert.match(
      noNumber.errors[0] ?? '',
      /^Input 'preview' is true, which needs the pull request number/,
    );
  });
});

describe('GitHub Deployments requests', () => {
  it('are built from the run context', () => {
    const run = runContext({
      GITHUB_API_URL: 'https://ghe.example/api/v3/',
      GITHUB_SERVER_URL: 'https://ghe.example',
      GITHUB_REPOSITORY: 'o/r',
      GITHUB_RUN_ID: '5',
    });
    assert.deepEqual(run, {
      apiUrl: 'https://ghe.example/api/v3',
      repository: 'o/r',
      runUrl: 'https://ghe.example/o/r/actions/runs/5',
    });
    assert.equal(
      deploymentRequest('abc', 'production', 'lily', false).production_environment,
      true,
    );
    assert.equal(
      deploymentRequest('abc', 'preview/pr-1', 'lily-pr-1', true).transient_environment,
      true,
    );
    assert.equal(
      statusRequest('success', run.runUrl, 'https://lily.example').environment_url,
      'https://lily.example',
    );
    assert.equal(
      'environment_url' in statusRequest('failure', run.runUrl, 'https://lily.example'),
      false,
    );
  });
});

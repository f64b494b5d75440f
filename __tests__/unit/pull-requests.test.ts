import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PullRequests } from '../../src/github/pull-requests.js';
import { GithubApi } from '../../test/support/github-api.js';

describe('PullRequests.state', () => {
  let api: GithubApi;
  before(async () => {
    api = await GithubApi.start();
    api.pullRequests.set('octo/lily-infra#1', { state: 'open' });
    api.pullRequests.set('octo/lily-infra#2', { state: 'closed' });
    api.pullRequests.set('octo/lily-infra#3', { state: 'closed', merged: true });
    api.pullRequests.set('octo/lily-infra#4', { status: 502 });
  });
  after(() => api.close());

  it('reads open, closed and merged, with the token', async () => {
    const pulls = new PullRequests(api.url, 'ghs_read');
    assert.equal(await pulls.state('octo/lily-infra', 1), 'open');
    assert.equal(await pulls.state('octo/lily-infra', 2), 'closed');
    assert.equal(await pulls.state('octo/lily-infra', 3), 'merged');
    assert.equal(api.requests.at(-1)?.path, '/repos/octo/lily-infra/pulls/3');
    assert.equal(api.requests.at(-1)?.authorization, 'Bearer ghs_read');
  });

  it('answers why when GitHub fails or has no such pull request', async () => {
    const pulls = new PullRequests(api.url, 'ghs_read');
    const failed = await pulls.state('octo/lily-infra', 4);
    assert.ok(
      typeof failed === 'object' && /Server Error|502/.test(failed.error),
      JSON.stringify(failed),
    );
    const missing = await pulls.state('octo/lily-infra', 5);
    assert.ok(typeof missing === 'object', JSON.stringify(missing));
  });
});

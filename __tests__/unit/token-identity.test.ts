import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RepositoryApi, runContext } from '../../src/github/repository-api.js';
import { tokenIdentity } from '../../src/github/token-identity.js';
import { ACTIONS_BOT, GithubApi } from '../../test/support/github-api.js';

describe('tokenIdentity', () => {
  let github: GithubApi;
  before(async () => {
    github = await GithubApi.start();
  });
  after(() => github.close());
  const apiOf = (token: string) => new RepositoryApi(runContext(github.env()), token);

  it('is the user of a personal access token and the bot of an installation token, as their comments’ authors', async () => {
    const mallory = github.addUser('ghp_mallory', 'mallory');
    assert.deepEqual(await tokenIdentity(apiOf('ghp_mallory')), {
      id: mallory.id,
      login: 'mallory',
    });
    const self = await tokenIdentity(apiOf('ghs_workflowToken'));
    assert.deepEqual(self, { id: ACTIONS_BOT.id, login: ACTIONS_BOT.login });
    // GitHub's REST GET /user refuses the installation token: the answer is GraphQL's.
    const user = await fetch(`${github.url}/user`, {
      headers: { authorization: 'Bearer ghs_workflowToken' },
    });
    assert.equal(user.status, 403);
    const comment = await github.comment('ghs_workflowToken', 1, 'hello');
    assert.equal(comment.user.id, self.id);
  });

  it('fails, saying why, for a token GitHub does not know', async () => {
    await assert.rejects(tokenIdentity(apiOf('ghp_revoked')), /Bad credentials/);
  });

  it('asks the GraphQL endpoint beside the REST one, on GitHub Enterprise Server too', () => {
    const url = (apiUrl: string) =>
      new RepositoryApi({ apiUrl, repository: 'o/r', runUrl: '' }, 't').graphqlUrl();
    assert.equal(url('https://api.github.com'), 'https://api.github.com/graphql');
    assert.equal(url('https://ghe.example/api/v3'), 'https://ghe.example/api/graphql');
  });
});

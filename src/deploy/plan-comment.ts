import * as core from '@actions/core';
import { PullRequestComments } from '../github/pull-request-comments.js';
import { RepositoryApi, type RunContext } from '../github/repository-api.js';
import { tokenIdentity } from '../github/token-identity.js';
import type { PlanFile } from '../plan/plan-file.js';
import { findStickyComment, renderPlanComment } from '../plan/render.js';
import type { Settings } from '../settings.js';

/**
 * The release's sticky comment on the run's pull request: created the first
 * time, then updated in place (found by its hidden marker among the comments
 * the token's own identity wrote), never one more per push. A marker in
 * anyone else's comment is left alone. Without a token or a pull request
 * there is none; a GitHub error is a warning.
 */
export async function keepStickyComment(
  settings: Settings,
  run: RunContext,
  plan: PlanFile,
  status?: string,
): Promise<void> {
  const { token, pullRequest } = settings.github;
  if (!token || pullRequest === undefined) return;
  const api = new RepositoryApi(run, token);
  const comments = new PullRequestComments(api, pullRequest);
  const body = renderPlanComment(plan, { runUrl: api.run.runUrl, status });
  // Without it no comment is known to be ours: a new one, never one someone else wrote.
  const self = api.attempt('tell which comments the token wrote (a new plan comment is made)', () =>
    tokenIdentity(api),
  );
  await api.attempt(`keep the plan comment on pull request #${pullRequest}`, async () => {
    const [all, author] = await Promise.all([comments.list(), self]);
    const existing = author && findStickyComment(all, settings.release, author.id);
    if (existing) {
      await comments.update(existing.id, body);
      core.info(`Comment ${existing.id} on pull request #${pullRequest} updated`);
    } else {
      const id = await comments.create(body);
      core.info(`Comment ${id} on pull request #${pullRequest} created`);
    }
  });
}

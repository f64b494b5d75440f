import * as core from '@actions/core';
import { PullRequestComments } from '../github/pull-request-comments.js';
import { RepositoryApi, type RunContext } from '../github/repository-api.js';
import type { PlanFile } from '../plan/plan-file.js';
import { findStickyComment, renderPlanComment } from '../plan/render.js';
import type { Settings } from '../settings.js';

/**
 * The release's sticky comment on the run's pull request: created the first
 * time, then updated in place (found by its hidden marker), never one more
 * per push. Without a token or a pull request there is none; a GitHub error
 * is a warning.
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
  await api.attempt(`keep the plan comment on pull request #${pullRequest}`, async () => {
    const existing = findStickyComment(await comments.list(), settings.release);
    if (existing) {
      await comments.update(existing.id, body);
      core.info(`Comment ${existing.id} on pull request #${pullRequest} updated`);
    } else {
      const id = await comments.create(body);
      core.info(`Comment ${id} on pull request #${pullRequest} created`);
    }
  });
}

import type { RepositoryApi } from './repository-api.js';

/** A pull-request comment, as the GitHub API lists them. */
export interface IssueComment {
  id: number;
  body?: string | null;
  created_at?: string;
  /** Who wrote it: a user, or an app's bot (`github-actions[bot]`); null for a deleted account. */
  user?: { id: number; login: string; type?: string } | null;
}

const PAGE = 100;
/** Enough pages for any pull request a person reads: 3,000 comments. */
const MOST_PAGES = 30;

/** The comments of one pull request (the issues API: a pull request is an issue). */
export class PullRequestComments {
  constructor(
    private readonly api: RepositoryApi,
    readonly pullRequest: number,
  ) {}

  /** Every comment, oldest first. */
  async list(): Promise<IssueComment[]> {
    const comments: IssueComment[] = [];
    for (let page = 1; page <= MOST_PAGES; page += 1) {
      const path = `issues/${this.pullRequest}/comments?per_page=${PAGE}&page=${page}`;
      const batch = (await this.api.http.getJson<IssueComment[]>(this.api.url(path))).result ?? [];
      comments.push(...batch);
      if (batch.length < PAGE) break;
    }
    return comments;
  }

  async create(body: string): Promise<number> {
    const created = await this.api.http.postJson<IssueComment>(
      this.api.url(`issues/${this.pullRequest}/comments`),
      { body },
    );
    const id = created.result?.id;
    if (id === undefined) throw new Error(`HTTP ${created.statusCode} without a comment id`);
    return id;
  }

  async update(id: number, body: string): Promise<void> {
    await this.api.http.patchJson(this.api.url(`issues/comments/${id}`), { body });
  }
}

import type { RepositoryApi } from './repository-api.js';

/**
 * Who a token acts as: a user (a personal access token) or an app's bot (an
 * installation token, the workflow's github.token among them: its comments
 * are by `github-actions[bot]`). `id` is the id of the `user` of the comments
 * it writes.
 */
export interface TokenIdentity {
  id: number;
  login: string;
}

interface ViewerAnswer {
  data?: { viewer?: { login?: string; databaseId?: number } | null } | null;
  errors?: { message?: string }[];
}

/**
 * The token's identity, from GraphQL's `viewer`: it answers every kind of
 * token, where REST's GET /user refuses installation tokens ("Resource not
 * accessible by integration").
 */
export async function tokenIdentity(api: RepositoryApi): Promise<TokenIdentity> {
  const answer = await api.http.postJson<ViewerAnswer>(api.graphqlUrl(), {
    query: 'query { viewer { login databaseId } }',
  });
  const viewer = answer.result?.data?.viewer;
  if (typeof viewer?.databaseId !== 'number' || !viewer.login) {
    const errors = (answer.result?.errors ?? []).map((e) => e.message).join('; ');
    throw new Error(`GraphQL viewer: ${errors || `HTTP ${answer.statusCode} without a viewer`}`);
  }
  return { id: viewer.databaseId, login: viewer.login };
}

// A local stand-in for the parts of the GitHub REST API that the action uses
// (Deployments, pull-request comments, a sweep's pull request reads, who a
// token is), recording every request: the action reaches it through
// GITHUB_API_URL. Comments have authors as on GitHub: the `user` of the token
// that created them, which is `github-actions[bot]` for an installation token
// (`ghs_…`, the workflow's github.token) unless registered as another.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';

export interface ApiRequest {
  method: string;
  path: string;
  authorization?: string;
  body?: Record<string, unknown>;
}

interface Deployment {
  id: number;
  environment: string;
  statuses: string[];
}

/** Who a token acts as, as GitHub spells a comment's `user`. */
export interface Identity {
  id: number;
  login: string;
  type: 'User' | 'Bot';
}

/** What github.token acts as: its comments are by this bot, performed via the GitHub Actions app. */
export const ACTIONS_BOT: Identity = { id: 41898282, login: 'github-actions[bot]', type: 'Bot' };
const ACTIONS_APP = { id: 15368, slug: 'github-actions', name: 'GitHub Actions' };

export interface Comment {
  id: number;
  /** The pull request (issue) number. */
  issue: number;
  body: string;
  created_at: string;
  updated_at: string;
  user: Identity;
  performed_via_github_app: typeof ACTIONS_APP | null;
}

/** A pull request as the fake answers it, or the HTTP status it fails with. */
export type FakePullRequest = { state: 'open' | 'closed'; merged?: boolean } | { status: number };

export class GithubApi {
  readonly requests: ApiRequest[] = [];
  readonly deployments: Deployment[] = [];
  readonly comments: Comment[] = [];
  /** By `owner/name#number`; one not here is 404. */
  readonly pullRequests = new Map<string, FakePullRequest>();
  /** Tokens that are not installation tokens: personal access tokens, by their user. */
  private readonly users = new Map<string, Identity>();
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<GithubApi> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const api = new GithubApi(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      void readJson(req).then((body) => {
        const answer = api.handle(req, body);
        res
          .writeHead(answer.status, { 'content-type': 'application/json' })
          .end(JSON.stringify(answer.json));
      });
    });
    return api;
  }

  /** A personal access token of a user `login` (another person than the workflow's token). */
  addUser(token: string, login: string): Identity {
    const user: Identity = { id: 5_000 + this.users.size, login, type: 'User' };
    this.users.set(token, user);
    return user;
  }

  /** A comment on pull request `issue` made through the API with `token`, as a person would. */
  async comment(token: string, issue: number, body: string): Promise<Comment> {
    const response = await fetch(`${this.url}/repos/octo/lily-infra/issues/${issue}/comments`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ body }),
    });
    return (await response.json()) as Comment;
  }

  /** Who a request's token acts as; undefined for no or an unknown token (401 on GitHub). */
  private identity(authorization: string | undefined): Identity | undefined {
    const token = /^(?:Bearer|token) (.+)$/i.exec(authorization ?? '')?.[1] ?? '';
    return this.users.get(token) ?? (token.startsWith('ghs_') ? ACTIONS_BOT : undefined);
  }

  /** The environment variables of a run whose API is this server. */
  env(): Record<string, string> {
    return {
      GITHUB_API_URL: this.url,
      GITHUB_SERVER_URL: 'https://github.example',
      GITHUB_REPOSITORY: 'octo/lily-infra',
      GITHUB_RUN_ID: '4242',
      GITHUB_SHA: 'a'.repeat(40),
    };
  }

  /** The environment of a run of `repository` started by a pull_request event. */
  async pullRequestRun(
    number: number,
    action: string,
    { repository = 'octo/lily-infra', headSha = 'b'.repeat(40) } = {},
  ): Promise<Record<string, string>> {
    const path = join(await mkdtemp(join(tmpdir(), 'event-')), 'event.json');
    await writeFile(
      path,
      JSON.stringify({ action, number, pull_request: { number, head: { sha: headSha } } }),
    );
    return {
      ...this.env(),
      GITHUB_REPOSITORY: repository,
      GITHUB_EVENT_NAME: 'pull_request',
      GITHUB_EVENT_PATH: path,
    };
  }

  private handle(
    req: IncomingMessage,
    body: Record<string, unknown> | undefined,
  ): { status: number; json: unknown } {
    const url = new URL(req.url ?? '/', this.url);
    this.requests.push({
      method: req.method ?? '',
      path: `${url.pathname}${url.search}`,
      authorization: req.headers.authorization,
      body,
    });
    const pull = /^\/repos\/([^/]+\/[^/]+)\/pulls\/(\d+)$/.exec(url.pathname);
    if (req.method === 'GET' && pull) {
      const found = this.pullRequests.get(`${pull[1]}#${pull[2]}`);
      if (!found) return { status: 404, json: { message: 'Not Found' } };
      if ('status' in found) return { status: found.status, json: { message: 'Server Error' } };
      return { status: 200, json: { number: Number(pull[2]), merged: false, ...found } };
    }
    const base = '/repos/octo/lily-infra/deployments';
    if (req.method === 'POST' && url.pathname === base) {
      const deployment = {
        id: this.deployments.length + 1,
        environment: String(body?.environment),
        statuses: [],
      };
      this.deployments.push(deployment);
      return { status: 201, json: { id: deployment.id, environment: deployment.environment } };
    }
    const status = new RegExp(`^${base}/(\\d+)/statuses$`).exec(url.pathname);
    if (req.method === 'POST' && status) {
      const deployment = this.deployments.find((d) => d.id === Number(status[1]));
      if (!deployment) return { status: 404, json: { message: 'Not Found' } };
      deployment.statuses.push(String(body?.state));
      return { status: 201, json: { state: body?.state } };
    }
    const who = this.handleIdentity(req, url);
    if (who) return who;
    const comments = this.handleComments(req, url, body);
    if (comments) return comments;
    if (req.method === 'GET' && url.pathname === base) {
      const environment = url.searchParams.get('environment');
      return {
        status: 200,
        json: this.deployments
          .filter((d) => d.environment === environment)
          .map((d) => ({ id: d.id })),
      };
    }
    return { status: 404, json: { message: 'Not Found' } };
  }

  /**
   * Who the token is: GET /user answers a user's token and refuses an
   * installation token (403, as GitHub does); GraphQL's viewer answers both.
   */
  private handleIdentity(
    req: IncomingMessage,
    url: URL,
  ): { status: number; json: unknown } | undefined {
    if (url.pathname !== '/user' && url.pathname !== '/graphql') return undefined;
    const who = this.identity(req.headers.authorization);
    if (!who) return { status: 401, json: { message: 'Bad credentials' } };
    if (url.pathname === '/graphql')
      return { status: 200, json: { data: { viewer: { login: who.login, databaseId: who.id } } } };
    return who.type === 'Bot'
      ? { status: 403, json: { message: 'Resource not accessible by integration' } }
      : { status: 200, json: who };
  }

  /**
   * Pull-request comments: list (paged), create (by the token's identity),
   * update (anyone who may write, as on GitHub); undefined for any other request.
   */
  private handleComments(
    req: IncomingMessage,
    url: URL,
    body: Record<string, unknown> | undefined,
  ): { status: number; json: unknown } | undefined {
    const method = req.method ?? '';
    const onIssue = /^\/repos\/octo\/lily-infra\/issues\/(\d+)\/comments$/.exec(url.pathname);
    const one = /^\/repos\/octo\/lily-infra\/issues\/comments\/(\d+)$/.exec(url.pathname);
    if (!onIssue && !one) return undefined;
    const who = this.identity(req.headers.authorization);
    if (!who) return { status: 401, json: { message: 'Bad credentials' } };
    const now = new Date().toISOString();
    if (onIssue && method === 'GET') {
      const perPage = Number(url.searchParams.get('per_page') ?? 30);
      const page = Number(url.searchParams.get('page') ?? 1);
      const all = this.comments.filter((c) => c.issue === Number(onIssue[1]));
      return { status: 200, json: all.slice((page - 1) * perPage, page * perPage) };
    }
    if (onIssue && method === 'POST') {
      const comment = {
        id: 1000 + this.comments.length,
        issue: Number(onIssue[1]),
        body: String(body?.body),
        created_at: now,
        updated_at: now,
        user: who,
        performed_via_github_app: who === ACTIONS_BOT ? ACTIONS_APP : null,
      };
      this.comments.push(comment);
      return { status: 201, json: comment };
    }
    if (one && method === 'PATCH') {
      const comment = this.comments.find((c) => c.id === Number(one[1]));
      if (!comment) return { status: 404, json: { message: 'Not Found' } };
      Object.assign(comment, { body: String(body?.body), updated_at: now });
      return { status: 200, json: comment };
    }
    return undefined;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => {
        resolve();
      });
    });
  }
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown> | undefined> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
}

// A small static-file HTTP server on 127.0.0.1 for tests, with a request log,
// optional basic auth and per-path fault injection. The Helm mirror and the
// chart repository are both this server over a different directory.

import { EventEmitter } from 'node:events';
import { readFile, stat } from 'node:fs/promises';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { extname, join, resolve, sep } from 'node:path';

export interface RequestRecord {
  method: string;
  /** URL path without the query string, as sent (not percent-decoded). */
  path: string;
  /** The query string without '?', '' if none. */
  query: string;
  /** Status sent; 0 when the server never sent headers (stall before headers, reset). */
  status: number;
  /** The fault that answered this request, if one did. */
  fault?: FaultKind | 'down';
  /** Body bytes written (updated as they are written). */
  bytes: number;
  /** The basic-auth user name the request carried, if any. */
  user?: string;
  headers: IncomingHttpHeaders;
  /** ms since the server started. */
  at: number;
}

export type FaultKind = 'status' | 'truncate' | 'stall' | 'body' | 'delay' | 'reset';

export interface FaultOptions {
  /** How many requests for the path the fault answers; Infinity by default. */
  times?: number;
}

export interface BasicAuth {
  username: string;
  password: string;
}

export interface StaticServerOptions {
  /** The directory served: GET /a/b serves <root>/a/b. */
  root: string;
  /** Require this basic-auth user and password on every request (401 otherwise). */
  auth?: BasicAuth;
}

type Fault =
  | { kind: 'status'; status: number; body: string }
  | { kind: 'truncate'; mode: 'clean' | 'reset' }
  | { kind: 'stall'; afterBytes?: number; beforeHeaders: boolean }
  | { kind: 'body'; body: Buffer; status: number; contentType?: string }
  | { kind: 'delay'; ms: number }
  | { kind: 'reset' };

interface PendingFault {
  fault: Fault;
  remaining: number;
}

const CONTENT_TYPES: Record<string, string> = {
  '.gz': 'application/x-gzip',
  '.tgz': 'application/x-gzip',
  '.zip': 'application/zip',
  '.yaml': 'text/yaml; charset=utf-8',
  '.yml': 'text/yaml; charset=utf-8',
  '.json': 'application/json',
  '.sha256sum': 'text/plain; charset=utf-8',
  '.sha256': 'text/plain; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.prov': 'text/plain; charset=utf-8',
};

export class StaticServer {
  readonly root: string;
  /** Every request, in arrival order. Tests may read and clear it. */
  readonly requests: RequestRecord[] = [];
  /** Set by listen(): http://127.0.0.1:<port>, no trailing slash. */
  url = '';
  port = 0;

  private auth: BasicAuth | undefined;
  private downMode: number | 'reset' | undefined;
  private readonly faults = new Map<string, PendingFault[]>();
  private readonly sockets = new Set<Socket>();
  private readonly events = new EventEmitter();
  private readonly server: Server;
  private readonly started = Date.now();
  private closed = false;

  constructor(options: StaticServerOptions) {
    this.root = resolve(options.root);
    this.auth = options.auth;
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) {
          res.statusCode = 500;
          res.end(String(err));
        } else {
          res.destroy();
        }
      });
    });
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  /** Starts listening on 127.0.0.1 (an ephemeral port unless `port` is given). */
  async listen(port = 0): Promise<this> {
    await new Promise<void>((done, fail) => {
      this.server.once('error', fail);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', fail);
        done();
      });
    });
    this.port = (this.server.address() as AddressInfo).port;
    this.url = `http://127.0.0.1:${this.port}`;
    return this;
  }

  /** Stops listening and destroys every open connection, stalled ones included. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const done = new Promise<void>((r) =>
      this.server.close(() => {
        r();
      }),
    );
    for (const socket of this.sockets) socket.destroy();
    await done;
  }

  /** How many requests were made for `path` (any method, any outcome). */
  count(path: string): number {
    const p = normalize(path);
    return this.requests.filter((r) => r.path === p).length;
  }

  /** Answers `status` (default 503) for the next `times` requests of `path`. */
  fail(path: string, options: FaultOptions & { status?: number; body?: string } = {}): this {
    const status = options.status ?? 503;
    return this.addFault(
      path,
      { kind: 'status', status, body: options.body ?? `injected ${status}\n` },
      options,
    );
  }

  /**
   * Sends 200 and only the first half of the file. mode 'clean' (default): no
   * Content-Length, the response ends normally, so only a checksum can tell;
   * 'reset': the full Content-Length is announced and the connection is
   * destroyed after half, so the client sees a premature close.
   */
  truncate(path: string, options: FaultOptions & { mode?: 'clean' | 'reset' } = {}): this {
    return this.addFault(path, { kind: 'truncate', mode: options.mode ?? 'clean' }, options);
  }

  /**
   * Sends 200 with the full Content-Length and `afterBytes` of the body
   * (default half), then nothing, keeping the connection open until the
   * client gives up or close() is called. beforeHeaders: send nothing at all.
   */
  stall(
    path: string,
    options: FaultOptions & { afterBytes?: number; beforeHeaders?: boolean } = {},
  ): this {
    const fault: Fault = { kind: 'stall', beforeHeaders: options.beforeHeaders ?? false };
    if (options.afterBytes !== undefined) fault.afterBytes = options.afterBytes;
    return this.addFault(path, fault, options);
  }

  /** Answers with this body (and status, default 200) instead of the file, which need not exist. */
  override(
    path: string,
    body: string | Buffer,
    options: FaultOptions & { status?: number; contentType?: string } = {},
  ): this {
    const fault: Fault = { kind: 'body', body: Buffer.from(body), status: options.status ?? 200 };
    if (options.contentType !== undefined) fault.contentType = options.contentType;
    return this.addFault(path, fault, options);
  }

  /** Waits `ms` before answering normally. */
  delay(path: string, ms: number, options: FaultOptions = {}): this {
    return this.addFault(path, { kind: 'delay', ms }, options);
  }

  /** Destroys the connection without answering. */
  reset(path: string, options: FaultOptions = {}): this {
    return this.addFault(path, { kind: 'reset' }, options);
  }

  /** Forgets the faults of `path`, or of every path. */
  clearFaults(path?: string): this {
    if (path === undefined) this.faults.clear();
    else this.faults.delete(normalize(path));
    return this;
  }

  /** Every request is answered `status` (default 503), or its connection reset, until up(). */
  down(how: number | 'reset' = 503): this {
    this.downMode = how;
    return this;
  }

  up(): this {
    this.downMode = undefined;
    return this;
  }

  /** Requires (or, with undefined, stops requiring) basic auth. */
  setAuth(auth: BasicAuth | undefined): this {
    this.auth = auth;
    return this;
  }

  /**
   * Resolves with the first logged request (already logged or future) for
   * `path`, or matching `predicate`; rejects after `timeoutMs` (default 30 s).
   */
  waitForRequest(
    match: string | ((r: RequestRecord) => boolean),
    timeoutMs = 30_000,
  ): Promise<RequestRecord> {
    const test =
      typeof match === 'string' ? (r: RequestRecord) => r.path === normalize(match) : match;
    const found = this.requests.find(test);
    if (found) return Promise.resolve(found);
    return new Promise((done, fail) => {
      const onRequest = (r: RequestRecord) => {
        if (!test(r)) return;
        clearTimeout(timer);
        this.events.off('request', onRequest);
        done(r);
      };
      const timer = setTimeout(() => {
        this.events.off('request', onRequest);
        fail(new Error(`no request matching ${String(match)} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.events.on('request', onRequest);
    });
  }

  private addFault(path: string, fault: Fault, options: FaultOptions): this {
    const p = normalize(path);
    const list = this.faults.get(p) ?? [];
    list.push({ fault, remaining: options.times ?? Infinity });
    this.faults.set(p, list);
    return this;
  }

  private takeFault(path: string): Fault | undefined {
    const list = this.faults.get(path);
    const pending = list?.find((f) => f.remaining > 0);
    if (!pending) return undefined;
    pending.remaining--;
    return pending.fault;
  }

  private log(req: IncomingMessage, status: number, fault?: RequestRecord['fault']): RequestRecord {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const record: RequestRecord = {
      method: req.method ?? 'GET',
      path: q < 0 ? url : url.slice(0, q),
      query: q < 0 ? '' : url.slice(q + 1),
      status,
      bytes: 0,
      headers: req.headers,
      at: Date.now() - this.started,
    };
    if (fault) record.fault = fault;
    const user = basicAuthUser(req.headers.authorization);
    if (user !== undefined) record.user = user;
    this.requests.push(record);
    this.events.emit('request', record);
    return record;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] ?? '/';

    if (this.downMode !== undefined) {
      if (this.downMode === 'reset') {
        this.log(req, 0, 'down');
        req.socket.destroy();
      } else {
        this.log(req, this.downMode, 'down');
        send(res, this.downMode, `server is down (injected ${this.downMode})\n`);
      }
      return;
    }

    if (this.auth && !authorized(req.headers.authorization, this.auth)) {
      this.log(req, 401);
      res.setHeader('WWW-Authenticate', 'Basic realm="test"');
      send(res, 401, 'Unauthorized\n');
      return;
    }

    let fault = this.takeFault(path);
    if (fault?.kind === 'delay') {
      await new Promise((r) => setTimeout(r, (fault as { ms: number }).ms));
      fault = undefined;
    }

    if (fault?.kind === 'reset') {
      this.log(req, 0, 'reset');
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'status') {
      this.log(req, fault.status, 'status');
      send(res, fault.status, fault.body);
      return;
    }

    let body: Buffer;
    let contentType = contentTypeOf(path);
    let status = 200;
    if (fault?.kind === 'body') {
      body = fault.body;
      status = fault.status;
      contentType = fault.contentType ?? contentType;
    } else {
      const file = await this.fileFor(path);
      if (!file || !(req.method === 'GET' || req.method === 'HEAD')) {
        this.log(req, file ? 405 : 404);
        send(res, file ? 405 : 404, file ? 'Method Not Allowed\n' : 'Not Found\n');
        return;
      }
      body = await readFile(file);
    }

    if (fault?.kind === 'stall' && fault.beforeHeaders) {
      this.log(req, 0, 'stall');
      return; // the socket stays open until the client or close() ends it
    }

    const record = this.log(req, status, fault?.kind);
    res.statusCode = status;
    res.setHeader('Content-Type', contentType);
    if (req.method === 'HEAD') {
      res.setHeader('Content-Length', body.length);
      res.end();
      return;
    }

    const half = body.subarray(0, Math.floor(body.length / 2));
    if (fault?.kind === 'truncate') {
      if (fault.mode === 'reset') {
        res.setHeader('Content-Length', body.length);
        res.write(half, () => req.socket.destroy());
      } else {
        res.end(half); // chunked, and a normal end: looks complete
      }
      record.bytes = half.length;
      return;
    }
    if (fault?.kind === 'stall') {
      const part = body.subarray(0, fault.afterBytes ?? half.length);
      res.setHeader('Content-Length', body.length);
      res.flushHeaders();
      if (part.length) res.write(part);
      record.bytes = part.length;
      return; // never ended
    }
    res.setHeader('Content-Length', body.length);
    res.end(body);
    record.bytes = body.length;
  }

  /** The regular file under root that `urlPath` names, if any. */
  private async fileFor(urlPath: string): Promise<string | undefined> {
    let decoded: string;
    try {
      decoded = decodeURIComponent(urlPath);
    } catch {
      return undefined;
    }
    const file = resolve(join(this.root, decoded));
    if (file !== this.root && !file.startsWith(this.root + sep)) return undefined;
    try {
      return (await stat(file)).isFile() ? file : undefined;
    } catch {
      return undefined;
    }
  }
}

/** Starts a StaticServer on 127.0.0.1 and an ephemeral port. */
export function startStaticServer(options: StaticServerOptions): Promise<StaticServer> {
  return new StaticServer(options).listen();
}

function normalize(path: string): string {
  const p = path.split('?')[0] ?? '';
  return p.startsWith('/') ? p : `/${p}`;
}

function send(res: ServerResponse, status: number, text: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}

function contentTypeOf(path: string): string {
  return CONTENT_TYPES[extname(path)] ?? 'application/octet-stream';
}

function decodeBasic(header: string | undefined): { user: string; password: string } | undefined {
  const m = /^Basic\s+(\S+)$/i.exec(header ?? '');
  if (!m?.[1]) return undefined;
  const text = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon < 0) return undefined;
  return { user: text.slice(0, colon), password: text.slice(colon + 1) };
}

function basicAuthUser(header: string | undefined): string | undefined {
  return decodeBasic(header)?.user;
}

function authorized(header: string | undefined, auth: BasicAuth): boolean {
  const given = decodeBasic(header);
  return given?.user === auth.username && given.password === auth.password;
}

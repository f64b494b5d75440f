// A stand-in for the Kubernetes API server behind `kubectl proxy`, for the
// lock's unit tests: Leases in memory, with resourceVersion checks as the API
// server makes them, served over real HTTP on a unix socket. KubeApi.start is
// given a fake kubectl whose `proxy` only says it serves there: everything
// past it is the action's own code.
import { EventEmitter } from 'node:events';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeApi } from '../../src/kube/api.js';
import type { Lease } from '../../src/lock/lease.js';

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface ApiRequest {
  method: Method;
  path: string;
  /** The resourceVersion the request's body carried (a write's precondition). */
  resourceVersion?: string;
  /** 0 until answered. */
  status: number;
}

interface Hold {
  method: Method;
  received: () => void;
  released: Promise<void>;
}

const LEASE_PATH = /^\/apis\/coordination\.k8s\.io\/v1\/namespaces\/([^/]+)\/leases(?:\/([^/]+))?$/;

export class FakeKubeApi {
  readonly requests: ApiRequest[] = [];
  /** The most requests that were being answered at once. */
  maxInFlight = 0;
  private inFlight = 0;
  private version = 100;
  private readonly leases = new Map<string, Lease>();
  private readonly terminatingNamespaces = new Set<string>();
  private holds: Hold[] = [];
  private readonly events = new EventEmitter();
  private readonly clients: KubeApi[] = [];

  private constructor(
    private readonly dir: string,
    private readonly server: Server,
  ) {}

  static async start(): Promise<FakeKubeApi> {
    const dir = await mkdtemp(join(tmpdir(), 'fake-kube-api-'));
    const fake: FakeKubeApi = new FakeKubeApi(
      dir,
      createServer((req, res) => {
        void fake.handle(req, res);
      }),
    );
    await new Promise<void>((resolve) => fake.server.listen(join(dir, 'api.sock'), resolve));
    // What KubeApi.start waits for; then it holds the "proxy" until stop().
    await writeFile(
      join(dir, 'kubectl'),
      '#!/bin/sh\necho "Starting to serve on $2"\nexec sleep 3600\n',
    );
    await chmod(join(dir, 'kubectl'), 0o755);
    return fake;
  }

  /** A KubeApi of the action's, talking to this server. */
  async client(): Promise<KubeApi> {
    const api = await KubeApi.start(
      join(this.dir, 'kubectl'),
      process.env,
      join(this.dir, 'api.sock'),
    );
    this.clients.push(api);
    return api;
  }

  lease(namespace: string, name: string): Lease | undefined {
    return this.leases.get(`${namespace}/${name}`);
  }

  /** Writes a Lease as another client would (a new resourceVersion). */
  put(namespace: string, name: string, lease: Lease): void {
    this.store(namespace, name, lease);
  }

  /** Makes `namespace` refuse new objects, as one being deleted does. */
  terminate(namespace: string): void {
    this.terminatingNamespaces.add(namespace);
  }

  /**
   * The next request with `method` is carried out when it arrives, but its
   * reply waits for release(): a slow reply.
   */
  hold(method: Method): { received: Promise<void>; release: () => void } {
    let received!: () => void;
    let release!: () => void;
    const hold: Hold = {
      method,
      received: () => {
        received();
      },
      released: new Promise((resolve) => (release = resolve)),
    };
    this.holds.push(hold);
    return { received: new Promise((resolve) => (received = resolve)), release };
  }

  /** Resolves once `count` requests with `method` have been answered. */
  answered(method: Method, count: number): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (this.requests.filter((r) => r.method === method && r.status !== 0).length < count)
          return;
        this.events.off('answered', check);
        resolve();
      };
      this.events.on('answered', check);
      check();
    });
  }

  /** The requests as `METHOD status`, in order. */
  log(): string[] {
    return this.requests.map((r) => `${r.method} ${r.status}`);
  }

  async close(): Promise<void> {
    for (const api of this.clients) api.stop();
    await new Promise((resolve) => this.server.close(resolve));
    await rm(this.dir, { recursive: true, force: true });
  }

  private store(namespace: string, name: string, lease: Lease): Lease {
    this.version += 1;
    const stored = {
      ...lease,
      metadata: { ...lease.metadata, name, namespace, resourceVersion: String(this.version) },
    };
    this.leases.set(`${namespace}/${name}`, stored);
    return stored;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const body = text
      ? (JSON.parse(text) as Lease & { preconditions?: { resourceVersion?: string } })
      : undefined;
    const method = req.method as Method;
    const version = body?.metadata?.resourceVersion ?? body?.preconditions?.resourceVersion;
    const request: ApiRequest = {
      method,
      path: req.url ?? '',
      status: 0,
      ...(version === undefined ? {} : { resourceVersion: version }),
    };
    this.requests.push(request);
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    const [status, reply] = this.answer(method, request.path, body, version);
    const hold = this.holds.find((h) => h.method === method);
    if (hold) {
      this.holds = this.holds.filter((h) => h !== hold);
      hold.received();
      await hold.released;
    }
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(reply));
    this.inFlight -= 1;
    request.status = status;
    this.events.emit('answered');
  }

  private answer(
    method: Method,
    path: string,
    body: Lease | undefined,
    version: string | undefined,
  ): [number, object] {
    if (path === '/version') return [200, { gitVersion: 'v1.34.0' }];
    const match = LEASE_PATH.exec(path);
    if (!match) return status(404, `no ${path} here`);
    const [, namespace = '', pathName] = match;
    const name = pathName ?? body?.metadata?.name ?? '';
    const key = `${namespace}/${name}`;
    const current = this.leases.get(key);
    const modified = `Operation cannot be fulfilled on leases.coordination.k8s.io "${name}": the object has been modified; please apply your changes to the latest version and try again`;
    switch (method) {
      case 'GET':
        return current
          ? [200, current]
          : status(404, `leases.coordination.k8s.io "${name}" not found`);
      case 'POST':
        if (this.terminatingNamespaces.has(namespace))
          return status(
            403,
            `leases.coordination.k8s.io "${name}" is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`,
          );
        if (current) return status(409, `leases.coordination.k8s.io "${name}" already exists`);
        return [201, this.store(namespace, name, body ?? {})];
      case 'PUT':
        if (!current) return status(404, `leases.coordination.k8s.io "${name}" not found`);
        if (version !== current.metadata?.resourceVersion) return status(409, modified);
        return [200, this.store(namespace, name, body ?? {})];
      case 'DELETE':
        if (!current) return status(404, `leases.coordination.k8s.io "${name}" not found`);
        if (version !== undefined && version !== current.metadata?.resourceVersion)
          return status(409, modified);
        this.leases.delete(key);
        return status(200, 'deleted');
    }
  }
}

function status(code: number, message: string): [number, object] {
  return [code, { kind: 'Status', apiVersion: 'v1', code, message }];
}

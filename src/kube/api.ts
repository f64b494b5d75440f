import type { ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { spawnChild } from '../process.js';

const REQUEST_TIMEOUT_MS = 30_000;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The API server through one `kubectl proxy` on a private unix socket, for
 * reads, for questions that change nothing (access reviews), and for the one
 * exception to "changes go through helm and kubectl" (see cluster-access.ts):
 * the Lease of a release's lock. Watching pods and collecting logs of
 * many pods takes dozens of reads; as HTTP requests they run in parallel for
 * the price of one kubectl start, with kubectl still doing all authentication.
 */
export class KubeApi {
  /** Documents read once per run: see document(). */
  private readonly documents = new Map<string, Promise<unknown>>();

  private constructor(
    private readonly proxy: ChildProcess,
    private readonly socketPath: string,
  ) {}

  static async start(
    kubectl: string,
    env: NodeJS.ProcessEnv,
    socketPath: string,
    context?: string,
  ): Promise<KubeApi> {
    const args = [
      'proxy',
      `--unix-socket=${socketPath}`,
      ...(context ? ['--context', context] : []),
    ];
    const proxy = spawnChild(kubectl, args, { env });
    proxy.stdin.end();
    await new Promise<void>((resolve, reject) => {
      let output = '';
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Starting to serve')) resolve();
      };
      proxy.stdout.on('data', onData);
      proxy.stderr.on('data', onData);
      proxy.on('error', reject);
      proxy.on('exit', (code) => {
        reject(new Error(`kubectl proxy exited with code ${code}: ${output.trim()}`));
      });
    });
    proxy.stdout.removeAllListeners('data').resume();
    proxy.stderr.removeAllListeners('data').resume();
    proxy.unref();
    return new KubeApi(proxy, socketPath);
  }

  async json<T>(path: string): Promise<T> {
    return JSON.parse(await this.text(path)) as T;
  }

  /** The items of a list at `path` (a collection, with any query). */
  async items<T>(path: string): Promise<T[]> {
    return (await this.json<{ items: T[] }>(path)).items;
  }

  /** The object at `path`, or undefined when there is none (404). */
  async find<T>(path: string): Promise<T | undefined> {
    try {
      return await this.json<T>(path);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return undefined;
      throw err;
    }
  }

  /**
   * A document that does not change during a run (discovery of an
   * apiVersion, the OpenAPI schemas), read once: whoever asks again gets the
   * same answer, a failed read is tried again. Undefined when there is none (404).
   */
  document<T>(path: string): Promise<T | undefined> {
    let doc = this.documents.get(path);
    if (!doc) {
      doc = this.find<T>(path);
      this.documents.set(path, doc);
      doc.catch(() => this.documents.delete(path));
    }
    return doc as Promise<T | undefined>;
  }

  /** The body at `path` as text (a pod's log, say). */
  text(path: string): Promise<string> {
    return this.send('GET', path);
  }

  /**
   * Asks a question by creating a review object, which the API server
   * answers and does not store (a SelfSubjectAccessReview): the answer.
   */
  async review<T>(path: string, review: object): Promise<T> {
    return JSON.parse(await this.send('POST', path, JSON.stringify(review))) as T;
  }

  /**
   * Posts a JSON body to a port of a pod through the API server's pod proxy
   * (pods/proxy, verb create), and returns the answer's body. Only Lily's
   * read-only API client (lily/api.ts) uses it: a pod's port may change
   * what runs there, so no other caller gets to choose what is posted.
   */
  postToPod(
    target: { namespace: string; pod: string; port: number; path: string },
    body: string,
    timeoutMs: number,
  ): Promise<string> {
    const { namespace, pod, port, path } = target;
    return this.send(
      'POST',
      `/api/v1/namespaces/${namespace}/pods/${pod}:${port}/proxy${path}`,
      body,
      timeoutMs,
    );
  }

  /** Creates a Lease; an ApiError 409 when one of that name exists. */
  async createLease<T>(namespace: string, lease: object): Promise<T> {
    return JSON.parse(await this.send('POST', leasesPath(namespace), JSON.stringify(lease))) as T;
  }

  /** Replaces a Lease; the manifest's resourceVersion makes a write over a changed one fail (409). */
  async replaceLease<T>(namespace: string, name: string, lease: object): Promise<T> {
    const path = `${leasesPath(namespace)}/${name}`;
    return JSON.parse(await this.send('PUT', path, JSON.stringify(lease))) as T;
  }

  /** Deletes a Lease if it is still at `resourceVersion` (else an ApiError 409). */
  async deleteLease(namespace: string, name: string, resourceVersion: string): Promise<void> {
    const options = { apiVersion: 'v1', kind: 'DeleteOptions', preconditions: { resourceVersion } };
    await this.send('DELETE', `${leasesPath(namespace)}/${name}`, JSON.stringify(options));
  }

  private send(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    path: string,
    body?: string,
    timeoutMs = REQUEST_TIMEOUT_MS,
  ): Promise<string> {
    return new Promise((resolve, reject) => {
      // kubectl proxy accepts only local host names.
      const headers = {
        host: 'localhost',
        // Node sends a DELETE's body without a length unless told: the proxy
        // would read it as the start of the next request on the connection.
        ...(body
          ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }
          : {}),
      };
      const req = request({ socketPath: this.socketPath, path, method, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve(text);
          else
            reject(new ApiError(status, `${method} ${path}: HTTP ${status}: ${apiMessage(text)}`));
        });
        res.on('error', reject);
      });
      // An API server that does not answer at all must not stall the action.
      req.setTimeout(timeoutMs, () => {
        req.destroy(
          new Error(
            `${method} ${path}: the API server did not answer within ${timeoutMs / 1000}s (i/o timeout)`,
          ),
        );
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  stop(): void {
    this.proxy.kill('SIGTERM');
  }
}

export function leasesPath(namespace: string): string {
  return `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases`;
}

/** The `message` of a Kubernetes Status body, else the body itself. */
function apiMessage(body: string): string {
  try {
    const status = JSON.parse(body) as { message?: string };
    return status.message ?? body.trim();
  } catch {
    return body.trim();
  }
}

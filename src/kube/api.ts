import { type ApiTransport, kubectlProxy } from './api-transport.js';

const REQUEST_TIMEOUT_MS = 30_000;
// The manager of the fields the action writes (server-side apply's owner).
const FIELD_MANAGER = 'lily-deploy';
// A server-side apply's body: JSON is YAML, so the manifest goes as it is.
const APPLY_PATCH = 'application/apply-patch+yaml';

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** No answer within a request's time. */
export class ApiTimeout extends Error {}

/**
 * The API server over one transport (api-transport.ts: straight with the
 * kubeconfig's static credentials, else through one `kubectl proxy`), for
 * reads, for questions that change nothing (access reviews), and for the
 * exceptions to "changes go through helm and kubectl" (see cluster-access.ts).
 * Watching pods and collecting logs of many pods takes dozens of reads; as
 * HTTP requests they run in parallel for the price of at most one kubectl start.
 */
export class KubeApi {
  /** Documents read once per run: see document(). */
  private readonly documents = new Map<string, Promise<unknown>>();

  constructor(private readonly transport: ApiTransport) {}

  /** Through a `kubectl proxy` started on `socketPath`. */
  static async start(
    kubectl: string,
    env: NodeJS.ProcessEnv,
    socketPath: string,
    context?: string,
  ): Promise<KubeApi> {
    return new KubeApi(await kubectlProxy(kubectl, env, socketPath, context));
  }

  /** How the requests reach the API server, in words. */
  get route(): string {
    return this.transport.route;
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

  /**
   * Creates an object under `collection` (e.g. `/api/v1/namespaces`) as
   * lily-deploy's field manager: the created object's resourceVersion, or
   * undefined when one of that name exists (409), which is left as it is. Any
   * other refusal throws with the API's words.
   */
  async createIfAbsent(collection: string, manifest: object): Promise<string | undefined> {
    try {
      const created = await this.send(
        'POST',
        `${collection}?fieldManager=${FIELD_MANAGER}`,
        JSON.stringify(manifest),
      );
      return (JSON.parse(created) as { metadata: { resourceVersion: string } }).metadata
        .resourceVersion;
    } catch (err) {
      if (err instanceof ApiError && err.status === 409) return undefined;
      throw err;
    }
  }

  /**
   * Server-side apply of `manifest` at `path` (the object's own path), taking
   * over fields another manager set: one request, as `kubectl apply
   * --server-side --force-conflicts` makes it. True when it created the object.
   */
  async applyServerSide(path: string, manifest: object): Promise<boolean> {
    const { status } = await this.exchange(
      'PATCH',
      `${path}?fieldManager=${FIELD_MANAGER}&force=true`,
      JSON.stringify(manifest),
      REQUEST_TIMEOUT_MS,
      APPLY_PATCH,
    );
    return status === 201;
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

  private async send(
    method: Method,
    path: string,
    body?: string,
    timeoutMs = REQUEST_TIMEOUT_MS,
  ): Promise<string> {
    return (await this.exchange(method, path, body, timeoutMs)).text;
  }

  private async exchange(
    method: Method,
    path: string,
    body: string | undefined,
    timeoutMs: number,
    contentType = 'application/json',
  ): Promise<{ status: number; text: string }> {
    try {
      return await this.sendOnce(method, path, body, timeoutMs, contentType);
    } catch (err) {
      // A kept-alive connection the server closed as the request left: the
      // request never reached it (Node's documented case for a retry), and a
      // read or a server-side apply may be sent again.
      if (
        (method === 'GET' || contentType === APPLY_PATCH) &&
        err instanceof ReusedConnectionReset
      ) {
        return this.sendOnce(method, path, body, timeoutMs, contentType);
      }
      throw err instanceof ReusedConnectionReset ? err.cause : err;
    }
  }

  private async sendOnce(
    method: Method,
    path: string,
    body: string | undefined,
    timeoutMs: number,
    contentType: string,
  ): Promise<{ status: number; text: string }> {
    // Node sends a DELETE's body without a length unless told: a proxy would
    // read it as the start of the next request on the connection.
    const headers = body
      ? { 'content-type': contentType, 'content-length': Buffer.byteLength(body) }
      : {};
    const req = await this.transport.open(method, path, headers);
    return new Promise((resolve, reject) => {
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve({ status, text });
          else
            reject(new ApiError(status, `${method} ${path}: HTTP ${status}: ${apiMessage(text)}`));
        });
        res.on('error', reject);
      });
      // An API server that does not answer at all must not stall the action.
      req.setTimeout(timeoutMs, () => {
        req.destroy(
          new ApiTimeout(
            `${method} ${path}: the API server did not answer within ${timeoutMs / 1000}s (i/o timeout)`,
          ),
        );
      });
      req.on('error', (err: NodeJS.ErrnoException) => {
        reject(
          err.code === 'ECONNRESET' && req.reusedSocket ? new ReusedConnectionReset(err) : err,
        );
      });
      req.end(body);
    });
  }

  stop(): void {
    this.transport.stop();
  }
}

/** A reset of a kept-alive connection, which the server may have closed as the request left. */
class ReusedConnectionReset extends Error {
  constructor(override readonly cause: Error) {
    super(cause.message);
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

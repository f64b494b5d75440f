import { type ChildProcess, spawn } from 'node:child_process';
import { request } from 'node:http';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Read access to the API server through one `kubectl proxy` on a private unix
 * socket. Watching pods and collecting logs of many pods takes dozens of reads;
 * as HTTP requests they run in parallel for the price of one kubectl start,
 * with kubectl still doing all authentication.
 */
export class KubeApi {
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
    const proxy = spawn(kubectl, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
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

  text(path: string): Promise<string> {
    return new Promise((resolve, reject) => {
      // kubectl proxy accepts only local host names.
      const req = request(
        { socketPath: this.socketPath, path, headers: { host: 'localhost' } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const body = Buffer.concat(chunks).toString('utf8');
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) resolve(body);
            else reject(new ApiError(status, `GET ${path}: HTTP ${status}: ${apiMessage(body)}`));
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end();
    });
  }

  stop(): void {
    this.proxy.kill('SIGTERM');
  }
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

/** Runs `task` over `items` with at most `limit` at a time, keeping order. */
export async function mapLimit<T, R>(
  items: T[],
  limit: number,
  task: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

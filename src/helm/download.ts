import * as core from '@actions/core';
import { HttpClient } from '@actions/http-client';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface DownloadPolicy {
  attempts: number;
  /** Pause before retry n (1-based) is backoffMs * n. */
  backoffMs: number;
  /** A connection that sends nothing for this long is given up. */
  idleTimeoutMs: number;
}

// tool-cache's own downloadTool waits 10-20 s between retries and never gives
// up on a server that stops sending, so downloads are done here; tool-cache
// still extracts and caches.
export const DEFAULT_DOWNLOAD_POLICY: DownloadPolicy = {
  attempts: 3,
  backoffMs: 1000,
  idleTimeoutMs: Number(process.env.LILY_DEPLOY_DOWNLOAD_IDLE_TIMEOUT_MS) || 30_000,
};

export class DownloadError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

/** Is this HTTP status worth another try? Server errors, throttling and timeouts are. */
export function isTransientStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

/**
 * Streams `url` into `dest`, retrying transient failures. Returns the
 * sha256 (hex) of what was written, hashed as it arrived: a large archive is
 * not read back to be checked.
 */
export function downloadFile(
  url: string,
  dest: string,
  policy = DEFAULT_DOWNLOAD_POLICY,
): Promise<string> {
  return withRetries(url, policy, () => downloadOnce(url, dest, policy.idleTimeoutMs));
}

/** A small text file such as a `.sha256sum` or `helm-latest-version`. */
export async function downloadText(url: string, policy = DEFAULT_DOWNLOAD_POLICY): Promise<string> {
  return withRetries(url, policy, async () => {
    const client = newClient(policy.idleTimeoutMs);
    try {
      const response = await client.get(url);
      const status = response.message.statusCode ?? 0;
      const body = await response.readBody();
      if (status !== 200) throw statusError(url, status);
      return body;
    } catch (err) {
      throw asDownloadError(url, err);
    } finally {
      client.dispose();
    }
  });
}

async function withRetries<T>(
  url: string,
  policy: DownloadPolicy,
  attempt: () => Promise<T>,
): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (err) {
      const error = asDownloadError(url, err);
      if (!error.retryable || n >= policy.attempts) throw error;
      const pause = policy.backoffMs * n;
      core.info(
        `${error.message}; retrying in ${pause / 1000}s (attempt ${n + 1} of ${policy.attempts})`,
      );
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }
}

async function downloadOnce(url: string, dest: string, idleTimeoutMs: number): Promise<string> {
  const client = newClient(idleTimeoutMs);
  try {
    const response = await client.get(url);
    const status = response.message.statusCode ?? 0;
    if (status !== 200) {
      response.message.resume();
      throw statusError(url, status);
    }
    // From here the idle guard judges the body: the socket's timer, left on,
    // would race it and end a stalled download with a bare 'aborted'.
    response.message.socket.setTimeout(0);
    const hash = createHash('sha256');
    await pipeline(
      response.message,
      idleGuard(url, idleTimeoutMs, (chunk) => hash.update(chunk)),
      createWriteStream(dest, { mode: 0o600 }),
    );
    return hash.digest('hex');
  } catch (err) {
    await rm(dest, { force: true });
    throw asDownloadError(url, err);
  } finally {
    client.dispose();
  }
}

/** Passes data through (each chunk to `seen`), failing the stream when nothing arrives for `ms`. */
function idleGuard(url: string, ms: number, seen: (chunk: Buffer) => void): Transform {
  const timer = setTimeout(() => guard.destroy(stalled(url, ms)), ms);
  const guard = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      timer.refresh();
      seen(chunk);
      callback(null, chunk);
    },
    flush(callback) {
      clearTimeout(timer);
      callback();
    },
    destroy(err, callback) {
      clearTimeout(timer);
      callback(err);
    },
  });
  return guard;
}

function newClient(idleTimeoutMs: number): HttpClient {
  return new HttpClient('lily-deploy', [], { allowRetries: false, socketTimeout: idleTimeoutMs });
}

function statusError(url: string, status: number): DownloadError {
  const hint = status === 404 ? ' (no such file: check the version and the download base URL)' : '';
  return new DownloadError(`GET ${url} answered HTTP ${status}${hint}`, isTransientStatus(status));
}

function stalled(url: string, ms: number): DownloadError {
  return new DownloadError(`GET ${url} stalled: nothing received for ${ms / 1000}s`, true);
}

function asDownloadError(url: string, err: unknown): DownloadError {
  if (err instanceof DownloadError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (/timeout/i.test(message)) return new DownloadError(`GET ${url} timed out: ${message}`, true);
  return new DownloadError(`GET ${url} failed: ${message}`, true);
}

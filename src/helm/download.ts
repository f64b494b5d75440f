import * as core from '@actions/core';
import { HttpClient } from '@actions/http-client';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { type FileHandle, open, rm } from 'node:fs/promises';
import { Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { isRegularFile, TarReader } from './tar.js';

export interface DownloadPolicy {
  attempts: number;
  /** Pause before retry n (1-based) is backoffMs * n. */
  backoffMs: number;
  /** A connection that sends nothing for this long is given up. */
  idleTimeoutMs: number;
  /** Where a retry is told (a download in the background keeps its lines for later). */
  log?: (line: string) => void;
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
export async function downloadFile(
  url: string,
  dest: string,
  policy = DEFAULT_DOWNLOAD_POLICY,
): Promise<string> {
  const { sha256 } = await withRetries(url, policy, () =>
    downloadOnce(url, policy.idleTimeoutMs, {
      open: () => ({ stream: createWriteStream(dest, { mode: 0o600 }), result: async () => {} }),
      discard: () => rm(dest, { force: true }),
    }),
  );
  return sha256;
}

/** What became of the file a tar download was to unpack. */
export interface Unpacked {
  /** The whole file was written. */
  complete: boolean;
  /** Why the archive could not be read (bad gzip, a cut tar) or the file written. */
  error?: Error;
}

/**
 * Streams the gzipped tar at `url` and writes its regular file `path` to
 * `dest` (mode 0755) as it arrives: no archive on disk, no tar process, the
 * gunzip beside the download. Returns the sha256 (hex) of the whole archive,
 * hashed as it arrived, which judges what was unpacked: an archive that is
 * not gzip or not a tar fails no download, it is reported in `unpacked`.
 */
export function downloadTarEntry(
  url: string,
  path: string,
  dest: string,
  policy = DEFAULT_DOWNLOAD_POLICY,
): Promise<{ sha256: string; result: Unpacked }> {
  return withRetries(url, policy, () =>
    downloadOnce(url, policy.idleTimeoutMs, {
      open: () => tarEntryUnpacker(path, dest),
      discard: () => rm(dest, { force: true }),
    }),
  );
}

/** Output chunks of 256 KiB: a 60 MB binary in some 240 writes. */
const GUNZIP_CHUNK = 1 << 18;

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
      (policy.log ?? core.info)(
        `${error.message}; retrying in ${pause / 1000}s (attempt ${n + 1} of ${policy.attempts})`,
      );
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }
}

/** Where an attempt's bytes go (opened anew for each attempt), and how a failed one is undone. */
interface Sink<T> {
  open: () => { stream: NodeJS.WritableStream; result: () => Promise<T> };
  discard: () => Promise<void>;
}

async function downloadOnce<T>(
  url: string,
  idleTimeoutMs: number,
  sink: Sink<T>,
): Promise<{ sha256: string; result: T }> {
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
    const { stream, result } = sink.open();
    await pipeline(
      response.message,
      idleGuard(url, idleTimeoutMs, (chunk) => hash.update(chunk)),
      stream,
    );
    return { sha256: hash.digest('hex'), result: await result() };
  } catch (err) {
    await sink.discard();
    throw asDownloadError(url, err);
  } finally {
    client.dispose();
  }
}

/**
 * A stream that gunzips what is written to it and writes the tar's regular
 * file `path` into `dest`; the rest is read and dropped. Data that cannot be
 * unpacked is kept as the result's error and the stream goes on taking
 * bytes, so the download (and its hash) completes either way.
 */
function tarEntryUnpacker(
  path: string,
  dest: string,
): { stream: Writable; result: () => Promise<Unpacked> } {
  const gunzip = createGunzip({ chunkSize: GUNZIP_CHUNK });
  const reader = new TarReader();
  let file: Promise<FileHandle> | undefined;
  let complete = false;
  let error: Error | undefined;
  const unpacked = (async (): Promise<Unpacked> => {
    try {
      for await (const chunk of gunzip as AsyncIterable<Buffer>) {
        for (const piece of reader.push(chunk)) {
          if (piece.entry.path !== path || !isRegularFile(piece.entry) || complete) continue;
          file ??= open(dest, 'w', 0o755);
          await (await file).write(piece.data);
          complete = piece.done;
        }
      }
      if (reader.cut) throw new Error('the tar archive ends inside an entry');
    } catch (err) {
      error = err as Error;
      gunzip.destroy();
    }
    await (await file)?.close().catch(() => undefined);
    return error ? { complete, error } : { complete };
  })();
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      if (error || gunzip.destroyed || gunzip.write(chunk)) callback();
      else whenDrainedOrClosed(gunzip, callback);
    },
    final(callback) {
      if (!gunzip.destroyed) gunzip.end();
      void unpacked.then(() => {
        callback();
      });
    },
    // The download failed: the file is left to the sink's discard.
    destroy(err, callback) {
      gunzip.destroy();
      callback(err);
    },
  });
  return { stream, result: () => unpacked };
}

/** `done` once `stream` can take more, or is gone. */
function whenDrainedOrClosed(stream: NodeJS.EventEmitter, done: () => void): void {
  const once = () => {
    stream.off('drain', once);
    stream.off('close', once);
    done();
  };
  stream.on('drain', once);
  stream.on('close', once);
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

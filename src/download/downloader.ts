import { mkdir, rm } from 'node:fs/promises';
import { arch, platform } from 'node:os';
import path from 'node:path';
import { Transform } from 'node:stream';

import type { Digests } from '../core/checksums.js';
import {
  DigestMismatchError,
  PulpError,
  RemoteFetchError,
  SizeMismatchError,
  TaskCanceledError,
} from '../core/errors.js';
import type { ChecksumName } from '../core/settings.js';
import { pipeToFile } from '../core/pipe-to-file.js';
import { ownedTempName } from '../core/temp-names.js';
import { PULP_VERSION } from '../core/version.js';
import { type AddressPolicy, processAddressPolicy } from './address-policy.js';
import {
  DEFAULT_DOWNLOAD_CONCURRENCY,
  DEFAULT_MAX_RETRIES,
  DEFAULT_TOTAL_TIMEOUT_S,
  type DownloaderConfig,
  requestHeaders,
} from './config.js';
import { type HashPool, sharedHashPool } from './hash-pool.js';
import { HttpClient } from './http-client.js';
import { RateLimiter, Semaphore, sleep } from './rate-limiter.js';

export interface ExpectedFile {
  size?: number | null;
  /** Digests to verify (any allowed algorithm); every one given must match. */
  digests?: Partial<Record<ChecksumName, string | null>>;
}

export interface DownloadResult {
  url: string;
  /** Temporary file under the storage temp dir; the caller moves it into storage or removes it. */
  path: string;
  size: number;
  digests: Digests;
  headers: Record<string, string | string[] | undefined>;
}

export interface DownloaderOptions {
  /** Directory for temporary files (the storage's temp dir, so that saving is a rename). */
  tempDir: string;
  /** ALLOWED_CONTENT_CHECKSUMS: every downloaded file gets all of them. */
  checksums: readonly ChecksumName[];
  /** Base of the exponential backoff (Pulp: 1 s); tests shorten it. */
  retryBaseMs?: number;
  hashPool?: HashPool;
  /** Which addresses may be fetched; default: the process's policy (setting DENY_PRIVATE_REMOTE_ADDRESSES). */
  addressPolicy?: AddressPolicy;
}

const USER_AGENT = `pulpcore/${PULP_VERSION} (node ${process.version}, ${platform()} ${arch()})`;

function isRetriable(err: unknown): boolean {
  if (err instanceof DigestMismatchError || err instanceof SizeMismatchError) return true;
  if (err instanceof RemoteFetchError) return err.status === undefined || err.status === 429 || err.status >= 500;
  return !(err instanceof PulpError);
}

/**
 * Downloads for one remote: a shared connection pool with the remote's TLS, proxy, timeouts and headers; at most
 * `download_concurrency` downloads at once (held across retries, as Pulp does), an optional request rate, retries
 * with full-jitter exponential backoff on connection errors, 429, 5xx, truncated bodies and digest or size
 * mismatches. Files are streamed to a temporary file and hashed on worker threads; a failed attempt never leaves
 * its file behind.
 */
export class Downloader {
  private readonly client: HttpClient;
  private readonly semaphore: Semaphore;
  private readonly limiter: RateLimiter | null;
  private readonly headers: Record<string, string>;
  private readonly maxRetries: number;
  private readonly totalTimeoutMs: number;
  private readonly retryBaseMs: number;
  private readonly pool: HashPool;
  private tempDirReady: Promise<unknown> | null = null;
  /** Maximum simultaneous downloads. */
  readonly concurrency: number;

  constructor(
    private readonly config: DownloaderConfig,
    private readonly options: DownloaderOptions,
  ) {
    const concurrency = config.download_concurrency ?? DEFAULT_DOWNLOAD_CONCURRENCY;
    this.concurrency = concurrency;
    this.semaphore = new Semaphore(concurrency);
    this.limiter = config.rate_limit ? new RateLimiter(config.rate_limit) : null;
    this.headers = requestHeaders(config, USER_AGENT);
    this.maxRetries = config.max_retries || DEFAULT_MAX_RETRIES;
    this.totalTimeoutMs = (config.total_timeout ?? DEFAULT_TOTAL_TIMEOUT_S) * 1000;
    this.retryBaseMs = options.retryBaseMs ?? 1000;
    this.pool = options.hashPool ?? sharedHashPool();
    this.client = new HttpClient(config, options.addressPolicy ?? processAddressPolicy(), concurrency);
  }

  /**
   * Downloads `url` to a verified temporary file. Throws the last error once retries are exhausted. A
   * concurrency slot is held while bytes flow; hashing and verification run after the slot is released, so
   * the connections keep transferring while earlier files are being hashed (a digest mismatch retries and
   * takes a slot again).
   */
  async download(url: string, expected: ExpectedFile = {}, signal?: AbortSignal): Promise<DownloadResult> {
    for (let attempt = 0; ; attempt++) {
      let fetched: { path: string; size: number; headers: DownloadResult['headers'] } | null = null;
      try {
        fetched = await this.semaphore.run(() => this.fetch(url, expected, signal));
        const hashed = await this.pool.hashFile(fetched.path, this.options.checksums);
        if (hashed.size !== fetched.size)
          throw new SizeMismatchError(`${url}: expected ${fetched.size} bytes, found ${hashed.size} on disk.`);
        for (const [name, want] of Object.entries(expected.digests ?? {})) {
          if (!want) continue;
          const got = hashed.digests[name as ChecksumName];
          if (got !== undefined && got !== want.toLowerCase()) {
            throw new DigestMismatchError(`${url}: expected ${name} ${want}, computed ${got}.`);
          }
        }
        return { url, path: fetched.path, size: fetched.size, digests: hashed.digests, headers: fetched.headers };
      } catch (err) {
        if (fetched) await rm(fetched.path, { force: true });
        if (signal?.aborted) throw new TaskCanceledError('Download canceled.', { cause: err });
        if (attempt >= this.maxRetries || !isRetriable(err)) throw err;
        await sleep(Math.random() * this.retryBaseMs * 2 ** attempt, signal);
      }
    }
  }

  /** One GET streamed to a temporary file (removed on any failure), with the size checked as bytes arrive. */
  private async fetch(
    url: string,
    expected: ExpectedFile,
    signal?: AbortSignal,
  ): Promise<{ path: string; size: number; headers: DownloadResult['headers'] }> {
    this.tempDirReady ??= mkdir(this.options.tempDir, { recursive: true });
    await this.tempDirReady;
    if (this.limiter) await this.limiter.wait(signal);
    const tempPath = path.join(this.options.tempDir, ownedTempName('dl'));
    const timeout = deadline(signal, this.totalTimeoutMs);
    let size = 0;
    try {
      const res = await this.client.get(url, {
        headers: this.headers,
        signal: timeout.signal,
        readTimeoutMs: (this.config.sock_read_timeout ?? DEFAULT_TOTAL_TIMEOUT_S) * 1000,
      });
      if (res.statusCode >= 400) {
        // The body is never read: an error message must not quote what a remote (or an internal service) said.
        res.body.destroy();
        throw new RemoteFetchError(`Downloading ${url} failed: HTTP ${res.statusCode}.`, { status: res.statusCode });
      }
      const limit = expected.size;
      const counter = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          size += chunk.length;
          if (limit != null && size > limit)
            cb(new SizeMismatchError(`${url}: expected ${limit} bytes, received more.`));
          else cb(null, chunk);
        },
      });
      await pipeToFile(res.body, tempPath, [counter]);
      if (limit != null && size !== limit)
        throw new SizeMismatchError(`${url}: expected ${limit} bytes, received ${size}.`);
      return { path: tempPath, size, headers: res.headers };
    } catch (err) {
      await rm(tempPath, { force: true });
      if (err instanceof SizeMismatchError || err instanceof DigestMismatchError) throw err;
      if (err instanceof RemoteFetchError && err.message.includes(url)) throw err;
      if (err instanceof PulpError && !(err instanceof RemoteFetchError)) throw err;
      if (timeout.timedOut)
        throw new RemoteFetchError(`Downloading ${url} timed out after ${size} bytes.`, { cause: err });
      throw new RemoteFetchError(`Downloading ${url} failed after ${size} bytes: ${describeFailure(err)}`, {
        cause: err,
        status: err instanceof RemoteFetchError ? err.status : undefined,
      });
    } finally {
      timeout.clear();
    }
  }

  /**
   * A small metadata answer read whole into memory (an index page, a JSON document, an XML-RPC reply), with
   * the remote's headers, credentials, proxy and TLS, inside a concurrency slot. Non-2xx answers are returned
   * (callers decide what a 404 means); network failures and 5xx are retried as downloads are. A body past
   * `maxBytes` is an error, so a hostile index cannot exhaust memory.
   */
  async fetchPage(
    url: string,
    options: { method?: 'GET' | 'POST'; body?: string; headers?: Record<string, string>; maxBytes: number },
    signal?: AbortSignal,
  ): Promise<{ status: number; url: string; headers: Record<string, string>; body: string }> {
    for (let attempt = 0; ; attempt++) {
      try {
        const page = await this.semaphore.run(() => this.fetchPageOnce(url, options, signal));
        if (page.status >= 500 && attempt < this.maxRetries)
          throw new RemoteFetchError(`HTTP ${page.status}`, { status: page.status });
        return page;
      } catch (err) {
        if (signal?.aborted) throw new TaskCanceledError('Download canceled.', { cause: err });
        if (attempt >= this.maxRetries || !isRetriable(err)) throw err;
        await sleep(Math.random() * this.retryBaseMs * 2 ** attempt, signal);
      }
    }
  }

  private async fetchPageOnce(
    url: string,
    options: { method?: 'GET' | 'POST'; body?: string; headers?: Record<string, string>; maxBytes: number },
    signal?: AbortSignal,
  ): Promise<{ status: number; url: string; headers: Record<string, string>; body: string }> {
    if (this.limiter) await this.limiter.wait(signal);
    const timeout = deadline(signal, this.totalTimeoutMs);
    try {
      const res = await this.client.get(url, {
        headers: options.headers ? { ...this.headers, ...options.headers } : this.headers,
        signal: timeout.signal,
        readTimeoutMs: (this.config.sock_read_timeout ?? DEFAULT_TOTAL_TIMEOUT_S) * 1000,
        method: options.method,
        body: options.body,
      });
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > options.maxBytes) {
          res.body.destroy();
          throw new RemoteFetchError(`${url}: the answer is larger than ${options.maxBytes} bytes.`, { status: 413 });
        }
        chunks.push(chunk);
      }
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(res.headers))
        if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
      return { status: res.statusCode, url: res.url, headers, body: Buffer.concat(chunks).toString('utf8') };
    } catch (err) {
      if (err instanceof PulpError) throw err;
      if (timeout.timedOut) throw new RemoteFetchError(`Fetching ${url} timed out.`, { cause: err });
      throw new RemoteFetchError(`Fetching ${url} failed: ${describeFailure(err)}`, { cause: err });
    } finally {
      timeout.clear();
    }
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

/**
 * The caller's signal bounded by a total timeout, as one controller with one timer, released by `clear()`.
 * Why not AbortSignal.any([signal, AbortSignal.timeout(ms)]): on Node 20 every such combined signal stays
 * registered on the task's long-lived signal, and each request paid for two extra signals and their timers.
 */
function deadline(signal: AbortSignal | undefined, ms: number) {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new DOMException('The operation timed out.', 'TimeoutError'));
  }, ms);
  timer.unref();
  const onAbort = () => controller.abort(signal?.reason);
  if (signal?.aborted) controller.abort(signal.reason);
  else signal?.addEventListener('abort', onAbort, { once: true });
  return {
    signal: controller.signal,
    get timedOut() {
      return timedOut && !signal?.aborted;
    },
    clear() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    },
  };
}

/** A transport error in words (the codes of node:net and node:http), never the response's content. */
function describeFailure(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'ECONNRESET' || e?.message === 'aborted') return 'the server closed the connection early.';
  if (e?.code === 'ECONNREFUSED') return 'the connection was refused.';
  if (e?.code === 'ENOTFOUND' || e?.code === 'EAI_AGAIN') return 'the host name could not be resolved.';
  if (e?.code === 'HPE_INVALID_CONSTANT' || e?.code?.startsWith('HPE_'))
    return 'the server sent an invalid HTTP response.';
  return e?.message ?? String(err);
}

import { type FileHandle, mkdir, open, rm } from 'node:fs/promises';
import path from 'node:path';

import type { Digests } from '../core/checksums.js';
import type { ChecksumName } from '../core/settings.js';
import { ownedTempName } from '../core/temp-names.js';
import type { StreamHash, StreamHasherPool } from './stream-hasher.js';

/** Bytes between two hashing steps handed to the hashing threads. */
const HASH_STEP = 1024 * 1024;
/** Recent bytes kept in memory for readers at the live edge. */
const MEMORY_WINDOW = 4 * 1024 * 1024;
/** Received but not yet written bytes before upstream reading pauses. */
const MAX_UNWRITTEN = 16 * 1024 * 1024;
const readyDirs = new Set<string>();

async function ensureDir(dir: string): Promise<void> {
  if (readyDirs.has(dir)) return;
  await mkdir(dir, { recursive: true });
  readyDirs.add(dir);
}

/** One upstream attempt: resolves with the body once the upstream answered with a success status. */
export interface UpstreamSource {
  describe: string;
  /** Expected size and digests of this source's remote artifact. */
  expectedSize: number | null;
  open(
    signal: AbortSignal,
  ): Promise<{ headers: Record<string, string | string[] | undefined>; body: AsyncIterable<Uint8Array> }>;
}

export interface SharedDownloadHooks {
  /** Checks size/digests; throws to reject the file (nothing is saved, clients are cut off). */
  verify(source: UpstreamSource, result: { size: number; digests: Digests }): Promise<void>;
  /** Persists the verified file (on_demand); runs before the last byte is released to any client. */
  save(source: UpstreamSource, tempPath: string, result: { size: number; digests: Digests }): Promise<void>;
  /** Whether the bytes of this source may be saved (remote policy other than streamed). */
  shouldSave(source: UpstreamSource): boolean;
  /** Digests to compute: every allowed one when saving, else those `verify` checks. */
  digestsFor(source: UpstreamSource, save: boolean): readonly ChecksumName[];
  onError(err: unknown, source: UpstreamSource): void;
}

/**
 * One upstream download shared by every request for the same missing file (Pulp downloads once per request).
 * Bytes go to a temporary file as they arrive; each client reads that file from its own offset, so a late
 * joiner gets what was already downloaded and then follows the live edge, and a slow client never slows the
 * download. The final byte is held back until the file is verified (and, with on_demand, saved and linked),
 * so no client ever sees a complete-looking wrong file, and a finished response means the artifact exists.
 */
export class SharedDownload {
  state: 'connecting' | 'streaming' | 'done' | 'failed' = 'connecting';
  error: Error | null = null;
  /** Size announced by the remote artifact or the upstream Content-Length, null when unknown. */
  total: number | null = null;
  upstreamHeaders: Record<string, string | string[] | undefined> = {};
  /** Bytes received from upstream (in memory or on disk). */
  received = 0;
  /** Bytes on disk. */
  written = 0;
  /** Bytes clients may send now. */
  released = 0;
  /** The live edge in memory, so readers at the edge (the usual case) need no file read. */
  private recent: { offset: number; buf: Uint8Array }[] = [];
  private recentBytes = 0;
  readonly ready: Promise<void>;
  readonly finished: Promise<void>;
  private resolveReady!: () => void;
  private rejectReady!: (err: Error) => void;
  private handle: FileHandle | null = null;
  private fileReady: Promise<FileHandle> | null = null;
  private tempPath: string;
  private refs = 0;
  private waiters: (() => void)[] = [];
  private readonly abort = new AbortController();
  private saved = false;

  constructor(
    private readonly sources: UpstreamSource[],
    tempDir: string,
    private readonly hooks: SharedDownloadHooks,
    private readonly hashers: StreamHasherPool,
  ) {
    this.tempPath = path.join(tempDir, ownedTempName('ondemand'));
    this.ready = new Promise<void>((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    this.ready.catch(() => undefined);
    this.finished = this.run().finally(() => this.maybeCleanup());
  }

  /** Registers a reader; call `release()` when it is done. */
  acquire(): void {
    this.refs++;
  }

  release(): void {
    this.refs--;
    void this.maybeCleanup();
  }

  /** Reads up to `length` bytes at `position` (below `released`); may return fewer. */
  async read(position: number, length: number): Promise<Uint8Array> {
    const first = this.recent[0];
    if (first && position >= first.offset) {
      for (const c of this.recent) {
        if (position < c.offset + c.buf.length) {
          const from = position - c.offset;
          return c.buf.subarray(from, Math.min(c.buf.length, from + length));
        }
      }
    }
    const buf = Buffer.allocUnsafe(length);
    const handle = this.handle;
    if (!handle) throw this.error ?? new Error('The download is gone.');
    const { bytesRead } = await handle.read(buf, 0, length, position);
    return buf.subarray(0, bytesRead);
  }

  /** Resolves at the next change of `released` or `state`. */
  changed(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  cancel(): void {
    this.abort.abort();
  }

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  private async run(): Promise<void> {
    const problems: string[] = [];
    // Opened while the first upstream request is under way: it is on the path to the first byte.
    this.fileReady = ensureDir(path.dirname(this.tempPath)).then(async () => {
      this.handle = await open(this.tempPath, 'w+');
      return this.handle;
    });
    this.fileReady.catch(() => undefined);
    for (const source of this.sources) {
      let response;
      try {
        response = await source.open(this.abort.signal);
      } catch (err) {
        // Nothing was sent yet: the next remote artifact may still work (spec runtime §2.6).
        problems.push(`${source.describe}: ${(err as Error).message}`);
        this.hooks.onError(err, source);
        continue;
      }
      await this.stream(source, response);
      return;
    }
    this.fail(new Error(problems.length > 0 ? problems.join('; ') : 'no remote artifact to fetch from'));
    this.rejectReady(this.error!);
  }

  private async stream(source: UpstreamSource, response: Awaited<ReturnType<UpstreamSource['open']>>): Promise<void> {
    const save = this.hooks.shouldSave(source);
    let hash: StreamHash | null = null;
    try {
      const handle = await this.fileReady!;
      hash = this.hashers.start(this.tempPath, this.hooks.digestsFor(source, save));
      const length = Number(response.headers['content-length']);
      this.total =
        source.expectedSize ??
        (Number.isFinite(length) && response.headers['content-encoding'] === undefined ? length : null);
      this.upstreamHeaders = response.headers;
      this.state = 'streaming';
      this.resolveReady();
      const hashing = hash;
      let hashed = 0;
      // Disk writes run behind the live edge; a chunk leaves memory only once it is on disk.
      let writes: Promise<void> = Promise.resolve();
      const persist = (chunk: Uint8Array, offset: number) => async () => {
        await handle.write(chunk, 0, chunk.length, offset);
        this.written = offset + chunk.length;
        while (
          this.recent.length > 1 &&
          this.recent[0]!.offset + this.recent[0]!.buf.length <= this.written &&
          this.recentBytes - this.recent[0]!.buf.length >= MEMORY_WINDOW
        ) {
          this.recentBytes -= this.recent.shift()!.buf.length;
        }
        if (this.written - hashed >= HASH_STEP) {
          hashing.advance(this.written);
          hashed = this.written;
        }
      };
      for await (const chunk of response.body) {
        if (this.total !== null && this.received + chunk.length > this.total) {
          throw new Error(`the upstream sent more than the expected ${this.total} bytes`);
        }
        const offset = this.received;
        this.recent.push({ offset, buf: chunk });
        this.recentBytes += chunk.length;
        this.received += chunk.length;
        writes = writes.then(persist(chunk, offset));
        writes.catch(() => undefined);
        this.released = this.total !== null ? Math.min(this.received, this.total - 1) : offset;
        this.notify();
        // Upstream faster than the disk: wait, so memory stays bounded.
        if (this.received - this.written > MAX_UNWRITTEN) await writes;
      }
      await writes;
      const digests = await hash.finish(this.written);
      hash = null;
      const result = { size: this.written, digests };
      await this.hooks.verify(source, result);
      if (save) {
        await this.hooks.save(source, this.tempPath, result);
        this.saved = true;
      }
      this.total = this.written;
      this.released = this.written;
      this.state = 'done';
      this.notify();
    } catch (err) {
      hash?.abort();
      this.hooks.onError(err, source);
      this.fail(err instanceof Error ? err : new Error(String(err)));
      this.rejectReady(this.error!);
      this.abort.abort();
    }
  }

  private fail(err: Error): void {
    this.error = err;
    this.state = 'failed';
    this.notify();
  }

  private cleaning = false;

  private async maybeCleanup(): Promise<void> {
    if (this.refs > 0 || (this.state !== 'done' && this.state !== 'failed') || this.cleaning) return;
    this.cleaning = true;
    await this.fileReady?.catch(() => undefined);
    this.recent = [];
    const handle = this.handle;
    this.handle = null;
    await handle?.close().catch(() => undefined);
    if (!this.saved) await rm(this.tempPath, { force: true });
  }
}

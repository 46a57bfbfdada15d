import type { StoredFile } from './serve-file.js';

/** Request paths remembered per process; each entry is a few hundred bytes (no file body is kept). */
const MAX_ENTRIES = 20_000;

/**
 * The stored file each request path last resolved to, for the one case where the database cannot say: while
 * it does not answer (down, frozen, partitioned), a path served before is served again from storage instead
 * of failing, since artifacts are content-addressed and do not change. Only paths of distributions without a
 * content guard are kept (a guard's verdict needs the database), and everything is forgotten when the content
 * serial moves, so a file removed from a distribution is never served from here once this process has seen the
 * change. Insertion order bounds it: past MAX_ENTRIES the oldest resolution goes.
 */
export class LastGoodFiles {
  private readonly files = new Map<string, StoredFile>();

  constructor(private readonly maxEntries = MAX_ENTRIES) {}

  record(path: string, file: StoredFile): void {
    this.files.delete(path);
    if (this.files.size >= this.maxEntries) {
      const oldest = this.files.keys().next();
      if (!oldest.done) this.files.delete(oldest.value);
    }
    // The bytes of small files stay with the live resolutions only; storage still answers without the database.
    this.files.set(path, file.body === null ? file : { ...file, body: null });
  }

  forget(path: string): void {
    this.files.delete(path);
  }

  get(path: string): StoredFile | undefined {
    return this.files.get(path);
  }

  clear(): void {
    this.files.clear();
  }
}

/**
 * Whether the database was found not answering a moment ago. While it was, a request with a last good file is
 * answered from it at once instead of waiting for the timeouts again; the first request after `retryMs` tries
 * the database, so recovery needs no probe of its own.
 */
export class DatabaseOutage {
  private until = 0;

  constructor(private readonly retryMs: number) {}

  /** Notes a failure; true when this starts an outage (for one log line per outage). */
  failed(): boolean {
    const starting = !this.active();
    this.until = Date.now() + this.retryMs;
    return starting;
  }

  active(): boolean {
    return Date.now() < this.until;
  }
}

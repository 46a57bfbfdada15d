import pg from 'pg';
import type { Logger } from 'pino';

import { CONTENT_CHANGED_CHANNEL } from '../db/content-serial.js';
import { clientTimeouts, type DatabaseOptions } from '../db/database.js';
import { isDatabaseUnavailable } from '../db/unavailable.js';

export interface ContentCacheOptions extends Pick<DatabaseOptions, 'connectTimeout' | 'queryTimeout'> {
  /** Called when the serial read or the listener's connect finds the database not answering. */
  onUnavailable?: () => void;
}

/**
 * Per-process memory of what the content app resolved (distributions, their targets, path resolutions).
 * Everything is dropped when any process commits a change to what is served (the content-change triggers bump
 * `content_serial` and NOTIFYs at commit) and whenever the LISTEN connection is lost, since notifications
 * sent while disconnected are gone. While disconnected nothing is cached at all.
 *
 * NOTIFY alone is not enough for "never stale once the API answered": PostgreSQL delivers the notification
 * asynchronously, and a client that got its answer can reach the content app first (seen in tests, within a
 * millisecond). So every request first passes `fresh()`, a read barrier: it waits for a read of the serial
 * that started after the request arrived. Concurrent requests share one read (at most one in flight and one
 * queued per process), so the database sees one tiny query per round trip, not one per request.
 *
 * The listener connection has the pool's timeouts: a database that stops answering without closing the
 * connection (frozen, partitioned) would otherwise hold every request in `fresh()` for as long as it lasts.
 */
export class ContentCache {
  /** Bumped on every invalidation; a lookup started under an older generation must not be stored. */
  generation = 0;
  /** False until LISTEN is established and while it is down: every request then reads the database. */
  enabled = false;
  private readonly maps = new Set<Map<unknown, unknown>>();
  private readonly listeners = new Set<() => void>();
  private readonly changeListeners = new Set<() => void>();
  /** Last serial ever read, kept across reconnects: tells a real content change from a lost connection. */
  private knownSerial: string | null = null;
  private client: pg.Client | null = null;
  private closed = false;
  private retryTimer: NodeJS.Timeout | null = null;
  /** Serial the cached data was read under. */
  private serial: string | null = null;
  private current: Promise<void> | null = null;
  private next: Promise<void> | null = null;

  constructor(
    private readonly url: string | null,
    private readonly logger: Logger,
    private readonly options: ContentCacheOptions = {},
  ) {}

  /** A map that is cleared on every invalidation. */
  createMap<K, V>(): Map<K, V> {
    const map = new Map<K, V>();
    this.maps.add(map);
    return map;
  }

  onInvalidate(listener: () => void): void {
    this.listeners.add(listener);
  }

  /** Called when the content serial moved (something served changed), not when only the connection was lost. */
  onContentChange(listener: () => void): void {
    this.changeListeners.add(listener);
  }

  private noteSerial(serial: string | null): void {
    if (serial === null) return;
    const changed = this.knownSerial !== null && serial !== this.knownSerial;
    this.knownSerial = serial;
    if (changed) for (const listener of this.changeListeners) listener();
  }

  invalidate(): void {
    this.generation++;
    for (const map of this.maps) map.clear();
    for (const listener of this.listeners) listener();
  }

  /** Stores `value` only if no invalidation happened since `generation` was read and caching is on. */
  store<K, V>(map: Map<K, V>, key: K, value: V, generation: number, maxEntries = 200_000): void {
    if (!this.enabled || generation !== this.generation) return;
    // A full map is emptied rather than tracked as an LRU: refilling costs one query per hot path.
    if (map.size >= maxEntries) map.clear();
    map.set(key, value);
  }

  /** Resolves once a serial read that started after this call has been applied (see the class comment). */
  fresh(): Promise<void> {
    if (!this.enabled) return Promise.resolve();
    if (this.current === null) return this.startCheck();
    // The running read may have started before this request arrived: wait for the one after it.
    this.next ??= this.current.then(() => {
      this.next = null;
      return this.startCheck();
    });
    return this.next;
  }

  private startCheck(): Promise<void> {
    const p: Promise<void> = this.checkSerial().finally(() => {
      if (this.current === p) this.current = null;
    });
    this.current = p;
    return p;
  }

  private async checkSerial(): Promise<void> {
    const client = this.client;
    if (!client || !this.enabled) return;
    try {
      const result = await client.query<{ serial: string }>(
        'SELECT serial::text AS serial FROM content_serial WHERE id = 1',
      );
      const serial = result.rows[0]?.serial ?? null;
      if (serial !== this.serial) {
        this.invalidate();
        this.serial = serial;
      }
      this.noteSerial(serial);
    } catch (err) {
      if (isDatabaseUnavailable(err)) this.options.onUnavailable?.();
      this.logger.warn({ err }, 'content cache cannot read the content serial');
      this.disconnected(client);
    }
  }

  async start(): Promise<void> {
    await this.connect();
  }

  private async connect(): Promise<void> {
    if (this.closed || this.url === null) return;
    const client = new pg.Client({
      connectionString: this.url,
      application_name: 'pulp-ts content listener',
      ...clientTimeouts(this.options),
    });
    client.on('notification', (msg) => {
      this.invalidate();
      if (msg.payload) this.serial = msg.payload;
      this.noteSerial(msg.payload ?? null);
    });
    client.on('error', (err) => {
      this.logger.warn({ err }, 'content cache listener lost its connection');
      this.disconnected(client);
    });
    client.on('end', () => this.disconnected(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${CONTENT_CHANGED_CHANNEL}`);
    } catch (err) {
      if (isDatabaseUnavailable(err)) this.options.onUnavailable?.();
      this.logger.warn({ err }, 'content cache listener cannot connect; serving without cache');
      this.disconnected(client);
      return;
    }
    this.client = client;
    // Whatever changed while we were not listening is unknown: start from nothing.
    this.invalidate();
    this.serial = null;
    this.enabled = true;
  }

  private disconnected(client: pg.Client): void {
    if (this.client !== null && this.client !== client) return;
    this.client = null;
    this.enabled = false;
    this.invalidate();
    client.end().catch(() => undefined);
    if (this.closed || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.connect();
    }, 1000);
    this.retryTimer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.enabled = false;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = null;
    if (client) await client.end().catch(() => undefined);
  }
}

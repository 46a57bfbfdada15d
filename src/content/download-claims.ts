import pg from 'pg';
import type { Logger } from 'pino';

import { clientTimeouts, type DatabaseOptions } from '../db/database.js';

/** Channel on which the process that downloaded a missing file says it is done (payload: content_artifact id). */
export const DOWNLOAD_DONE_CHANNEL = 'pulp_ts_ondemand_done';
/** First key of the session advisory locks (two-int form) that claim one on-demand download cluster-wide. */
const DOWNLOAD_LOCK_CLASS = 7_401;
/** A waiter tries the claim again this often: a claim whose owner died is released with its session. */
const RECHECK_MS = 1000;

/**
 * One upstream download per missing file across every content process on every host. The process that fetches
 * a file holds a session-level advisory lock on it, on a connection of its own, for as long as the download
 * runs; the others wait for its NOTIFY (sent after the artifact is saved and linked) and then serve the stored
 * file. A process that dies mid-download loses its session, hence the lock: a waiter that retries the claim
 * gets it, finds no artifact yet, and fetches the file itself, so the download is handed on rather than lost.
 * Without a database URL (or while the connection is down) every process downloads for itself, as before.
 */
export class DownloadClaims {
  private client: pg.Client | null = null;
  private readonly waiters = new Map<string, Set<() => void>>();
  private closed = false;

  constructor(
    private readonly url: string | null,
    private readonly logger: Logger,
    private readonly timeouts: Pick<DatabaseOptions, 'connectTimeout' | 'queryTimeout'> = {},
  ) {}

  async start(): Promise<void> {
    if (this.url === null || this.closed) return;
    const client = new pg.Client({
      connectionString: this.url,
      application_name: 'pulp-ts content downloads',
      ...clientTimeouts(this.timeouts),
    });
    client.on('notification', (msg) => {
      const set = msg.payload ? this.waiters.get(msg.payload) : undefined;
      if (set) for (const wake of [...set]) wake();
    });
    client.on('error', (err) => {
      this.logger.warn({ err }, 'on-demand download claims lost their connection');
      this.dropped(client);
    });
    client.on('end', () => this.dropped(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${DOWNLOAD_DONE_CHANNEL}`);
      this.client = client;
    } catch (err) {
      this.logger.warn({ err }, 'on-demand download claims cannot connect; each process downloads for itself');
      this.dropped(client);
    }
  }

  private dropped(client: pg.Client): void {
    if (this.client === client) this.client = null;
    client.end().catch(() => undefined);
    // Every claim of this session is gone with it; waiters find out at their next retry.
    if (this.closed) return;
    const retry = setTimeout(() => void this.start(), RECHECK_MS);
    retry.unref();
  }

  /** The session's backend pid (tests end the session to play a process that died). */
  async backendPid(): Promise<number | null> {
    const r = await this.client?.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    return r?.rows[0]?.pid ?? null;
  }

  /**
   * Claims the download of `contentArtifactId`: true when this process should fetch it (also when there is no
   * coordination at all), false when another process holds the claim.
   */
  async claim(contentArtifactId: string): Promise<boolean> {
    const client = this.client;
    if (!client) return true;
    try {
      const r = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::int, hashtext($2)) AS ok', [
        DOWNLOAD_LOCK_CLASS,
        contentArtifactId,
      ]);
      return r.rows[0]?.ok === true;
    } catch (err) {
      this.logger.warn({ err }, 'cannot claim an on-demand download; fetching it here');
      return true;
    }
  }

  /** Ends a claim and tells the waiting processes (they then find the artifact, or claim the download). */
  async release(contentArtifactId: string): Promise<void> {
    const client = this.client;
    if (!client) return;
    await client
      .query('SELECT pg_advisory_unlock($1::int, hashtext($2)), pg_notify($3, $2)', [
        DOWNLOAD_LOCK_CLASS,
        contentArtifactId,
        DOWNLOAD_DONE_CHANNEL,
      ])
      .catch((err: unknown) => this.logger.warn({ err }, 'cannot release an on-demand download claim'));
  }

  /** Resolves when the claim holder says `contentArtifactId` is done, or after the recheck interval. */
  waitForOther(contentArtifactId: string, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      let set = this.waiters.get(contentArtifactId);
      if (!set) this.waiters.set(contentArtifactId, (set = new Set()));
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        set.delete(done);
        if (set.size === 0 && this.waiters.get(contentArtifactId) === set) this.waiters.delete(contentArtifactId);
        resolve();
      };
      const timer = setTimeout(done, RECHECK_MS);
      signal.addEventListener('abort', done);
      set.add(done);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const set of this.waiters.values()) for (const wake of [...set]) wake();
    const client = this.client;
    this.client = null;
    if (client) await client.end().catch(() => undefined);
  }
}

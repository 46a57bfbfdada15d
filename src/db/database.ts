import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';

import type { DB } from './tables.js';

// Timestamps stay text so that their microseconds reach the API (Pulp renders six fraction digits);
// bigint sizes and counts fit in a double for every realistic value.
pg.types.setTypeParser(1184, (v: string) => v);
pg.types.setTypeParser(1114, (v: string) => v);
pg.types.setTypeParser(20, (v: string) => Number(v));

export type Database = Kysely<DB>;

export interface DatabaseOptions {
  url: string;
  /** Pool size; each process needs few connections. */
  max?: number;
  applicationName?: string;
  /** Seconds to open a connection or wait for a free one (DB_CONNECT_TIMEOUT); default 10. */
  connectTimeout?: number;
  /**
   * Seconds a statement may take (DB_QUERY_TIMEOUT), enforced by the server (statement_timeout) and, for a server
   * that does not answer at all (frozen, partitioned), by the client; null: no limit (migrations, long task work).
   */
  queryTimeout?: number | null;
}

export const DEFAULT_CONNECT_TIMEOUT = 10;
export const DEFAULT_QUERY_TIMEOUT = 30;

/** The pool options of a process from its settings. */
export function databaseTimeouts(settings: {
  DB_CONNECT_TIMEOUT: number;
  DB_QUERY_TIMEOUT: number | null;
}): Pick<DatabaseOptions, 'connectTimeout' | 'queryTimeout'> {
  return { connectTimeout: settings.DB_CONNECT_TIMEOUT, queryTimeout: settings.DB_QUERY_TIMEOUT };
}

/**
 * The same bounds for a single pg.Client of its own (LISTEN connections): a server that accepts the TCP connection
 * but never answers (frozen, partitioned) fails the connect and each query instead of holding them forever.
 */
export function clientTimeouts(
  options: Pick<DatabaseOptions, 'connectTimeout' | 'queryTimeout'>,
): Pick<pg.ClientConfig, 'connectionTimeoutMillis' | 'query_timeout'> {
  const queryTimeout = options.queryTimeout === undefined ? DEFAULT_QUERY_TIMEOUT : options.queryTimeout;
  return {
    connectionTimeoutMillis: Math.round((options.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT) * 1000),
    ...(queryTimeout === null ? {} : { query_timeout: Math.round(queryTimeout * 1000) }),
  };
}

export function createPool(options: DatabaseOptions): pg.Pool {
  const queryTimeout = options.queryTimeout === undefined ? DEFAULT_QUERY_TIMEOUT : options.queryTimeout;
  const queryMs = queryTimeout === null ? 0 : Math.round(queryTimeout * 1000);
  const pool = new pg.Pool({
    connectionTimeoutMillis: Math.round((options.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT) * 1000),
    // The server cancels a slow statement itself (57014); the client gives up a little later when the server
    // does not answer at all, so that a request fails instead of hanging.
    ...(queryMs > 0 ? { statement_timeout: queryMs, query_timeout: queryMs + 1000 } : {}),
    connectionString: options.url,
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'pulp-ts',
    options: '-c TimeZone=UTC',
  });
  // An idle connection the server ends (restart, failover, pg_terminate_backend) is dropped by the pool; without
  // a listener its 'error' event would crash the process. The next query opens a new connection.
  pool.on('error', () => undefined);
  return pool;
}

export function createDatabase(options: DatabaseOptions): { db: Database; pool: pg.Pool } {
  const pool = createPool(options);
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  return { db, pool };
}

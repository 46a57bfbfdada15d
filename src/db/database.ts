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
}

export function createPool(options: DatabaseOptions): pg.Pool {
  const pool = new pg.Pool({
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

import { sql } from 'kysely';

import type { Database } from './database.js';

/** Channel content apps LISTEN on; the payload is the new serial. */
export const CONTENT_CHANGED_CHANNEL = 'pulp_content_changed';

/**
 * Records that what the content app serves may have changed (distribution, publication, guard, role,
 * repository version). Call it inside the transaction that makes the change: NOTIFY is delivered at commit,
 * so every content app drops its caches before the API call or task that made the change answers.
 */
export async function bumpContentSerial(db: Database): Promise<void> {
  await sql`WITH s AS (UPDATE content_serial SET serial = serial + 1 WHERE id = 1 RETURNING serial)
            SELECT pg_notify(${CONTENT_CHANGED_CHANNEL}, (SELECT serial FROM s)::text)`.execute(db);
}

import { type Kysely, sql } from 'kysely';

/**
 * Typed content lists (`content/<plugin>/<type>/`) order by `-pulp_created, -pulp_id` within one `pulp_type`:
 * with this index a page is a backward index scan that stops after `limit` rows, instead of joining and sorting
 * every unit of a repository version. It replaces the `(pulp_type)` index, which it covers as a prefix, so that
 * content inserts maintain as many indexes as before.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
CREATE INDEX content_type_created ON content (pulp_type, pulp_created, pulp_id);
DROP INDEX content_type;
`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
CREATE INDEX content_type ON content (pulp_type);
DROP INDEX content_type_created;
`.execute(db);
}

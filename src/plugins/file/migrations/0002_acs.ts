import { type Kysely, sql } from 'kysely';

/** pulp_file's FileAlternateContentSource: a named on_demand remote and the paths below its URL. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
CREATE TABLE file_acs (
  pulp_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  pulp_created timestamptz NOT NULL DEFAULT clock_timestamp(),
  pulp_last_updated timestamptz NOT NULL DEFAULT clock_timestamp(),
  name text NOT NULL UNIQUE,
  remote_id uuid NOT NULL REFERENCES remote (pulp_id) ON DELETE RESTRICT,
  paths text[] NOT NULL DEFAULT '{}',
  last_refreshed timestamptz
);
`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE file_acs;`.execute(db);
}

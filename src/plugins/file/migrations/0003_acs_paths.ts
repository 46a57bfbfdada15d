import { type Kysely, sql } from 'kysely';

/**
 * pulpcore's AlternateContentSourcePath: one row per path a refresh indexes ('' for the remote's URL itself), with
 * the hidden repository holding what the last refresh of that path found.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
CREATE TABLE file_acs_path (
  pulp_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  pulp_created timestamptz NOT NULL DEFAULT clock_timestamp(),
  pulp_last_updated timestamptz NOT NULL DEFAULT clock_timestamp(),
  acs_id uuid NOT NULL REFERENCES file_acs (pulp_id) ON DELETE CASCADE,
  path text NOT NULL,
  repository_id uuid REFERENCES repository (pulp_id) ON DELETE SET NULL,
  UNIQUE (acs_id, path)
);
CREATE INDEX file_acs_path_repository ON file_acs_path (repository_id);
`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE file_acs_path;`.execute(db);
}

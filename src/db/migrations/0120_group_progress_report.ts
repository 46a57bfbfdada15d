import { type Kysely, sql } from 'kysely';

/** Pulp's GroupProgressReport: progress of a task group as a whole, advanced by its tasks (one row per code). */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
CREATE TABLE group_progress_report (
  pulp_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  pulp_created timestamptz NOT NULL DEFAULT clock_timestamp(),
  pulp_last_updated timestamptz NOT NULL DEFAULT clock_timestamp(),
  task_group_id uuid NOT NULL REFERENCES task_group (pulp_id) ON DELETE CASCADE,
  message text NOT NULL,
  code text NOT NULL,
  total integer,
  done integer NOT NULL DEFAULT 0,
  suffix text,
  UNIQUE (task_group_id, code)
);
`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE group_progress_report;`.execute(db);
}

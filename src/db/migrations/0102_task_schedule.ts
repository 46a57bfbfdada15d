import { type Kysely, sql } from 'kysely';

/**
 * Pulp's TaskSchedule: a task dispatched when `next_dispatch` is due, then every `dispatch_interval` (a one-shot
 * schedule when null), never while its `last_task` is unfinished.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
CREATE TABLE task_schedule (
  pulp_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  pulp_created timestamptz NOT NULL DEFAULT clock_timestamp(),
  pulp_last_updated timestamptz NOT NULL DEFAULT clock_timestamp(),
  name text NOT NULL UNIQUE,
  task_name text NOT NULL,
  task_args jsonb NOT NULL DEFAULT '{}',
  next_dispatch timestamptz,
  dispatch_interval interval,
  last_task_id uuid REFERENCES task (pulp_id) ON DELETE SET NULL
);
CREATE INDEX task_schedule_due ON task_schedule (next_dispatch) WHERE next_dispatch IS NOT NULL;
`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE task_schedule;`.execute(db);
}

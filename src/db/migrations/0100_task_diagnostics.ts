import { type Kysely, sql } from 'kysely';

/**
 * Task diagnostics (Pulp's Task.profile_options and ProfileArtifact) and the artifact distribution that serves
 * their files: one `core.artifact` distribution behind a content-redirect guard, both named by 256 random bits,
 * as Pulp's post-migrate hook creates them, so its URLs can only be reached through links the API signs.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
ALTER TABLE task ADD COLUMN profile_options text[];

CREATE TABLE profile_artifact (
  pulp_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  pulp_created timestamptz NOT NULL DEFAULT clock_timestamp(),
  pulp_last_updated timestamptz NOT NULL DEFAULT clock_timestamp(),
  task_id uuid NOT NULL REFERENCES task (pulp_id) ON DELETE CASCADE,
  artifact_id uuid NOT NULL REFERENCES artifact (pulp_id) ON DELETE CASCADE,
  name text NOT NULL,
  UNIQUE (task_id, name)
);
CREATE INDEX profile_artifact_artifact ON profile_artifact (artifact_id);

WITH secret AS (
  SELECT md5(random()::text || clock_timestamp()::text) || md5(random()::text || clock_timestamp()::text) AS name,
         md5(random()::text || clock_timestamp()::text) || md5(random()::text || clock_timestamp()::text) AS key
), guard AS (
  INSERT INTO content_guard (pulp_type, name, detail)
  SELECT 'core.content_redirect', name, jsonb_build_object('shared_secret', key) FROM secret
  RETURNING pulp_id, name
)
INSERT INTO distribution (pulp_type, name, base_path, content_guard_id)
SELECT 'core.artifact', name, name, pulp_id FROM guard;
`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
DELETE FROM content_guard WHERE pulp_id IN (SELECT content_guard_id FROM distribution WHERE pulp_type = 'core.artifact');
DELETE FROM distribution WHERE pulp_type = 'core.artifact';
DROP TABLE profile_artifact;
ALTER TABLE task DROP COLUMN profile_options;
`.execute(db);
}

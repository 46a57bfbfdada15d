import { type Kysely, sql } from 'kysely';

import { CONTENT_CHANGED_FUNCTION, contentChangeTrigger } from '../content-change-triggers.js';

/**
 * Invariants that used to live in every caller:
 * - the content serial is bumped by triggers on every table whose changes alter what is served, so no write
 *   path can forget it;
 * - no distribution's base_path may be nested in another's (unless created below it on purpose, see
 *   `nested_under`): checked under one advisory lock inside the writing transaction, so two concurrent
 *   creates cannot both pass.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await CONTENT_CHANGED_FUNCTION.execute(db);
  const triggers = [
    contentChangeTrigger('distribution', 'INSERT OR UPDATE OR DELETE'),
    contentChangeTrigger('content_guard', 'INSERT OR UPDATE OR DELETE'),
    contentChangeTrigger('publication', 'INSERT OR UPDATE', 'NEW.complete'),
    contentChangeTrigger('publication', 'DELETE', 'OLD.complete'),
    contentChangeTrigger('repository_version', 'UPDATE', 'NEW.complete IS DISTINCT FROM OLD.complete'),
    contentChangeTrigger('repository_version', 'DELETE', 'OLD.complete'),
    contentChangeTrigger('remote', 'UPDATE OR DELETE'),
    // Reclaim space unlinks stored files from content the content app may have resolved.
    contentChangeTrigger('content_artifact', 'UPDATE', 'OLD.artifact_id IS NOT NULL AND NEW.artifact_id IS NULL'),
    contentChangeTrigger('core_userrole', 'INSERT OR UPDATE OR DELETE'),
    contentChangeTrigger('core_grouprole', 'INSERT OR UPDATE OR DELETE'),
    contentChangeTrigger('core_role', 'UPDATE OR DELETE'),
    contentChangeTrigger('auth_user_groups', 'INSERT OR UPDATE OR DELETE'),
    contentChangeTrigger('auth_group', 'DELETE'),
    contentChangeTrigger(
      'auth_user',
      'UPDATE',
      'NEW.password IS DISTINCT FROM OLD.password OR NEW.is_active IS DISTINCT FROM OLD.is_active OR NEW.is_superuser IS DISTINCT FROM OLD.is_superuser',
    ),
    contentChangeTrigger('auth_user', 'DELETE'),
  ];
  for (const t of triggers) await sql.raw(t).execute(db);
  await sql`
CREATE OR REPLACE FUNCTION pulp_distribution_base_path_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE other text;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('pulp_distribution_base_path'));
  SELECT name INTO other FROM distribution
    WHERE pulp_id <> NEW.pulp_id
      AND (starts_with(base_path, NEW.base_path || '/') OR starts_with(NEW.base_path, base_path || '/'))
      -- A distribution a plugin creates below another on purpose (pull-through caches) names it in
      -- detail.nested_under; it may overlap that one and its siblings, nothing else.
      AND (NEW.detail->>'nested_under') IS DISTINCT FROM pulp_id::text
      AND (detail->>'nested_under') IS DISTINCT FROM NEW.pulp_id::text
      AND NOT ((NEW.detail->>'nested_under') IS NOT NULL AND (NEW.detail->>'nested_under') = (detail->>'nested_under'))
    LIMIT 1;
  IF other IS NOT NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'exclusion_violation',
      MESSAGE = format('base_path %s overlaps with existing distribution ''%s''', NEW.base_path, other);
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER distribution_base_path_nesting BEFORE INSERT OR UPDATE OF base_path ON distribution
  FOR EACH ROW EXECUTE FUNCTION pulp_distribution_base_path_check();
`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TRIGGER IF EXISTS distribution_base_path_nesting ON distribution;
DROP FUNCTION IF EXISTS pulp_distribution_base_path_check();
DROP FUNCTION IF EXISTS pulp_content_changed() CASCADE;`.execute(db);
}

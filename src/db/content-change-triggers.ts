import { sql } from 'kysely';

import { CONTENT_CHANGED_CHANNEL } from './content-serial.js';

/**
 * The one place where "what the content app serves changed" is recorded: a function run by deferred
 * constraint triggers, so the serial row is locked only for the instant of the commit (not for the whole
 * writing transaction) and bumped once per transaction however many rows changed.
 */
export const CONTENT_CHANGED_FUNCTION = sql.raw(`
CREATE OR REPLACE FUNCTION pulp_content_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE next_serial bigint;
BEGIN
  IF current_setting('pulp.content_changed', true) IS DISTINCT FROM txid_current()::text THEN
    PERFORM set_config('pulp.content_changed', txid_current()::text, true);
    UPDATE content_serial SET serial = serial + 1 WHERE id = 1 RETURNING serial INTO next_serial;
    PERFORM pg_notify('${CONTENT_CHANGED_CHANNEL}', next_serial::text);
  END IF;
  RETURN NULL;
END $$;`);

/**
 * SQL creating a trigger that bumps the content serial when rows of `table` change. `events` is e.g.
 * `INSERT OR UPDATE OR DELETE` or `UPDATE OF complete`; `when` an optional row condition over OLD/NEW.
 */
export function contentChangeTrigger(table: string, events: string, when?: string): string {
  const name = `${table}_content_changed_${events.toLowerCase().replace(/[^a-z]+/g, '_')}`.slice(0, 63);
  return `CREATE CONSTRAINT TRIGGER ${name} AFTER ${events} ON ${table} DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW ${when ? `WHEN (${when}) ` : ''}EXECUTE FUNCTION pulp_content_changed();`;
}

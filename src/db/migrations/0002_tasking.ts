import { type Kysely, sql } from 'kysely';

/**
 * Tasking: a dispatch order (`task.seq`), one `task_reservation` row per resource of every unfinished task, and
 * the four hot statements as SQL functions (one round trip each). See src/tasking/claim-task.ts for the design.
 *
 * Invariant: a `task_reservation` row exists exactly while its task is unfinished. A task is blocked when an
 * earlier row (smaller seq) on one of its resources conflicts: exclusive vs anything, shared vs exclusive.
 * Every check is an index probe on (resource, seq), so its cost does not grow with the number of waiting tasks.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(
      `
CREATE SEQUENCE task_seq;
ALTER TABLE task ADD COLUMN seq bigint;

CREATE TABLE task_reservation (
  task_id uuid NOT NULL REFERENCES task (pulp_id) ON DELETE CASCADE,
  resource text NOT NULL,
  exclusive boolean NOT NULL,
  seq bigint NOT NULL,
  PRIMARY KEY (task_id, resource)
);
CREATE INDEX task_reservation_queue ON task_reservation (resource, seq);
CREATE INDEX task_reservation_exclusive ON task_reservation (resource, seq) WHERE exclusive;

-- Claimable: unowned, and either runnable or canceled while waiting (finalised by a worker).
CREATE INDEX task_claimable ON task (immediate DESC, seq)
  WHERE worker_id IS NULL AND (state = 'canceling' OR (state = 'waiting' AND unblocked_at IS NOT NULL));
-- The pacemaker looks at the oldest blocked tasks only.
CREATE INDEX task_blocked ON task (seq) WHERE state = 'waiting' AND unblocked_at IS NULL;
CREATE INDEX task_created_resources ON task USING gin (created_resources);
CREATE INDEX task_reserved_resources ON task USING gin (reserved_resources_record);
CREATE INDEX task_logging_cid ON task (logging_cid);

-- Takes the per-resource dispatch locks in a deadlock-free order (hash, exclusive first). Shared holders do not
-- conflict, so they take the shared form of the lock and dispatch in parallel; a conflicting pair is
-- serialised, so the later one draws the larger seq and sees the earlier one committed.
CREATE FUNCTION pulp_task_lock_resources(p_exclusive text[], p_shared text[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE r record;
BEGIN
  FOR r IN
    SELECT res, excl FROM (
      SELECT e AS res, true AS excl FROM unnest(p_exclusive) e
      UNION ALL SELECT s, false FROM unnest(p_shared) s) x
    ORDER BY hashtext(res), excl DESC, res
  LOOP
    IF r.excl THEN PERFORM pg_advisory_xact_lock(4711, hashtext(r.res));
    ELSE PERFORM pg_advisory_xact_lock_shared(4711, hashtext(r.res));
    END IF;
  END LOOP;
END $$;

CREATE FUNCTION pulp_task_dispatch(
  p_name text, p_args jsonb, p_exclusive text[], p_shared text[], p_logging_cid text, p_user_id integer,
  p_parent uuid, p_group uuid, p_immediate boolean, p_deferred boolean, p_app uuid
) RETURNS TABLE (task_id uuid, task_state text)
LANGUAGE plpgsql AS $$
DECLARE
  v_exclusive text[] := ARRAY(
    SELECT e FROM unnest(p_exclusive) WITH ORDINALITY u(e, i) WHERE e IS NOT NULL GROUP BY e ORDER BY min(i));
  v_shared text[];
  v_seq bigint;
  v_id uuid;
  v_blocked boolean;
  v_record text[];
BEGIN
  v_shared := ARRAY(
    SELECT s FROM unnest(p_shared) WITH ORDINALITY u(s, i)
    WHERE s IS NOT NULL AND s <> ALL (v_exclusive) GROUP BY s ORDER BY min(i));
  PERFORM pulp_task_lock_resources(v_exclusive, v_shared);
  v_seq := nextval('task_seq');
  v_record := v_exclusive || ARRAY(SELECT 'shared:' || s FROM unnest(v_shared) s);
  -- Under our locks every existing conflicting row is earlier than us.
  v_blocked := EXISTS (SELECT 1 FROM task_reservation WHERE resource = ANY (v_exclusive))
    OR EXISTS (SELECT 1 FROM task_reservation WHERE exclusive AND resource = ANY (v_shared));
  IF p_immediate AND v_blocked AND NOT p_deferred THEN
    INSERT INTO task (name, args, logging_cid, user_id, parent_task_id, task_group_id, immediate, deferred, seq,
      reserved_resources_record, exclusive_resources, shared_resources, state, finished_at, error)
    VALUES (p_name, p_args, p_logging_cid, p_user_id, p_parent, p_group, p_immediate, p_deferred, v_seq,
      v_record, v_exclusive, v_shared, 'canceled', clock_timestamp(),
      '{"reason": "Resources temporarily unavailable.", "description": "Resources temporarily unavailable."}')
    RETURNING pulp_id INTO v_id;
    RETURN QUERY SELECT v_id, 'canceled'::text;
    RETURN;
  END IF;
  IF p_immediate AND NOT v_blocked THEN
    INSERT INTO task (name, args, logging_cid, user_id, parent_task_id, task_group_id, immediate, deferred, seq,
      reserved_resources_record, exclusive_resources, shared_resources, state, unblocked_at, started_at, worker_id)
    VALUES (p_name, p_args, p_logging_cid, p_user_id, p_parent, p_group, p_immediate, p_deferred, v_seq,
      v_record, v_exclusive, v_shared, 'running', clock_timestamp(), clock_timestamp(), p_app)
    RETURNING pulp_id INTO v_id;
  ELSE
    INSERT INTO task (name, args, logging_cid, user_id, parent_task_id, task_group_id, immediate, deferred, seq,
      reserved_resources_record, exclusive_resources, shared_resources, unblocked_at)
    VALUES (p_name, p_args, p_logging_cid, p_user_id, p_parent, p_group, p_immediate, p_deferred, v_seq,
      v_record, v_exclusive, v_shared, CASE WHEN v_blocked THEN NULL ELSE clock_timestamp() END)
    RETURNING pulp_id INTO v_id;
  END IF;
  INSERT INTO task_reservation (task_id, resource, exclusive, seq)
    SELECT v_id, e, true, v_seq FROM unnest(v_exclusive) e
    UNION ALL SELECT v_id, s, false, v_seq FROM unnest(v_shared) s;
  IF NOT v_blocked AND NOT p_immediate THEN PERFORM pg_notify('pulp_worker_wakeup', 'handle'); END IF;
  RETURN QUERY SELECT v_id, CASE WHEN p_immediate AND NOT v_blocked THEN 'running' ELSE 'waiting' END;
END $$;

-- Ends a task owned by p_worker: 'completed' and 'failed' apply to a running task; a task being canceled ends
-- 'canceled' whatever the outcome (Pulp's T2/T3/T5). Returns the reservation record to unblock after commit,
-- or NULL when the task was not ours to finish (someone else finalised it).
CREATE FUNCTION pulp_task_finish(p_id uuid, p_worker uuid, p_outcome text, p_result jsonb, p_error jsonb)
RETURNS text[]
LANGUAGE plpgsql AS $$
DECLARE v_task record; v_state text;
BEGIN
  SELECT exclusive_resources, shared_resources, reserved_resources_record INTO v_task
    FROM task WHERE pulp_id = p_id AND state IN ('running', 'canceling', 'waiting')
      AND worker_id IS NOT DISTINCT FROM p_worker;
  IF NOT FOUND THEN RETURN NULL; END IF;
  -- Same modes as held: a concurrent dispatch that conflicts with us sees either all of us or none.
  PERFORM pulp_task_lock_resources(v_task.exclusive_resources, v_task.shared_resources);
  UPDATE task SET
    state = CASE WHEN state = 'canceling' OR p_outcome = 'canceled' THEN 'canceled' ELSE p_outcome END,
    result = CASE WHEN state = 'running' AND p_outcome = 'completed' THEN p_result ELSE NULL END,
    error = CASE WHEN state = 'running' AND p_outcome = 'completed' THEN NULL ELSE p_error END,
    finished_at = clock_timestamp(), pulp_last_updated = clock_timestamp()
  WHERE pulp_id = p_id AND state IN ('running', 'canceling', 'waiting') AND worker_id IS NOT DISTINCT FROM p_worker
  RETURNING state INTO v_state;
  IF v_state IS NULL THEN RETURN NULL; END IF;
  UPDATE progress_report SET state = v_state, pulp_last_updated = clock_timestamp()
    WHERE task_id = p_id AND state IN ('running', 'waiting');
  DELETE FROM task_reservation WHERE task_id = p_id;
  RETURN v_task.reserved_resources_record;
END $$;

-- Marks runnable the candidates no earlier unfinished task conflicts with; wakes the workers if any.
CREATE FUNCTION pulp_task_unblock_candidates(p_candidates uuid[]) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE n integer;
BEGIN
  IF p_candidates IS NULL OR cardinality(p_candidates) = 0 THEN RETURN 0; END IF;
  WITH upd AS (
    UPDATE task t SET unblocked_at = clock_timestamp()
    WHERE t.pulp_id = ANY (p_candidates) AND t.state = 'waiting' AND t.unblocked_at IS NULL
      AND NOT EXISTS (
        SELECT 1 FROM task_reservation m WHERE m.task_id = t.pulp_id AND (
          (m.exclusive AND EXISTS (
            SELECT 1 FROM task_reservation o WHERE o.resource = m.resource AND o.seq < m.seq))
          OR (NOT m.exclusive AND EXISTS (
            SELECT 1 FROM task_reservation o WHERE o.resource = m.resource AND o.seq < m.seq AND o.exclusive))))
    RETURNING 1)
  SELECT count(*) INTO n FROM upd;
  IF n > 0 THEN PERFORM pg_notify('pulp_worker_wakeup', 'handle'); END IF;
  RETURN n;
END $$;

-- After a task ended (its rows gone), looks only at the heads of its resources' queues: releasing a shared hold
-- can free only a first-in-line exclusive task; releasing an exclusive hold frees the first task or the
-- leading run of shared ones. Must run after the finishing transaction committed.
CREATE FUNCTION pulp_task_unblock(p_record text[]) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  entry text; r record; first boolean; v_candidates uuid[] := '{}';
BEGIN
  IF p_record IS NULL THEN RETURN 0; END IF;
  FOREACH entry IN ARRAY p_record LOOP
    IF entry LIKE 'shared:%' THEN
      SELECT task_id, exclusive INTO r FROM task_reservation WHERE resource = substr(entry, 8) ORDER BY seq LIMIT 1;
      IF FOUND AND r.exclusive THEN v_candidates := v_candidates || r.task_id; END IF;
    ELSE
      first := true;
      FOR r IN SELECT task_id, exclusive FROM task_reservation WHERE resource = entry ORDER BY seq LIMIT 1000 LOOP
        IF r.exclusive THEN
          IF first THEN v_candidates := v_candidates || r.task_id; END IF;
          EXIT;
        END IF;
        v_candidates := v_candidates || r.task_id;
        first := false;
      END LOOP;
    END IF;
  END LOOP;
  RETURN pulp_task_unblock_candidates(v_candidates);
END $$;

-- Pacemaker for lost evaluations (a process that died between finishing and unblocking): the oldest blocked tasks.
CREATE FUNCTION pulp_task_unblock_oldest(p_limit integer) RETURNS integer
LANGUAGE sql AS $$
  SELECT pulp_task_unblock_candidates(ARRAY(
    SELECT pulp_id FROM task WHERE state = 'waiting' AND unblocked_at IS NULL ORDER BY seq LIMIT p_limit));
$$;

-- Unblocks what the previous task freed, then claims the oldest claimable task (immediate ones first), in one
-- round trip. SKIP LOCKED lets concurrent claimers take different rows without waiting on each other.
CREATE FUNCTION pulp_task_claim(p_worker uuid, p_record text[])
RETURNS TABLE (task_id uuid, task_name text, task_args jsonb, task_state text, task_logging_cid text,
  task_user_id integer, task_immediate boolean)
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pulp_task_unblock(p_record);
  RETURN QUERY
  UPDATE task t SET worker_id = p_worker,
    state = CASE WHEN t.state = 'waiting' THEN 'running' ELSE t.state END,
    started_at = CASE WHEN t.state = 'waiting' THEN clock_timestamp() ELSE t.started_at END,
    pulp_last_updated = clock_timestamp()
  FROM (
    SELECT c.pulp_id FROM task c
    WHERE c.worker_id IS NULL AND (c.state = 'canceling' OR (c.state = 'waiting' AND c.unblocked_at IS NOT NULL))
    ORDER BY c.immediate DESC, c.seq
    LIMIT 1 FOR UPDATE SKIP LOCKED) pick
  WHERE t.pulp_id = pick.pulp_id
  RETURNING t.pulp_id, t.name, t.args, t.state, t.logging_cid, t.user_id, t.immediate;
END $$;
`,
    )
    .execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(
      `
DROP FUNCTION pulp_task_claim(uuid, text[]);
DROP FUNCTION pulp_task_unblock_oldest(integer);
DROP FUNCTION pulp_task_unblock(text[]);
DROP FUNCTION pulp_task_unblock_candidates(uuid[]);
DROP FUNCTION pulp_task_finish(uuid, uuid, text, jsonb, jsonb);
DROP FUNCTION pulp_task_dispatch(text, jsonb, text[], text[], text, integer, uuid, uuid, boolean, boolean, uuid);
DROP FUNCTION pulp_task_lock_resources(text[], text[]);
DROP TABLE task_reservation;
DROP INDEX task_claimable, task_blocked, task_created_resources, task_reserved_resources, task_logging_cid;
ALTER TABLE task DROP COLUMN seq;
DROP SEQUENCE task_seq;
`,
    )
    .execute(db);
}

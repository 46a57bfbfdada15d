import { sql } from 'kysely';

import type { Database } from '../db/database.js';

const SECONDS_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600];
const CACHE_MS = 10_000;

interface DurationRow {
  name: string;
  total: number | null;
  n: number;
  [bucket: `b${number}`]: number;
}

function durationSql(db: Database, seconds: string, where: string) {
  const buckets = SECONDS_BUCKETS.map((le, i) => sql.raw(`count(*) FILTER (WHERE s <= ${le}) AS b${i}`));
  return sql<DurationRow>`SELECT name, ${sql.join(buckets)}, count(*)::int AS n, sum(s)::float8 AS total
    FROM (SELECT name, extract(epoch FROM ${sql.raw(seconds)})::float8 AS s FROM task WHERE ${sql.raw(where)}) t
    GROUP BY name`.execute(db);
}

const escape = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');

function histogram(name: string, help: string, rows: DurationRow[]): string[] {
  const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} histogram`];
  for (const r of rows) {
    const task = `name="${escape(r.name)}"`;
    SECONDS_BUCKETS.forEach((le, i) => lines.push(`${name}_bucket{${task},le="${le}"} ${Number(r[`b${i}`])}`));
    lines.push(`${name}_bucket{${task},le="+Inf"} ${r.n}`);
    lines.push(`${name}_sum{${task}} ${r.total ?? 0}`, `${name}_count{${task}} ${r.n}`);
  }
  return lines;
}

/**
 * The cluster's tasks and workers as Prometheus series, read from the database (so every API process answers
 * the same figures, whichever a scrape reaches): tasks by state and name, and wait (created to started) and run
 * (started to finished) time histograms over the tasks the table still holds (purge removes old ones). Cached
 * for 10 s per process: a scrape must not cost a table scan each time.
 */
export function taskMetrics(db: Database, workerTtlSeconds: number): () => Promise<string> {
  let cached: { at: number; text: Promise<string> } | null = null;
  const collect = async (): Promise<string> => {
    const [states, waits, runs, workers] = await Promise.all([
      sql<{ state: string; name: string; n: number }>`SELECT state, name, count(*)::int AS n FROM task
        GROUP BY state, name ORDER BY state, name`.execute(db),
      durationSql(db, 'started_at - pulp_created', 'started_at IS NOT NULL'),
      durationSql(db, 'finished_at - started_at', 'finished_at IS NOT NULL AND started_at IS NOT NULL'),
      sql<{ online: number; missing: number }>`SELECT
          count(*) FILTER (WHERE last_heartbeat > clock_timestamp() - make_interval(secs => ${workerTtlSeconds}))::int AS online,
          count(*) FILTER (WHERE last_heartbeat <= clock_timestamp() - make_interval(secs => ${workerTtlSeconds}))::int AS missing
        FROM app_status WHERE app_type = 'worker' AND stopped_at IS NULL`.execute(db),
    ]);
    const w = workers.rows[0] ?? { online: 0, missing: 0 };
    return [
      '# HELP pulp_tasks Tasks in the task table, by state and task name.',
      '# TYPE pulp_tasks gauge',
      ...states.rows.map((r) => `pulp_tasks{state="${r.state}",name="${escape(r.name)}"} ${r.n}`),
      ...histogram('pulp_task_wait_seconds', 'Time from dispatch to start, by task name.', waits.rows),
      ...histogram('pulp_task_run_seconds', 'Time from start to end, by task name.', runs.rows),
      '# HELP pulp_workers Workers by status (missing: no heartbeat within WORKER_TTL).',
      '# TYPE pulp_workers gauge',
      `pulp_workers{status="online"} ${w.online}`,
      `pulp_workers{status="missing"} ${w.missing}`,
      '',
    ].join('\n');
  };
  return () => {
    if (!cached || Date.now() - cached.at > CACHE_MS) {
      const text = collect();
      cached = { at: Date.now(), text };
      text.catch(() => (cached = null));
    }
    return cached.text;
  };
}

import { hostname } from 'node:os';

import { sql } from 'kysely';

import type { Database } from './database.js';

export type AppType = 'api' | 'content' | 'worker';

/** Pulp's API_APP_TTL: an API process missing heartbeats for this long leaves `online_api_apps`. */
export const API_APP_TTL_SECONDS = 120;

export interface AppRecord {
  pulp_id: string;
  name: string;
}

/** `<pid>@<hostname>`, Pulp's process naming; a suffix keeps several apps of one process apart. */
export function processName(suffix?: string): string {
  return `${process.pid}@${hostname()}${suffix ? `-${suffix}` : ''}`;
}

/** Registers (or re-registers) a process in app_status; it is online while it heartbeats. */
export async function registerApp(
  db: Database,
  type: AppType,
  name: string,
  versions: Record<string, string>,
): Promise<AppRecord> {
  const row = await db
    .insertInto('app_status')
    .values({ name, app_type: type, versions: JSON.stringify(versions), pid: process.pid, hostname: hostname() })
    .onConflict((oc) =>
      oc.column('name').doUpdateSet({
        app_type: type,
        versions: JSON.stringify(versions),
        last_heartbeat: sql<string>`clock_timestamp()`,
        pulp_last_updated: sql<string>`clock_timestamp()`,
        stopped_at: null,
      }),
    )
    .returning(['pulp_id', 'name'])
    .executeTakeFirstOrThrow();
  return row;
}

export async function heartbeat(db: Database, appId: string): Promise<void> {
  await db
    .updateTable('app_status')
    .set({ last_heartbeat: sql<string>`clock_timestamp()`, stopped_at: null })
    .where('pulp_id', '=', appId)
    .execute();
}

/** Marks a process as stopped: it leaves the online lists at once. */
export async function unregisterApp(db: Database, appId: string): Promise<void> {
  await db
    .updateTable('app_status')
    .set({ stopped_at: sql<string>`clock_timestamp()` })
    .where('pulp_id', '=', appId)
    .execute();
}

/** Heartbeats every `intervalMs` until stopped; errors are reported, never thrown (the DB may blink). */
export function startHeartbeat(
  db: Database,
  appId: string,
  intervalMs: number,
  onError: (err: unknown) => void,
): () => void {
  const timer = setInterval(() => {
    heartbeat(db, appId).catch(onError);
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * `<pid>@<hostname>` of every process that heartbeated within `ttlSeconds` and did not stop: the owners whose
 * temporary files must be left alone on other hosts.
 */
export async function liveProcessNames(db: Database, ttlSeconds: number): Promise<Set<string>> {
  const rows = await db
    .selectFrom('app_status')
    .select(['pid', 'hostname'])
    .where('stopped_at', 'is', null)
    .where('last_heartbeat', '>', sql<string>`clock_timestamp() - make_interval(secs => ${ttlSeconds})`)
    .execute();
  return new Set(rows.map((r) => `${r.pid}@${r.hostname}`));
}

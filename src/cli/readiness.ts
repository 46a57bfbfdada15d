import { execFile } from 'node:child_process';
import { hostname } from 'node:os';
import { promisify } from 'node:util';

import { sql } from 'kysely';
import type { Logger } from 'pino';

import { apiPrefix } from '../core/ids.js';
import { parseBind, type Settings } from '../core/settings.js';
import type { Database } from '../db/database.js';

/** Pids of every live process below `root` (its children, their cluster copies, ...), from `ps` (Linux and macOS). */
async function descendantPids(root: number): Promise<Set<number>> {
  const { stdout } = await promisify(execFile)('ps', ['-A', '-o', 'pid=,ppid=']);
  const children = new Map<number, number[]>();
  for (const line of stdout.split('\n')) {
    const [pid, ppid] = line.trim().split(/\s+/).map(Number);
    if (!pid || ppid === undefined) continue;
    children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  }
  const out = new Set<number>();
  const queue = [root];
  while (queue.length > 0) {
    for (const c of children.get(queue.pop() as number) ?? []) {
      if (out.has(c)) continue;
      out.add(c);
      queue.push(c);
    }
  }
  return out;
}

interface Counts {
  api: number;
  content: number;
  workers: number;
}

/**
 * Online apps that are processes of this run. `/status/` alone cannot tell: when another pulp-ts owns the
 * API port, its status lists its own processes, and counting those announced a start whose API could not
 * even listen. A row here is written by a process after it listened, so it proves the address is ours.
 */
async function ownOnlineCounts(db: Database, settings: Settings): Promise<Counts> {
  const ours = await descendantPids(process.pid);
  const rows = await db
    .selectFrom('app_status')
    .select(['app_type', 'pid'])
    .where('hostname', '=', hostname())
    .where('stopped_at', 'is', null)
    .where(sql<boolean>`last_heartbeat > now() - make_interval(secs => ${Math.max(settings.WORKER_TTL, 120)})`)
    .execute();
  const mine = rows.filter((r) => r.pid !== null && ours.has(Number(r.pid)));
  const count = (type: string) => mine.filter((r) => r.app_type === type).length;
  return { api: count('api'), content: count('content'), workers: count('worker') };
}

async function statusAnswers(settings: Settings): Promise<boolean> {
  const { host, port } = parseBind(settings.API_BIND);
  const local = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  const url = `http://${local.includes(':') ? `[${local}]` : local}:${port}${apiPrefix(settings.API_ROOT)}status/`;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
    await res.body?.cancel();
    return res.ok;
  } catch {
    return false;
  }
}

/** Waits until every process this run started is online and `/status/` answers; false when stopping first. */
export async function waitUntilReady(
  db: Database,
  settings: Settings,
  logger: Logger,
  isStopping: () => boolean,
): Promise<boolean> {
  const want: Counts = { api: settings.API_PROCESSES, content: settings.CONTENT_PROCESSES, workers: settings.WORKERS };
  let lastReport = Date.now();
  while (!isStopping()) {
    const got = await ownOnlineCounts(db, settings).catch(() => null);
    const enough = got && got.api >= want.api && got.content >= want.content && got.workers >= want.workers;
    if (enough && (await statusAnswers(settings))) return !isStopping();
    if (Date.now() - lastReport > 30_000) {
      logger.warn({ want, got }, 'still waiting for every process to come online');
      lastReport = Date.now();
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

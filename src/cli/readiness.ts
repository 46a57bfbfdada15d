import { execFile } from 'node:child_process';
import { get as httpGet } from 'node:http';
import { hostname } from 'node:os';
import { promisify } from 'node:util';

import type { Logger } from 'pino';

import { apiPrefix } from '../core/ids.js';
import { parseBind, type Settings } from '../core/settings.js';

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

/** GET of a small JSON document with node:http (fetch would load undici into the supervisor). */
function getJson(url: string, timeoutMs: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = httpGet(url, { timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        if (res.statusCode !== 200) return reject(new Error(`status ${res.statusCode}`));
        try {
          resolve(JSON.parse(body));
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

/**
 * Online apps of `/status/` that are processes of this run. The counts alone cannot tell: when another pulp-ts
 * owns the API port, its status lists its own processes, and counting those announced a start whose API could
 * not even listen. Each app is named `<pid>@<host>` (and registers only after it listened), so an app whose pid
 * is one of our descendants on this host proves the address is ours. Read over HTTP, so that the supervisor
 * loads no database layer.
 */
async function ownOnlineCounts(settings: Settings): Promise<Counts | null> {
  const { host, port } = parseBind(settings.API_BIND);
  const local = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  const url = `http://${local.includes(':') ? `[${local}]` : local}:${port}${apiPrefix(settings.API_ROOT)}status/`;
  let status: Record<string, { name?: string }[] | undefined>;
  try {
    status = (await getJson(url, 3000)) as typeof status;
  } catch {
    return null;
  }
  const ours = await descendantPids(process.pid);
  const suffix = `@${hostname()}`;
  const count = (apps: { name?: string }[] | undefined) =>
    (apps ?? []).filter((a) => {
      const name = a.name ?? '';
      const at = name.indexOf('@');
      return at > 0 && name.slice(at).startsWith(suffix) && ours.has(Number(name.slice(0, at)));
    }).length;
  return {
    api: count(status.online_api_apps),
    content: count(status.online_content_apps),
    workers: count(status.online_workers),
  };
}

/** Waits until every process this run started is online in `/status/`; false when stopping first. */
export async function waitUntilReady(settings: Settings, logger: Logger, isStopping: () => boolean): Promise<boolean> {
  const want: Counts = { api: settings.API_PROCESSES, content: settings.CONTENT_PROCESSES, workers: settings.WORKERS };
  let lastReport = Date.now();
  while (!isStopping()) {
    const got = await ownOnlineCounts(settings).catch(() => null);
    const enough = got && got.api >= want.api && got.content >= want.content && got.workers >= want.workers;
    if (enough) return !isStopping();
    if (Date.now() - lastReport > 30_000) {
      logger.warn({ want, got }, 'still waiting for every process to come online');
      lastReport = Date.now();
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

/* eslint-disable @typescript-eslint/no-explicit-any -- JSON bodies */
// The database stops answering (its postmaster and every backend SIGSTOPped, as a frozen VM or a partition
// looks): the REST API answers at once-ish (within the timeouts plus a margin) with readable JSON instead of
// hanging, the content app keeps serving a file it served just before, and once the database is back
// everything recovers by itself.
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { waitFor } from '../../helpers/db.js';
import {
  basicAuth,
  embeddedPostgresPids,
  freeRunPorts,
  type Run,
  type RunPorts,
  startRun,
  stopRun,
  waitUntilRunReady,
} from '../../helpers/run-process.js';

/** DB_CONNECT_TIMEOUT and DB_QUERY_TIMEOUT, seconds. */
const TIMEOUT = 2;
/** An answer during the stall comes within this (ms): the timeouts of a lookup or two plus a loaded machine. */
const ANSWER_WITHIN = (TIMEOUT * 3 + 6) * 1000;
/** The stall outlasts every timeout by far. */
const STALL_MS = (TIMEOUT * 5 + 2) * 1000;
const PASSWORD = 'stall-admin-password';
const AUTH = basicAuth('admin', PASSWORD);
const SMALL = randomBytes(3000);

let home: string;
let ports: RunPorts;
let run: Run | undefined;
let stopped: number[] = [];

function resume(): void {
  for (const pid of stopped) {
    try {
      process.kill(pid, 'SIGCONT');
    } catch {
      // Gone.
    }
  }
  stopped = [];
}

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  ms: number;
}

async function request(url: string, init: RequestInit = {}): Promise<Answer> {
  const started = Date.now();
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(120_000) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, ms: Date.now() - started };
}

const api = (p: string, init: RequestInit = {}) =>
  request(`http://127.0.0.1:${ports.api}/pulp/api/v3/${p.replace(/^\/pulp\/api\/v3\//, '')}`, {
    ...init,
    headers: {
      authorization: AUTH,
      ...(typeof init.body === 'string' ? { 'content-type': 'application/json' } : {}),
      ...init.headers,
    },
  });
const content = (p: string) => request(`http://127.0.0.1:${ports.content}/pulp/content/${p}`);

async function json(method: string, p: string, body?: unknown): Promise<any> {
  const a = await api(p, { method, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  if (a.status >= 300) throw new Error(`${method} ${p}: ${a.status} ${a.text}`);
  return JSON.parse(a.text);
}

async function waitTask(href: string): Promise<any> {
  const task = await waitFor(
    async () => {
      const t = await json('GET', href);
      return ['completed', 'failed', 'canceled'].includes(t.state) ? t : null;
    },
    { timeoutMs: 120_000, intervalMs: 200, what: `task ${href}` },
  );
  expect(task.state, JSON.stringify(task.error)).toBe('completed');
  return task;
}

beforeAll(async () => {
  home = await mkdtemp(path.join(tmpdir(), 'pulp-ts-db-stall-'));
  await chmod(home, 0o755);
  ports = await freeRunPorts();
  run = startRun(home, ports, {
    PULP_ADMIN_PASSWORD: PASSWORD,
    PULP_DB_CONNECT_TIMEOUT: String(TIMEOUT),
    PULP_DB_QUERY_TIMEOUT: String(TIMEOUT),
  });
  await waitUntilRunReady(run);
}, 300_000);

afterAll(async () => {
  resume();
  if (run) await stopRun(run);
  await rm(home, { recursive: true, force: true });
}, 120_000);

describe('the database stops answering', { timeout: 300_000 }, () => {
  let repo: any;

  it('serves a small file from a publication before the stall', async () => {
    repo = await json('POST', 'repositories/file/file/', { name: 'stall' });
    const form = new FormData();
    form.set('relative_path', 'small.bin');
    form.set('repository', repo.pulp_href);
    form.set('file', new Blob([SMALL]), 'small.bin');
    const upload = await api('content/file/files/', { method: 'POST', body: form });
    expect(upload.status, upload.text).toBe(202);
    await waitTask(JSON.parse(upload.text).task);
    const pub = await waitTask((await json('POST', 'publications/file/file/', { repository: repo.pulp_href })).task);
    await waitTask(
      (
        await json('POST', 'distributions/file/file/', {
          name: 'stall',
          base_path: 'stall',
          publication: pub.created_resources[0],
        })
      ).task,
    );
    const served = await fetch(`http://127.0.0.1:${ports.content}/pulp/content/stall/small.bin`);
    expect(served.status).toBe(200);
    expect(Buffer.from(await served.arrayBuffer()).equals(SMALL)).toBe(true);
  });

  it('answers status/, a list and a modify with readable JSON within the timeouts, and the content app keeps serving', async () => {
    const pids = embeddedPostgresPids(home);
    expect(pids.length).toBeGreaterThan(1);
    const stallStarted = Date.now();
    try {
      for (const pid of pids) {
        process.kill(pid, 'SIGSTOP');
        stopped.push(pid);
      }
      const [status, list, modify, file, missing] = await Promise.all([
        api('status/'),
        api('repositories/file/file/'),
        api(`${repo.pulp_href}modify/`, { method: 'POST', body: JSON.stringify({ add_content_units: [] }) }),
        content('stall/small.bin'),
        content('stall/never-served.bin'),
      ]);
      const bytes = await fetch(`http://127.0.0.1:${ports.content}/pulp/content/stall/small.bin`, {
        signal: AbortSignal.timeout(ANSWER_WITHIN),
      }).then(async (r) => ({ status: r.status, body: Buffer.from(await r.arrayBuffer()) }));
      const timings = { status: status.ms, list: list.ms, modify: modify.ms, file: file.ms, missing: missing.ms };
      console.log('answers during the stall (ms):', JSON.stringify(timings));

      // status/ is Pulp's: 200, saying the database is not connected.
      expect(status.status, status.text).toBe(200);
      expect(JSON.parse(status.text).database_connection).toEqual({ connected: false });
      for (const a of [list, modify]) {
        expect(a.status, a.text).toBe(503);
        expect(a.headers.get('retry-after')).toMatch(/^\d+$/);
        expect(JSON.parse(a.text)).toEqual({ detail: expect.stringMatching(/database/i) });
      }
      expect(file.status).toBe(200);
      expect(bytes.status).toBe(200);
      expect(bytes.body.equals(SMALL)).toBe(true);
      expect(missing.status, missing.text).toBe(503);
      expect(missing.headers.get('retry-after')).toMatch(/^\d+$/);
      for (const [what, ms] of Object.entries(timings)) expect(ms, what).toBeLessThan(ANSWER_WITHIN);

      // Still stalled for longer than every timeout: a second round answers the same way.
      await new Promise((r) => setTimeout(r, Math.max(0, STALL_MS - (Date.now() - stallStarted))));
      const [again, againFile] = await Promise.all([api('repositories/file/file/'), content('stall/small.bin')]);
      expect(again.status, again.text).toBe(503);
      expect(again.ms).toBeLessThan(ANSWER_WITHIN);
      expect(againFile.status).toBe(200);
      // An outage, not a bug: no request logged as failed with its stack.
      expect(run?.output()).not.toMatch(/"level":"error".*"msg":"request failed"/);
      expect(run?.output()).toMatch(/"level":"warn".*"msg":"database not answering"/);
    } finally {
      resume();
    }
  });

  it('recovers by itself once the database answers again: 200s, and a task dispatched and completed', async () => {
    await waitFor(
      async () => {
        const s = await api('status/');
        return s.status === 200 && JSON.parse(s.text).database_connection.connected === true;
      },
      { timeoutMs: 60_000, intervalMs: 250, what: 'status/ to see the database again' },
    );
    await waitFor(async () => (await api('repositories/file/file/')).status === 200, {
      timeoutMs: 60_000,
      intervalMs: 250,
      what: 'the list to answer 200',
    });
    const modify = await json('POST', `${repo.pulp_href}modify/`, { add_content_units: [] });
    await waitTask(modify.task);
    const served = await fetch(`http://127.0.0.1:${ports.content}/pulp/content/stall/small.bin`);
    expect(served.status).toBe(200);
    expect(Buffer.from(await served.arrayBuffer()).equals(SMALL)).toBe(true);
    expect((await content('stall/never-served.bin')).status).toBe(404);
  });
});

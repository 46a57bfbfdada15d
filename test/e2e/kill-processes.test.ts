/* eslint-disable @typescript-eslint/no-explicit-any -- JSON bodies */
// kill -9 under `pulp-ts run` (what `npm start` runs) at the worst moments: the API process in the middle of a
// chunked upload, the content app in the middle of an on-demand download it streams to a client, and the
// supervisor itself while a task runs. Afterwards nothing is left in MEDIA_ROOT/tmp, no artifact row lacks
// its whole file, no lock is held (a new task on the same resource runs), every task ends in a final state
// within WORKER_TTL and a heartbeat of the restart, and the content is served byte-exact.
import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer, request as httpRequest, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { waitFor } from '../helpers/db.js';
import {
  alive,
  basicAuth,
  descendants,
  freeRunPorts,
  processesRunning,
  type Run,
  type RunPorts,
  startRun,
  stopRun,
  waitUntilRunReady,
} from '../helpers/run-process.js';

const TTL = 10;
const PASSWORD = 'kill-admin-password';
const AUTH = basicAuth('admin', PASSWORD);
const SYNC_FILES = 12;
const CONCURRENCY = 4;

let home: string;
let ports: RunPorts;
const runs: Run[] = [];
let run: Run;
let upstream: Server;
let upstreamUrl: string;
let holding = true;
const waiting: (() => void)[] = [];
const held = new Set<ServerResponse>();

const blob = (size: number) => {
  const content = randomBytes(size);
  return { content, sha256: createHash('sha256').update(content).digest('hex') };
};
const onDemandFile = { path: 'big/ondemand.bin', ...blob(2 * 1024 * 1024) };
const syncFiles = Array.from({ length: SYNC_FILES }, (_, i) => ({ path: `s/f${i}.bin`, ...blob(512 * 1024) }));
const manifestOf = (files: { path: string; sha256: string; content: Buffer }[]) =>
  files.map((f) => `${f.path},${f.sha256},${f.content.length}\n`).join('');

const tmpFiles = () => readdir(path.join(home, 'media', 'tmp')).catch((): string[] => []);

async function api(method: string, p: string, body?: unknown): Promise<{ status: number; body: any }> {
  const url = p.startsWith('/') ? p : `/pulp/api/v3/${p}`;
  const res = await fetch(`http://127.0.0.1:${ports.api}${url}`, {
    method,
    headers: { authorization: AUTH, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body !== undefined ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(60_000),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

async function ok(method: string, p: string, body?: unknown): Promise<any> {
  const r = await api(method, p, body);
  if (r.status >= 300) throw new Error(`${method} ${p}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

async function finalTask(href: string, timeoutMs = 120_000): Promise<any> {
  let last: any = null;
  return waitFor(
    async () => {
      const t = await api('GET', href).catch(() => null);
      if (t) last = t.body;
      return t && ['completed', 'failed', 'canceled'].includes(t.body.state) ? t.body : null;
    },
    { timeoutMs, intervalMs: 200, what: `task ${href} to end` },
  ).catch((err: unknown) => {
    throw new Error(`${String(err)}; last seen: ${JSON.stringify(last)}\n${run.output().slice(-4000)}`);
  });
}

async function completed(href: string): Promise<any> {
  const t = await finalTask(href);
  expect(t.state, JSON.stringify(t.error)).toBe('completed');
  return t;
}

async function apiAnswers(): Promise<boolean> {
  return fetch(`http://127.0.0.1:${ports.api}/pulp/api/v3/status/`, { signal: AbortSignal.timeout(5000) }).then(
    (r) => r.ok,
    () => false,
  );
}

/** Every artifact row has its whole file: a crash may leave a file without a row, never the reverse. */
async function everyArtifactWhole(): Promise<void> {
  const listed = await ok('GET', 'artifacts/?limit=1000');
  for (const a of listed.results) {
    const bytes = await readFile(path.join(home, 'media', a.file));
    expect(bytes.length, a.file).toBe(a.size);
    expect(createHash('sha256').update(bytes).digest('hex'), a.file).toBe(a.sha256);
  }
}

function releaseUpstream(): void {
  holding = false;
  for (const release of waiting.splice(0)) release();
}

beforeAll(async () => {
  home = await mkdtemp(path.join(tmpdir(), 'pulp-ts-kill-processes-'));
  await chmod(home, 0o755);
  ports = await freeRunPorts();
  // Held files send half their bytes and wait until releaseUpstream().
  upstream = createServer((req, res) => {
    const p = decodeURIComponent((req.url ?? '/').slice(1));
    if (p === 'od/PULP_MANIFEST') return void res.writeHead(200).end(manifestOf([onDemandFile]));
    if (p === 'sync/PULP_MANIFEST') return void res.writeHead(200).end(manifestOf(syncFiles));
    const f = [onDemandFile, ...syncFiles].find((x) => p === `od/${x.path}` || p === `sync/${x.path}`);
    if (!f) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-length': f.content.length });
    if (!holding) return void res.end(f.content);
    res.write(f.content.subarray(0, f.content.length / 2));
    held.add(res);
    res.on('close', () => held.delete(res));
    waiting.push(() => res.end(f.content.subarray(f.content.length / 2)));
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/`;
  run = startRun(home, ports, { PULP_ADMIN_PASSWORD: PASSWORD, PULP_WORKER_TTL: String(TTL) });
  runs.push(run);
  await waitUntilRunReady(run);
}, 300_000);

afterAll(async () => {
  releaseUpstream();
  upstream?.closeAllConnections();
  await new Promise((r) => upstream?.close(r));
  for (const r of runs) await stopRun(r);
  await rm(home, { recursive: true, force: true });
}, 180_000);

describe('kill -9 under pulp-ts run', { timeout: 300_000 }, () => {
  it('of the API process mid chunked upload: its temporary file goes, the upload then completes byte-exact', async () => {
    const data = randomBytes(4 * 1024 * 1024);
    const sha256 = createHash('sha256').update(data).digest('hex');
    const upload = await ok('POST', 'uploads/', { size: data.length });
    const boundary = `kill${randomBytes(8).toString('hex')}`;
    const head = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="chunk"\r\n` +
        'Content-Type: application/octet-stream\r\n\r\n',
    );
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
    const put = httpRequest(`http://127.0.0.1:${ports.api}${upload.pulp_href}`, {
      method: 'PUT',
      headers: {
        authorization: AUTH,
        'content-type': `multipart/form-data; boundary=${boundary}`,
        'content-length': head.length + data.length + tail.length,
        'content-range': `bytes 0-${data.length - 1}/${data.length}`,
      },
    });
    const putEnded = new Promise<void>((resolve) => {
      put.on('error', () => resolve());
      put.on('response', (res) => {
        res.resume();
        res.on('end', resolve);
        res.on('error', () => resolve());
      });
    });
    put.write(head);
    put.write(data.subarray(0, data.length / 2));
    await waitFor(async () => (await tmpFiles()).length > 0, { what: 'the chunk to be received into MEDIA_ROOT/tmp' });
    const leftInTmp = await tmpFiles();
    const victims = processesRunning(run, 'pulpcore-api.js');
    expect(victims.length).toBeGreaterThan(0);
    for (const pid of victims) process.kill(pid, 'SIGKILL');
    await putEnded;
    await waitFor(
      async () => processesRunning(run, 'pulpcore-api.js').some((p) => !victims.includes(p)) && (await apiAnswers()),
      { timeoutMs: 120_000, intervalMs: 250, what: 'the supervisor to start the API again' },
    );
    await waitFor(async () => !(await tmpFiles()).some((f) => leftInTmp.includes(f)), {
      timeoutMs: 60_000,
      what: `the dead API's temporary files (${leftInTmp.join(', ')}) to be removed`,
    });
    expect((await ok('GET', upload.pulp_href)).chunks).toEqual([]);

    const form = new FormData();
    form.set('file', new Blob([data]), 'chunk');
    const again = await fetch(`http://127.0.0.1:${ports.api}${upload.pulp_href}`, {
      method: 'PUT',
      headers: { authorization: AUTH, 'content-range': `bytes 0-${data.length - 1}/${data.length}` },
      body: form,
    });
    expect(again.status, await again.clone().text()).toBe(200);
    const commit = await ok('POST', `${upload.pulp_href}commit/`, { sha256 });
    const task = await completed(commit.task);
    const artifact = await ok('GET', task.created_resources[0]);
    expect(artifact.sha256).toBe(sha256);
    expect((await readFile(path.join(home, 'media', artifact.file))).equals(data)).toBe(true);
    expect(await tmpFiles()).toEqual([]);
    await everyArtifactWhole();
  });

  let onDemandUrl = '';

  it('of the content app mid on-demand download: nothing half-saved, then served byte-exact and saved', async () => {
    const remote = await ok('POST', 'remotes/file/file/', {
      name: 'od',
      url: `${upstreamUrl}od/PULP_MANIFEST`,
      policy: 'on_demand',
    });
    const repo = await ok('POST', 'repositories/file/file/', { name: 'od', remote: remote.pulp_href });
    await completed((await ok('POST', `${repo.pulp_href}sync/`, {})).task);
    const pub = await completed((await ok('POST', 'publications/file/file/', { repository: repo.pulp_href })).task);
    await completed(
      (
        await ok('POST', 'distributions/file/file/', {
          name: 'od',
          base_path: 'od',
          publication: pub.created_resources[0],
        })
      ).task,
    );
    onDemandUrl = `http://127.0.0.1:${ports.content}/pulp/content/od/${onDemandFile.path}`;

    let received = 0;
    const streaming = new Promise<void>((resolve) => {
      const req = httpRequest(onDemandUrl, (res) => {
        res.on('data', (d: Buffer) => (received += d.length));
        res.on('error', () => resolve());
        res.on('close', () => resolve());
      });
      req.on('error', () => resolve());
      req.end();
    });
    await waitFor(async () => received > 0 && held.size > 0 && (await tmpFiles()).length > 0, {
      what: 'the on-demand download to stream and write into MEDIA_ROOT/tmp',
    });
    const leftInTmp = await tmpFiles();
    const victims = processesRunning(run, 'pulpcore-content.js');
    expect(victims.length).toBeGreaterThan(0);
    for (const pid of victims) process.kill(pid, 'SIGKILL');
    await streaming;
    expect(received).toBeLessThan(onDemandFile.content.length);
    await waitFor(
      async () =>
        processesRunning(run, 'pulpcore-content.js').some((p) => !victims.includes(p)) &&
        (await fetch(`http://127.0.0.1:${ports.content}/pulp/content/`).then(
          (r) => r.ok,
          () => false,
        )),
      { timeoutMs: 120_000, intervalMs: 250, what: 'the supervisor to start the content app again' },
    );
    await waitFor(async () => !(await tmpFiles()).some((f) => leftInTmp.includes(f)), {
      timeoutMs: 60_000,
      what: `the dead content app's temporary files (${leftInTmp.join(', ')}) to be removed`,
    });
    expect((await ok('GET', `artifacts/?sha256=${onDemandFile.sha256}`)).count).toBe(0);
    await everyArtifactWhole();

    releaseUpstream();
    const served = await fetch(onDemandUrl);
    expect(served.status).toBe(200);
    expect(Buffer.from(await served.arrayBuffer()).equals(onDemandFile.content)).toBe(true);
    await waitFor(async () => (await ok('GET', `artifacts/?sha256=${onDemandFile.sha256}`)).count === 1, {
      what: 'the on-demand artifact to be saved',
    });
    await everyArtifactWhole();
    holding = true;
  });

  it('of the supervisor while a task runs: after a restart the task ends within WORKER_TTL, its lock is free, nothing is left', async () => {
    const remote = await ok('POST', 'remotes/file/file/', {
      name: 'sync',
      url: `${upstreamUrl}sync/PULP_MANIFEST`,
      download_concurrency: CONCURRENCY,
    });
    const repo = await ok('POST', 'repositories/file/file/', { name: 'sync', remote: remote.pulp_href });
    const sync = await ok('POST', `${repo.pulp_href}sync/`, {});
    await waitFor(
      async () =>
        (await api('GET', sync.task)).body.state === 'running' && held.size > 0 && (await tmpFiles()).length > 0,
      { timeoutMs: 120_000, what: 'the sync to be downloading' },
    );
    const leftInTmp = await tmpFiles();
    const before = descendants(run.child.pid as number);
    run.child.kill('SIGKILL');
    await run.exited;

    run = startRun(home, ports, { PULP_ADMIN_PASSWORD: PASSWORD, PULP_WORKER_TTL: String(TTL) });
    runs.push(run);
    await waitUntilRunReady(run);
    const ready = Date.now();
    const ended = await finalTask(sync.task, (TTL + TTL / 3) * 1000 + 30_000);
    const endedAfterMs = Date.now() - ready;
    console.log(`the killed run's sync ended ${ended.state} ${endedAfterMs} ms after the restart was ready`);
    // As Pulp: the orphaned worker aborted it, which is a failure, not a cancellation by its user.
    expect(ended.state).toBe('failed');
    expect(ended.error.description).toBe('Aborted during worker shutdown.');
    expect(endedAfterMs).toBeLessThan((TTL + TTL / 3) * 1000 + 5000);
    // The killed run's processes stopped (its PostgreSQL was shut down by the new start).
    await waitFor(async () => before.every((p) => !alive(p)), {
      timeoutMs: 60_000,
      what: "the killed run's processes to be gone",
    }).catch(() => undefined);
    expect(before.filter(alive)).toEqual([]);
    for (const state of ['waiting', 'running', 'canceling'])
      expect((await ok('GET', `tasks/?state=${state}`)).count, state).toBe(0);
    expect((await ok('GET', `${repo.pulp_href}`)).latest_version_href).toMatch(/\/versions\/0\/$/);

    releaseUpstream();
    const again = await ok('POST', `${repo.pulp_href}sync/`, {});
    await completed(again.task);
    await waitFor(async () => !(await tmpFiles()).some((f) => leftInTmp.includes(f)), {
      timeoutMs: 60_000,
      what: `the killed run's temporary files (${leftInTmp.join(', ')}) to be removed`,
    });
    expect(await tmpFiles()).toEqual([]);
    await everyArtifactWhole();
    const pub = await completed((await ok('POST', 'publications/file/file/', { repository: repo.pulp_href })).task);
    await completed(
      (
        await ok('POST', 'distributions/file/file/', {
          name: 'sync',
          base_path: 'sync',
          publication: pub.created_resources[0],
        })
      ).task,
    );
    for (const f of [syncFiles[0]!, syncFiles[SYNC_FILES - 1]!]) {
      const res = await fetch(`http://127.0.0.1:${ports.content}/pulp/content/sync/${f.path}`);
      expect(Buffer.from(await res.arrayBuffer()).equals(f.content), f.path).toBe(true);
    }
    const od = await fetch(onDemandUrl);
    expect(Buffer.from(await od.arrayBuffer()).equals(onDemandFile.content)).toBe(true);
  });
});

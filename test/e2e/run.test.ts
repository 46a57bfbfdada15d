import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { waitFor } from '../helpers/db.js';
import { freePort } from '../helpers/global-setup.js';

/** `pulp-ts run` as users start it, in a temporary PULP_HOME with free ports. */
interface Run {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

let home: string;
let apiPort: number;
let contentPort: number;
let dbPort: number;
const runs: Run[] = [];

function start(extraEnv: Record<string, string> = {}): Run {
  const env: Record<string, string | undefined> = {
    ...process.env,
    PULP_HOME: home,
    PULP_EMBEDDED_DB_PORT: String(dbPort),
    PULP_LOG_LEVEL: 'warn',
    ...extraEnv,
  };
  // The run starts its own embedded PostgreSQL, whatever the test suite itself uses.
  delete env.PULP_DATABASE_URL;
  delete env.PULP_ADMIN_PASSWORD;
  Object.assign(env, extraEnv);
  const child = spawn(
    process.execPath,
    ['bin/pulp-ts.js', 'run', '--bind', `127.0.0.1:${apiPort}`, '--content-bind', `127.0.0.1:${contentPort}`],
    {
      cwd: path.resolve(import.meta.dirname, '../..'),
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const run = { child, output: () => out, exited };
  runs.push(run);
  return run;
}

interface Status {
  online_api_apps: unknown[];
  online_content_apps: unknown[];
  online_workers: unknown[];
}

async function status(): Promise<Status | null> {
  try {
    const res = await fetch(`http://127.0.0.1:${apiPort}/pulp/api/v3/status/`);
    return res.ok ? ((await res.json()) as Status) : null;
  } catch {
    return null;
  }
}

async function waitUntilReady(run: Run): Promise<void> {
  await waitFor(
    async () => {
      if (run.child.exitCode !== null) throw new Error(`pulp-ts run exited early:\n${run.output()}`);
      return run.output().includes('pulp-ts is ready');
    },
    { timeoutMs: 240_000, intervalMs: 200, what: 'pulp-ts run to report ready' },
  );
}

/** Every live process below `root` (children, cluster workers, PostgreSQL and its backends). */
function descendants(root: number): number[] {
  const parent = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(/^\d+ \(.*\) \S (\d+)/s.exec(stat)?.[1]);
      parent.set(Number(entry), ppid);
    } catch {
      // The process ended while we looked.
    }
  }
  const out: number[] = [];
  for (const pid of parent.keys()) {
    for (let p = parent.get(pid); p !== undefined && p > 1; p = parent.get(p)) {
      if (p === root) {
        out.push(pid);
        break;
      }
    }
  }
  return out;
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

function alive(pid: number): boolean {
  try {
    const state = /^\d+ \(.*\) (\S)/s.exec(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.[1];
    return state !== undefined && state !== 'Z';
  } catch {
    return false;
  }
}

async function stopAndCheckNothingLeft(run: Run, pids: number[]): Promise<void> {
  run.child.kill('SIGTERM');
  const { code } = await run.exited;
  expect(code, run.output()).toBe(0);
  await waitFor(async () => pids.every((p) => !alive(p)), {
    timeoutMs: 60_000,
    what: 'every process to be gone',
  }).catch(() => undefined);
  expect(pids.filter(alive)).toEqual([]);
}

beforeAll(async () => {
  home = await mkdtemp(path.join(tmpdir(), 'pulp-ts-run-'));
  await chmod(home, 0o755);
  [apiPort, contentPort, dbPort] = [await freePort(), await freePort(), await freePort()];
});

afterAll(async () => {
  for (const run of runs) if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGKILL');
  await rm(home, { recursive: true, force: true });
});

// Each start spawns several Node processes and (the first time) initialises a cluster: slow on a busy machine.
const START_TIMEOUT = 300_000;

describe('pulp-ts run', () => {
  let adminPassword = '';

  it(
    'starts PostgreSQL, the API, the content app and two workers, and stops them all on SIGTERM',
    async () => {
      const run = start();
      await waitUntilReady(run);
      const s = await status();
      expect(s?.online_api_apps).toHaveLength(1);
      expect(s?.online_content_apps).toHaveLength(1);
      expect(s?.online_workers).toHaveLength(2);
      adminPassword = /Created the user "admin" with the password: (\S+)/.exec(run.output())?.[1] ?? '';
      expect(adminPassword).not.toBe('');
      const authed = await fetch(`http://127.0.0.1:${apiPort}/pulp/api/v3/tasks/`, {
        headers: { authorization: `Basic ${Buffer.from(`admin:${adminPassword}`).toString('base64')}` },
      });
      expect(authed.status).toBe(200);
      // A child that dies is logged and started again.
      const apiPid = descendants(run.child.pid as number).find((p) => commandLine(p).includes('pulpcore-api.js'));
      expect(apiPid).toBeDefined();
      process.kill(apiPid as number, 'SIGKILL');
      await waitFor(async () => run.output().includes('process exited; restarting'), {
        timeoutMs: 60_000,
        what: 'the restart to be logged',
      });
      await waitFor(
        async () =>
          descendants(run.child.pid as number).some(
            (p) => p !== apiPid && commandLine(p).includes('pulpcore-api.js'),
          ) && (await status()) !== null,
        { timeoutMs: 120_000, what: 'a new API process to serve' },
      );
      const pids = descendants(run.child.pid as number);
      expect(pids.length).toBeGreaterThanOrEqual(5);
      await stopAndCheckNothingLeft(run, pids);
      expect(await status()).toBeNull();
    },
    START_TIMEOUT,
  );

  it(
    'keeps the superuser password in an owner-only file, and a worker started by hand joins and takes tasks',
    async () => {
      const run = start({ PULP_WORKERS: '0' });
      await waitUntilReady(run);
      const credentialsFile = path.join(home, 'db.credentials.json');
      expect(statSync(credentialsFile).mode & 0o777).toBe(0o600);
      const { password } = JSON.parse(readFileSync(credentialsFile, 'utf8')) as { password: string };
      expect(password.length).toBeGreaterThanOrEqual(40);
      expect(run.output()).not.toContain(password);
      const env: Record<string, string | undefined> = { ...process.env, PULP_HOME: home, PULP_LOG_LEVEL: 'warn' };
      delete env.PULP_DATABASE_URL;
      const worker = spawn(process.execPath, ['bin/pulpcore-worker.js', '--name', 'started-by-hand'], {
        cwd: path.resolve(import.meta.dirname, '../..'),
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let workerOutput = '';
      worker.stdout.on('data', (d: Buffer) => (workerOutput += d.toString()));
      worker.stderr.on('data', (d: Buffer) => (workerOutput += d.toString()));
      const workerExited = new Promise((r) => worker.once('exit', r));
      try {
        await waitFor(
          async () => {
            if (worker.exitCode !== null) throw new Error(`the worker exited:\n${workerOutput}`);
            const workers = ((await status())?.online_workers ?? []) as { name: string }[];
            return workers.some((w) => w.name === 'started-by-hand');
          },
          { timeoutMs: 120_000, what: 'the hand-started worker in /status/' },
        );
        const auth = { authorization: `Basic ${Buffer.from(`admin:${adminPassword}`).toString('base64')}` };
        const api = `http://127.0.0.1:${apiPort}/pulp/api/v3/`;
        const dispatched = await fetch(`${api}orphans/cleanup/`, {
          method: 'POST',
          headers: { ...auth, 'content-type': 'application/json' },
          body: '{}',
        });
        expect(dispatched.status).toBe(202);
        const taskHref = ((await dispatched.json()) as { task: string }).task;
        // The run has no worker of its own: only the hand-started one can run it (tasks/ shows `worker: null`, as Pulp).
        expect(((await status())?.online_workers as { name: string }[]).map((w) => w.name)).toEqual([
          'started-by-hand',
        ]);
        await waitFor(
          async () => {
            const res = await fetch(`http://127.0.0.1:${apiPort}${taskHref}`, { headers: auth });
            return ((await res.json()) as { state: string }).state === 'completed';
          },
          { timeoutMs: 120_000, what: 'the task to complete' },
        );
      } finally {
        worker.kill('SIGTERM');
        await workerExited;
        await stopAndCheckNothingLeft(run, descendants(run.child.pid as number));
      }
    },
    START_TIMEOUT,
  );

  it(
    'reuses the data on the next start, and a start after a hard kill takes over from the killed run',
    async () => {
      const second = start({ PULP_ADMIN_PASSWORD: 'ignored-because-admin-exists' });
      await waitUntilReady(second);
      expect(second.output()).not.toContain('Created the user');
      const authed = await fetch(`http://127.0.0.1:${apiPort}/pulp/api/v3/tasks/`, {
        headers: { authorization: `Basic ${Buffer.from(`admin:${adminPassword}`).toString('base64')}` },
      });
      expect(authed.status).toBe(200);

      const leftovers = descendants(second.child.pid as number);
      second.child.kill('SIGKILL');
      await second.exited;
      const third = start();
      await waitUntilReady(third);
      const s = await status();
      expect(s?.online_api_apps).toHaveLength(1);
      expect(s?.online_content_apps).toHaveLength(1);
      expect(s?.online_workers).toHaveLength(2);
      // The killed run's children noticed and stopped; its PostgreSQL was shut down by the new start.
      expect(leftovers.filter(alive)).toEqual([]);
      await stopAndCheckNothingLeft(third, descendants(third.child.pid as number));
    },
    START_TIMEOUT,
  );

  it(
    'stops at once with one clear message when a setting is invalid',
    async () => {
      const run = start({ PULP_WORKER_TTL: 'soon', PULP_WORKERS_TLL: '60' });
      const { code } = await run.exited;
      expect(code).toBe(1);
      expect(run.output()).toContain('WORKER_TTL (from PULP_WORKER_TTL)');
      expect(run.output()).toContain(
        'WORKERS_TLL (from PULP_WORKERS_TLL): unknown setting (did you mean PULP_WORKER_TTL?)',
      );
      expect(run.output()).not.toMatch(/\n\s+at /);
    },
    START_TIMEOUT,
  );

  it(
    'exits non-zero with one clear message, never "ready", when another pulp-ts holds the API port',
    async () => {
      // What another instance answers on its port: a status with every process online.
      const other = createServer((req, res) => {
        const online = [{ name: 'other' }];
        res.setHeader('content-type', 'application/json');
        res.end(
          JSON.stringify({
            online_api_apps: online,
            online_content_apps: online,
            online_workers: [...online, ...online, ...online],
          }),
        );
      });
      await new Promise<void>((r) => other.listen(apiPort, '127.0.0.1', r));
      try {
        // Two API processes: the cluster primary gives up too, instead of replacing its copies forever.
        const run = start({ PULP_API_PROCESSES: '2' });
        const { code } = await run.exited;
        expect(code, run.output()).toBe(1);
        expect(run.output()).toContain(
          `cannot listen on 127.0.0.1:${apiPort} (API_BIND): the address is already in use`,
        );
        expect(run.output()).toContain('the api process cannot serve as configured');
        expect(run.output()).not.toContain('pulp-ts is ready');
        expect(run.output()).not.toContain('restarting');
        expect(run.output()).not.toMatch(/\n\s+at /);
      } finally {
        await new Promise((r) => other.close(r));
      }
    },
    START_TIMEOUT,
  );
});

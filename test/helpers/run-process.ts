// `pulp-ts run` (what `npm start` runs) as a test starts it: its own PULP_HOME and embedded PostgreSQL on free
// ports, a known admin password, and the processes below it found through /proc.
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { waitFor } from './db.js';
import { freePort } from './global-setup.js';

const root = path.resolve(import.meta.dirname, '../..');

export interface RunPorts {
  api: number;
  content: number;
  db: number;
}

export interface Run {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export const freeRunPorts = async (): Promise<RunPorts> => ({
  api: await freePort(),
  content: await freePort(),
  db: await freePort(),
});

/** Starts `pulp-ts run` in `home` (no database of the test suite: it starts its own embedded one). */
export function startRun(home: string, ports: RunPorts, extraEnv: Record<string, string> = {}): Run {
  const env: Record<string, string | undefined> = {
    ...process.env,
    PULP_HOME: home,
    PULP_EMBEDDED_DB_PORT: String(ports.db),
    PULP_LOG_LEVEL: 'warn',
  };
  delete env.PULP_DATABASE_URL;
  delete env.PULP_ADMIN_PASSWORD;
  Object.assign(env, extraEnv);
  const child = spawn(
    process.execPath,
    ['bin/pulp-ts.js', 'run', '--bind', `127.0.0.1:${ports.api}`, '--content-bind', `127.0.0.1:${ports.content}`],
    { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, output: () => out, exited };
}

export async function waitUntilRunReady(run: Run): Promise<void> {
  await waitFor(
    async () => {
      if (run.child.exitCode !== null) throw new Error(`pulp-ts run exited early:\n${run.output()}`);
      return run.output().includes('pulp-ts is ready');
    },
    { timeoutMs: 240_000, intervalMs: 200, what: 'pulp-ts run to report ready' },
  );
}

/** SIGTERM and wait for the exit (SIGKILL after 60 s). */
export async function stopRun(run: Run): Promise<void> {
  if (run.child.exitCode !== null || run.child.signalCode !== null) return;
  run.child.kill('SIGTERM');
  const timer = setTimeout(() => run.child.kill('SIGKILL'), 60_000);
  await run.exited;
  clearTimeout(timer);
}

function parentOf(pid: number): number | null {
  try {
    return Number(/^\d+ \(.*\) \S (\d+)/s.exec(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.[1]);
  } catch {
    return null;
  }
}

/** Every live process below `ancestor`. */
export function descendants(ancestor: number): number[] {
  const parent = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const ppid = parentOf(Number(entry));
    if (ppid !== null) parent.set(Number(entry), ppid);
  }
  const out: number[] = [];
  for (const pid of parent.keys()) {
    for (let p = parent.get(pid); p !== undefined && p > 1; p = parent.get(p)) {
      if (p === ancestor) {
        out.push(pid);
        break;
      }
    }
  }
  return out;
}

export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

export function alive(pid: number): boolean {
  try {
    const state = /^\d+ \(.*\) (\S)/s.exec(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.[1];
    return state !== undefined && state !== 'Z';
  } catch {
    return false;
  }
}

/** The live children of `run` whose command line runs `script` (e.g. `pulpcore-api.js`). */
export function processesRunning(run: Run, script: string): number[] {
  return descendants(run.child.pid as number).filter((p) => commandLine(p).includes(script));
}

/**
 * The embedded PostgreSQL of PULP_HOME: its postmaster, from `postmaster.pid` in the data directory that the
 * credentials file names (it may live outside PULP_HOME when the postgres user cannot reach it), and the
 * postmaster's children (backends, checkpointer, WAL writer, ...).
 */
export function embeddedPostgresPids(home: string): number[] {
  const { dataDir } = JSON.parse(readFileSync(path.join(home, 'db.credentials.json'), 'utf8')) as { dataDir: string };
  const postmaster = Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  if (!Number.isInteger(postmaster) || !alive(postmaster)) throw new Error(`no live postmaster for ${dataDir}`);
  return [postmaster, ...descendants(postmaster)];
}

export const basicAuth = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

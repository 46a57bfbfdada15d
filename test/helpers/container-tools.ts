import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { waitFor } from './db.js';
import { freePort } from './global-setup.js';

/**
 * Real container tools for tests: Debian's skopeo, and Debian's docker-registry (the reference registry)
 * started on loopback with its own configuration and storage.
 */

export interface RunResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** Runs a command; never throws for a non-zero exit (tests assert on `code`). */
export function run(command: string, args: string[], options: { timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { timeout: options.timeoutMs ?? 300_000, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err
          ? typeof (err as { code?: unknown }).code === 'number'
            ? (err as { code: number }).code
            : 1
          : 0;
        resolve({ stdout, stderr, code });
      },
    );
  });
}

/** skopeo with a throwaway auth file and the insecure (accept anything) signature policy. */
export function skopeo(args: string[], options: { timeoutMs?: number } = {}): Promise<RunResult> {
  const [command, ...rest] = args;
  return run('skopeo', ['--insecure-policy', command!, ...rest], options);
}

/** Throws with skopeo's stderr unless it succeeded. */
export async function skopeoOk(args: string[], options: { timeoutMs?: number } = {}): Promise<string> {
  const r = await skopeo(args, options);
  if (r.code !== 0) throw new Error(`skopeo ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

export interface ReferenceRegistry {
  /** `127.0.0.1:<port>` */
  host: string;
  url: string;
  stop(): Promise<void>;
}

export interface ReferenceRegistryOptions {
  /**
   * Docker's "silly" token auth: requests without an Authorization header get a Bearer challenge naming this
   * realm; any Authorization header is accepted. Lets tests exercise the token protocol against a real
   * registry with a token server of their own.
   */
  tokenRealm?: string;
  service?: string;
}

/** Starts Debian's docker-registry on a free loopback port with filesystem storage in a temporary folder. */
export async function startReferenceRegistry(options: ReferenceRegistryOptions = {}): Promise<ReferenceRegistry> {
  const dir = await mkdtemp(path.join(tmpdir(), 'pulp-ts-registry-'));
  const port = await freePort();
  const auth = options.tokenRealm
    ? `auth:\n  silly:\n    realm: ${options.tokenRealm}\n    service: ${options.service ?? `127.0.0.1:${port}`}\n`
    : '';
  const config = `version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: ${path.join(dir, 'data')}
  delete:
    enabled: true
http:
  addr: 127.0.0.1:${port}
${auth}`;
  await writeFile(path.join(dir, 'config.yml'), config);
  const child: ChildProcess = spawn('docker-registry', ['serve', path.join(dir, 'config.yml')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`docker-registry exited: ${stderr}`);
        try {
          const res = await fetch(`${url}/v2/`);
          await res.arrayBuffer();
          return res.status === 200 || res.status === 401;
        } catch {
          return false;
        }
      },
      { timeoutMs: 30_000, what: 'docker-registry to start' },
    );
  } catch (err) {
    child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    host: `127.0.0.1:${port}`,
    url,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

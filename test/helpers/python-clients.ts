import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * The real Python clients tests drive: Debian's python3 (+ python3-venv) for pip in a fresh virtual
 * environment, and Debian's twine. .ci/run installs them when missing. Nothing reads the user's pip or twine
 * configuration, and nothing reaches the network beyond the URLs a test passes.
 */
export const SYSTEM_PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
export const TWINE = existsSync('/usr/bin/twine') ? '/usr/bin/twine' : 'twine';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function run(
  cmd: string,
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 180_000,
): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(
      cmd,
      args,
      {
        timeout: timeoutMs,
        maxBuffer: 16 * 1024 * 1024,
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          HOME: tmpdir(),
          LANG: 'C.UTF-8',
          PIP_CONFIG_FILE: '/dev/null',
          PIP_NO_INPUT: '1',
          PIP_DISABLE_PIP_VERSION_CHECK: '1',
          PIP_NO_CACHE_DIR: '1',
          PYTHONDONTWRITEBYTECODE: '1',
          PYTHON_KEYRING_BACKEND: 'keyring.backends.null.Keyring',
          ...env,
        },
      },
      (err, stdout, stderr) => {
        const code = err
          ? typeof (err as { code?: unknown }).code === 'number'
            ? (err as { code: number }).code
            : 1
          : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

/** A throwaway virtual environment with pip (from Debian's ensurepip, no download). */
export class Venv {
  private constructor(readonly dir: string) {}

  static async create(): Promise<Venv> {
    const dir = await mkdtemp(path.join(tmpdir(), 'pulp-ts-venv-'));
    const result = await run(SYSTEM_PYTHON, ['-m', 'venv', dir]);
    if (result.code !== 0) throw new Error(`python3 -m venv failed: ${result.stderr}`);
    return new Venv(dir);
  }

  get python(): string {
    return path.join(this.dir, 'bin', 'python');
  }

  pip(args: string[], env: Record<string, string> = {}): Promise<RunResult> {
    return run(this.python, ['-m', 'pip', ...args], env);
  }

  /** Run Python code in the venv (to import what pip installed). */
  exec(code: string): Promise<RunResult> {
    return run(this.python, ['-c', code]);
  }

  async remove(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** `twine upload` of files to a repository URL with Basic credentials. */
export function twineUpload(
  repositoryUrl: string,
  files: string[],
  user: string,
  password: string,
  extra: string[] = [],
): Promise<RunResult> {
  return run(
    TWINE,
    ['upload', '--non-interactive', '--disable-progress-bar', '--repository-url', repositoryUrl, ...extra, ...files],
    {
      TWINE_USERNAME: user,
      TWINE_PASSWORD: password,
    },
  );
}

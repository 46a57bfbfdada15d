import { ConfigurationError } from '../core/errors.js';

/** Thrown by a command for a usage mistake: printed as one line with the usage, exit code 2. */
export class UsageError extends Error {}

/**
 * Exit status of a server process that cannot serve as configured (invalid settings, an address it cannot
 * listen on): restarting it cannot help, so `pulp-ts run` and the cluster primary stop instead of retrying
 * (sysexits' EX_CONFIG).
 */
export const EXIT_CANNOT_SERVE = 78;

/** A server could not take up its place (its listening address, ...): one clear line, no stack, no retry. */
export class StartupError extends Error {}

const LISTEN_CODES: Record<string, string> = {
  EADDRINUSE: 'the address is already in use (by another pulp-ts, or another program)',
  EACCES: 'permission denied (ports below 1024 need privileges)',
  EADDRNOTAVAIL: 'no network interface has that address',
  ENOTFOUND: 'the host name does not resolve',
  EAI_AGAIN: 'the host name does not resolve',
};

/** Turns a listen() failure into a StartupError naming the setting and the address; other errors pass. */
export function listenFailure(err: unknown, setting: string, bind: string): unknown {
  const reason = LISTEN_CODES[(err as NodeJS.ErrnoException)?.code ?? ''];
  return reason ? new StartupError(`cannot listen on ${bind} (${setting}): ${reason}`, { cause: err }) : err;
}

/**
 * Runs a command's main function and turns expected failures into one clear line on stderr: invalid
 * settings and usage errors never print a stack trace. Anything else is a bug and keeps its stack.
 */
export function runCli(
  name: string,
  main: () => Promise<number | void>,
  options: { cannotServeExitCode?: number } = {},
): void {
  main().then(
    (code) => {
      if (typeof code === 'number') process.exitCode = code;
    },
    (err: unknown) => {
      if (err instanceof ConfigurationError || err instanceof StartupError) {
        console.error(`${name}: ${err.message}`);
        // Open handles (a pool, a LISTEN connection) must not keep a process alive that has nothing to serve.
        process.exit(options.cannotServeExitCode ?? 1);
      } else if (err instanceof UsageError) {
        console.error(`${name}: ${err.message}`);
        process.exitCode = 2;
      } else {
        const e = err as Error;
        console.error(`${name}: ${e?.message ?? String(err)}`);
        if (e?.cause instanceof Error) console.error(`  caused by: ${e.cause.message}`);
        if (process.env.PULP_DEBUG) console.error(e?.stack);
        process.exitCode = 1;
      }
    },
  );
}

/** Minimal flag parsing: `--name value`, `--name=value`, boolean `--flag`, and positionals. */
export function parseArgs(
  argv: string[],
  spec: { strings?: string[]; booleans?: string[] },
): { flags: Record<string, string | boolean>; positionals: string[] } {
  const strings = new Set(spec.strings ?? []);
  const booleans = new Set(spec.booleans ?? []);
  const flags: Record<string, string | boolean> = {};
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (!arg.startsWith('--')) {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    if (booleans.has(name)) {
      flags[name] = eq < 0 ? true : !/^(false|0|no)$/i.test(arg.slice(eq + 1));
    } else if (strings.has(name)) {
      const value = eq < 0 ? argv[++i] : arg.slice(eq + 1);
      if (value === undefined) throw new UsageError(`--${name} needs a value`);
      flags[name] = value;
    } else {
      throw new UsageError(`unknown option --${name}`);
    }
  }
  return { flags, positionals };
}

/** A positive integer flag value, or a usage error naming the flag. */
export function intFlag(flags: Record<string, string | boolean>, name: string): number | undefined {
  const v = flags[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== 'string' || !Number.isInteger(n) || n < 0)
    throw new UsageError(`--${name} must be a non-negative integer, got ${String(v)}`);
  return n;
}

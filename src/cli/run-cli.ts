import { ConfigurationError } from '../core/errors.js';

/** Thrown by a command for a usage mistake: printed as one line with the usage, exit code 2. */
export class UsageError extends Error {}

/**
 * Runs a command's main function and turns expected failures into one clear line on stderr: invalid
 * settings and usage errors never print a stack trace. Anything else is a bug and keeps its stack.
 */
export function runCli(name: string, main: () => Promise<number | void>): void {
  main().then(
    (code) => {
      if (typeof code === 'number') process.exitCode = code;
    },
    (err: unknown) => {
      if (err instanceof ConfigurationError) {
        console.error(`${name}: ${err.message}`);
        process.exitCode = 1;
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

// The supervisor of `pulp-ts run`: it imports settings, the logger, the embedded PostgreSQL launcher and the
// process supervisor, and nothing of the database layer or the plugins (the setup runs in a child process, see
// run-setup.ts), so that it stays small for as long as everything runs.
import { spawn, spawnSync } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { apiPrefix } from '../core/ids.js';
import { ConfigurationError } from '../core/errors.js';
import { configuredDatabaseUrl, loadSettings, parseBind, type Settings } from '../core/settings.js';
import { startEmbedded } from './embedded-launch.js';
import { createLogger } from './logger.js';
import { intFlag, parseArgs, runCli, UsageError } from './run-cli.js';
import { waitUntilReady } from './readiness.js';
import { ProcessSupervisor } from './supervisor.js';

const USAGE = `usage: pulp-ts run [options]

Starts everything: PostgreSQL (embedded under PULP_HOME/db unless a database is configured), migrations,
the REST API, the content app and the task workers. Ctrl-C stops it all.

options (each also a setting, e.g. PULP_WORKERS):
  --bind HOST:PORT           REST API address (API_BIND, default 0.0.0.0:24817)
  --content-bind HOST:PORT   content app address (CONTENT_BIND, default 0.0.0.0:24816)
  --api-processes N          API processes (API_PROCESSES, default 1)
  --content-processes N      content app processes (CONTENT_PROCESSES, default 1)
  --workers N                task workers (WORKERS, default 2)`;

/**
 * V8's young generation grows to about 17 MB per isolate in the burst of a process's start and keeps it while
 * the process idles, for 3-5 MB of live young objects: capping the semi-space saves that much of every
 * process's resident memory (bench/memory: a worker 121 -> 97 MB idle, both of its isolates). The price is
 * more frequent scavenges under allocation-heavy load, which the API and the content app keep lower with a
 * larger cap; the worker's task thread sets its own limit (see pulpcore-worker.ts).
 */
const V8_FLAGS = {
  api: ['--max-semi-space-size=2'],
  content: ['--max-semi-space-size=2'],
  worker: ['--max-semi-space-size=1'],
} as const;

/** The hidden commands of the supervisor's children: the settings check, and the setup once PostgreSQL runs. */
const CHECK_COMMAND = '__check-settings';
const SETUP_COMMAND = '__setup';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const bin = (name: string) => path.join(ROOT, 'bin', name);

/** Runs run-setup.ts in a child process (migrations, admin user, stale app rows) and waits for it. */
function runSetupChild(url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin('pulp-ts.js'), SETUP_COMMAND], {
      env: { ...process.env, PULP_DATABASE_URL: url },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.on('error', reject);
    child.on('exit', (code, signal) =>
      code === 0
        ? resolve()
        : reject(
            new ConfigurationError(`the setup step (migrations, admin user) failed: ${signal ?? `exit code ${code}`}`),
          ),
    );
  });
}

const shownHost = (host: string) => (host === '0.0.0.0' || host === '::' ? 'localhost' : host);

async function run(settings: Settings): Promise<void> {
  const logger = createLogger(settings, 'pulp-ts');
  await mkdir(settings.PULP_HOME, { recursive: true, mode: 0o755 });
  await mkdir(settings.MEDIA_ROOT, { recursive: true });
  const supervisor = new ProcessSupervisor(logger, process.cwd(), (name) => {
    console.error(`pulp-ts: the ${name} process cannot serve as configured (its message is above); stopping.`);
    void shutdown(`${name} cannot serve`, 1);
  });
  let stopEmbedded: (() => Promise<void>) | null = null;
  let stopping = false;

  const shutdown = async (reason: string, exitCode = 0) => {
    if (stopping) return;
    stopping = true;
    logger.info({ reason }, 'stopping');
    await supervisor.stop();
    if (stopEmbedded) {
      logger.info('stopping embedded PostgreSQL');
      await stopEmbedded().catch((err: unknown) => logger.warn({ err }, 'PostgreSQL did not stop cleanly'));
    }
    console.log('pulp-ts stopped.');
    process.exit(exitCode);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGHUP', () => void shutdown('SIGHUP'));

  try {
    let url = configuredDatabaseUrl(settings);
    if (!url) {
      // The setup child creates the database: the supervisor never loads the PostgreSQL client.
      const server = await startEmbedded(settings, logger, { createDatabase: false });
      stopEmbedded = () => server.stop();
      url = server.url;
    }
    if (stopping) return;
    await runSetupChild(url);
    if (stopping) return;

    // With the embedded PostgreSQL, children join it through PULP_HOME's credentials file, as processes
    // started by hand do; the URL (with the password) is not put in their environment.
    const env: Record<string, string> = configuredDatabaseUrl(settings) ? { PULP_DATABASE_URL: url } : {};
    supervisor.start({
      name: 'api',
      script: bin('pulpcore-api.js'),
      args: ['--bind', settings.API_BIND, '--processes', String(settings.API_PROCESSES)],
      execArgv: [...V8_FLAGS.api],
      env,
    });
    supervisor.start({
      name: 'content',
      script: bin('pulpcore-content.js'),
      args: ['--bind', settings.CONTENT_BIND, '--processes', String(settings.CONTENT_PROCESSES)],
      execArgv: [...V8_FLAGS.content],
      env,
    });
    for (let i = 1; i <= settings.WORKERS; i++)
      supervisor.start({
        name: `worker-${i}`,
        script: bin('pulpcore-worker.js'),
        args: [],
        execArgv: [...V8_FLAGS.worker],
        env,
      });

    if (await waitUntilReady(settings, logger, () => stopping)) {
      const api = parseBind(settings.API_BIND);
      const content = parseBind(settings.CONTENT_BIND);
      console.log(
        `pulp-ts is ready: REST API http://${shownHost(api.host)}:${api.port}${apiPrefix(settings.API_ROOT)} ` +
          `(${settings.API_PROCESSES} process(es)), content app http://${shownHost(content.host)}:${content.port}${settings.CONTENT_PATH_PREFIX} ` +
          `(${settings.CONTENT_PROCESSES} process(es)), ${settings.WORKERS} worker(s). Ctrl-C stops everything.`,
      );
    }
  } catch (err) {
    stopping = true;
    await supervisor.stop();
    if (stopEmbedded) await stopEmbedded().catch(() => undefined);
    throw err;
  }
}

/** The settings overrides of `run`'s flags (or null after printing the usage for --help). */
function runOverrides(args: string[]): Record<string, unknown> | null {
  const { flags } = parseArgs(args, {
    strings: ['bind', 'content-bind', 'api-processes', 'content-processes', 'workers'],
    booleans: ['help'],
  });
  if (flags.help) return null;
  const overrides: Record<string, unknown> = {};
  if (typeof flags.bind === 'string') overrides.API_BIND = flags.bind;
  if (typeof flags['content-bind'] === 'string') overrides.CONTENT_BIND = flags['content-bind'];
  const counts = {
    API_PROCESSES: 'api-processes',
    CONTENT_PROCESSES: 'content-processes',
    WORKERS: 'workers',
  } as const;
  for (const [setting, flag] of Object.entries(counts)) {
    const n = intFlag(flags, flag);
    if (n !== undefined) overrides[setting] = n;
  }
  return overrides;
}

runCli('pulp-ts', async () => {
  const [command, ...rest] = process.argv.slice(2);
  if (command === CHECK_COMMAND || command === SETUP_COMMAND) {
    // Declares the plugins' settings (without loading the plugins), so these children check every setting.
    await import('./plugin-settings.js');
    const settings = loadSettings({ env: process.env, overrides: runOverrides(rest) ?? {} });
    if (command === CHECK_COMMAND) return 0;
    const url = configuredDatabaseUrl(settings);
    if (!url) throw new ConfigurationError('the setup step needs PULP_DATABASE_URL');
    await (await import('./run-setup.js')).runSetup(settings, url);
    return 0;
  }
  if (command === '--help' || command === 'help' || command === undefined) {
    console.log(USAGE);
    return command === undefined ? 2 : 0;
  }
  if (command !== 'run') throw new UsageError(`unknown command '${command}'\n${USAGE}`);
  const overrides = runOverrides(rest);
  if (!overrides) {
    console.log(USAGE);
    return 0;
  }
  // Every setting, the plugins' too, is checked by a short-lived child (loading the plugins here would keep them
  // in the supervisor's memory for as long as everything runs); it prints every problem and fails.
  const check = spawnSync(process.execPath, [bin('pulp-ts.js'), CHECK_COMMAND, ...rest], { stdio: 'inherit' });
  if (check.status !== 0) return 1;
  const settings = loadSettings({ env: process.env, overrides, ignoreUnknownKeys: true });
  await run(settings);
});

import { loadSettings, parseBind, type LoadSettingsOptions } from '../core/settings.js';
import { runClustered } from './cluster.js';
import { createLogger } from './logger.js';
import { EXIT_CANNOT_SERVE, intFlag, listenFailure, parseArgs, runCli } from './run-cli.js';

const USAGE = 'usage: pulpcore-content [--bind HOST:PORT] [--processes N]';

runCli(
  'pulpcore-content',
  async () => {
    const { flags } = parseArgs(process.argv.slice(2), { strings: ['bind', 'processes'], booleans: ['help'] });
    if (flags.help) {
      console.log(USAGE);
      return 0;
    }
    const processes = intFlag(flags, 'processes');
    const sources: LoadSettingsOptions = {
      env: process.env,
      overrides: {
        ...(typeof flags.bind === 'string' ? { CONTENT_BIND: flags.bind } : {}),
        ...(processes !== undefined ? { CONTENT_PROCESSES: processes } : {}),
      },
    };
    // Core's settings are enough to fork: the serving processes load the plugins and check every setting.
    const core = loadSettings({ ...sources, ignoreUnknownKeys: true });
    const logger = createLogger(core, 'content');
    const { host, port } = parseBind(core.CONTENT_BIND);
    await runClustered({
      processes: core.CONTENT_PROCESSES,
      logger,
      async start() {
        // Loaded here, in the serving processes: a cluster's primary only forks and watches them.
        const { loadRegistry } = await import('./registry.js');
        const settings = loadSettings(sources);
        const [{ startContentApp }, { createStorage }, { openCliDatabase }, { startTempSweeper }] = await Promise.all([
          import('../content/server.js'),
          import('../storage/create-storage.js'),
          import('./database.js'),
          import('./temp-files.js'),
        ]);
        const registry = loadRegistry(settings);
        const storage = await createStorage(settings);
        // The embedded PostgreSQL belongs to `pulp-ts run`; a content app on its own needs a configured database.
        const database = await openCliDatabase(settings, logger, {
          applicationName: 'pulpcore-content',
          max: 10,
          startEmbedded: false,
        });
        try {
          const app = await startContentApp({
            settings,
            db: database.db,
            databaseUrl: database.url,
            logger,
            storage,
            host,
            port,
            // Test hook: each answer names its process, so a test can check that every process saw a change.
            servedByHeader: process.env.PULP_TS_SERVED_BY_HEADER === '1',
            plugins: registry,
            pool: database.pool,
          }).catch((err: unknown) => {
            throw listenFailure(err, 'CONTENT_BIND', `${host}:${port}`);
          });
          const stopSweeper = startTempSweeper({ dir: storage.tempDir(), db: database.db, logger });
          return async () => {
            stopSweeper();
            await app.close();
            await database.close();
          };
        } catch (err) {
          await database.close();
          throw err;
        }
      },
    });
  },
  { cannotServeExitCode: EXIT_CANNOT_SERVE },
);

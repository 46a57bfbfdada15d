import { loadSettings, parseBind } from '../core/settings.js';
import { startContentApp } from '../content/server.js';
import { createStorage } from '../storage/create-storage.js';
import { runClustered } from './cluster.js';
import { openCliDatabase } from './database.js';
import { createLogger } from './logger.js';
import { loadRegistry } from './registry.js';
import { EXIT_CANNOT_SERVE, intFlag, listenFailure, parseArgs, runCli } from './run-cli.js';
import { startTempSweeper } from './temp-files.js';

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
    const settings = loadSettings({
      env: process.env,
      overrides: {
        ...(typeof flags.bind === 'string' ? { CONTENT_BIND: flags.bind } : {}),
        ...(processes !== undefined ? { CONTENT_PROCESSES: processes } : {}),
      },
    });
    const logger = createLogger(settings, 'content');
    const registry = loadRegistry(settings);
    const { host, port } = parseBind(settings.CONTENT_BIND);
    const storage = createStorage(settings);
    await runClustered({
      processes: settings.CONTENT_PROCESSES,
      logger,
      async start() {
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

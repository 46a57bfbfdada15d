import { loadSettings, parseBind } from '../core/settings.js';
import { openCliDatabase } from './database.js';
import { createLogger } from './logger.js';
import { EXIT_CANNOT_SERVE, intFlag, parseArgs, runCli } from './run-cli.js';
import { startApiServer } from './api-server.js';
import { createStorage } from '../storage/create-storage.js';
import { runClustered } from './cluster.js';

const USAGE = 'usage: pulpcore-api [--bind HOST:PORT] [--processes N]';

runCli(
  'pulpcore-api',
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
        ...(typeof flags.bind === 'string' ? { API_BIND: flags.bind } : {}),
        ...(processes !== undefined ? { API_PROCESSES: processes } : {}),
      },
    });
    const logger = createLogger(settings, 'api');
    const { host, port } = parseBind(settings.API_BIND);
    const storage = createStorage(settings);
    await runClustered({
      processes: settings.API_PROCESSES,
      logger,
      async start() {
        const database = await openCliDatabase(settings, logger, {
          applicationName: 'pulpcore-api',
          max: 10,
          startEmbedded: false,
        });
        try {
          const server = await startApiServer({ settings, db: database.db, logger, storage, host, port });
          return async () => {
            await server.close();
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

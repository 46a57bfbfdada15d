import { loadSettings, parseBind, type LoadSettingsOptions } from '../core/settings.js';
import { runClustered } from './cluster.js';
import { createLogger } from './logger.js';
import { EXIT_CANNOT_SERVE, intFlag, parseArgs, runCli } from './run-cli.js';

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
    const sources: LoadSettingsOptions = {
      env: process.env,
      overrides: {
        ...(typeof flags.bind === 'string' ? { API_BIND: flags.bind } : {}),
        ...(processes !== undefined ? { API_PROCESSES: processes } : {}),
      },
    };
    // Core's settings are enough to fork: the serving processes load the plugins and check every setting.
    const core = loadSettings({ ...sources, ignoreUnknownKeys: true });
    const logger = createLogger(core, 'api');
    const { host, port } = parseBind(core.API_BIND);
    await runClustered({
      processes: core.API_PROCESSES,
      logger,
      async start() {
        // Loaded here, in the serving processes: a cluster's primary only forks and watches them.
        await import('./registry.js');
        const settings = loadSettings(sources);
        const [{ openCliDatabase }, { startApiServer }, { createStorage }] = await Promise.all([
          import('./database.js'),
          import('./api-server.js'),
          import('../storage/create-storage.js'),
        ]);
        const storage = await createStorage(settings);
        const database = await openCliDatabase(settings, logger, {
          applicationName: 'pulpcore-api',
          max: 10,
          startEmbedded: false,
        });
        try {
          const server = await startApiServer({
            settings,
            db: database.db,
            pool: database.pool,
            logger,
            storage,
            host,
            port,
          });
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

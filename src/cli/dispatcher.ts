import type { Logger } from 'pino';

import type { Settings } from '../core/settings.js';
import type { Database } from '../db/database.js';
import type { Dispatcher } from '../plugin-api/tasks.js';

/**
 * The dispatcher of API processes. Until the tasking layer provides one, every dispatch fails with a clear
 * message instead of leaving a task nobody will run.
 */
export function createApiDispatcher(_db: Database, _settings: Settings, _logger: Logger): Dispatcher {
  return {
    dispatch: (name) => Promise.reject(new Error(`Task dispatch is not available in this build (task ${name})`)),
  };
}

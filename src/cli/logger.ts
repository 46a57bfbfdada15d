import { pino, type Logger } from 'pino';

import type { Settings } from '../core/settings.js';

/**
 * One pino logger per process, JSON lines on stdout (one object per line, easy to ship and grep). Every
 * component takes `logger.child({ component })`; `process` names the entry point so that the interleaved
 * output of `pulp-ts run` stays readable.
 */
export function createLogger(settings: Pick<Settings, 'LOG_LEVEL'>, processKind: string): Logger {
  return pino({
    level: settings.LOG_LEVEL,
    base: { pid: process.pid, process: processKind },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  });
}

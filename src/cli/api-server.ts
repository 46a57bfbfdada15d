import type { Logger } from 'pino';

import { type BuildApiOptions, buildApiApp } from '../api/build-app.js';
import { apiClientRoutes, apiModules } from '../api/modules.js';
import { versionMap } from '../plugin-api/registry.js';
import { type PoolCounts, processMetrics } from '../core/metrics.js';
import type { Settings } from '../core/settings.js';
import { registerApp, startHeartbeat, unregisterApp, processName } from '../db/app-status.js';
import type { Database } from '../db/database.js';
import { setProcessAddressPolicy } from '../download/address-policy.js';
import type { Storage } from '../storage/storage.js';
import { createDispatcher } from '../tasking/dispatch.js';
import { taskMetrics } from '../tasking/task-metrics.js';
import { UI_ASSETS, uiRoutes } from '../ui/routes.js';
import { loadRegistry } from './registry.js';
import { listenFailure } from './run-cli.js';
import { startTempSweeper } from './temp-files.js';

/** Pulp's API_APP_TTL: an API process missing heartbeats for this long leaves `online_api_apps`. */
export const API_APP_TTL_SECONDS = 120;

export interface RunningApi {
  address: string;
  close(): Promise<void>;
}

/**
 * One API process: builds the app, listens, and appears in `/status/` (`online_api_apps`) while it
 * heartbeats every API_APP_TTL/3 (Pulp's interval). close() unregisters first, so the process leaves the
 * status at once instead of after the TTL.
 */
export async function startApiServer(options: {
  settings: Settings;
  db: Database;
  logger: Logger;
  /** The process's storage, built by its entry point. */
  storage: Storage;
  host: string;
  port: number;
  /** The database pool, reported in the metrics. */
  pool?: PoolCounts;
}): Promise<RunningApi> {
  const { settings, db, logger, storage } = options;
  // Immediate tasks run in this process too.
  setProcessAddressPolicy({ denyPrivate: settings.DENY_PRIVATE_REMOTE_ADDRESSES });
  const registry = loadRegistry(settings);
  let appId: string | null = null;
  let metrics: BuildApiOptions['metrics'];
  if (settings.METRICS_ENABLED) {
    const own = await processMetrics('api');
    if (options.pool) own.watchPool(options.pool);
    metrics = { process: own, cluster: taskMetrics(db, settings.WORKER_TTL) };
  }
  const dispatcher = createDispatcher({ db, settings, logger, tasks: registry.tasks, storage, appId: () => appId });
  const api = await buildApiApp({
    settings,
    db,
    logger,
    modules: apiModules(registry),
    clientRoutes: (services) => [...apiClientRoutes(registry)(services), ...uiRoutes(settings, registry)],
    browsable: { staticFolders: [UI_ASSETS] },
    dispatcher,
    storage,
    metrics,
  });
  let address: string;
  try {
    address = await api.app.listen({ host: options.host, port: options.port });
  } catch (err) {
    await api.app.close().catch(() => undefined);
    throw listenFailure(err, 'API_BIND', `${options.host}:${options.port}`);
  }
  const versions = versionMap(registry);
  const record = await registerApp(db, 'api', processName('api'), versions);
  appId = record.pulp_id;
  const stopHeartbeat = startHeartbeat(db, record.pulp_id, (API_APP_TTL_SECONDS * 1000) / 3, (err) =>
    logger.warn({ err }, 'api heartbeat failed'),
  );
  const stopSweeper = startTempSweeper({ dir: storage.tempDir(), db, logger });
  logger.info({ address, name: record.name }, 'api listening');
  return {
    address,
    async close() {
      stopSweeper();
      stopHeartbeat();
      await unregisterApp(db, record.pulp_id).catch((err: unknown) =>
        logger.warn({ err }, 'could not unregister api app'),
      );
      await api.app.close();
    },
  };
}

import { statfs } from 'node:fs/promises';

import { Type } from '@sinclair/typebox';
import { sql } from 'kysely';

import { formatTimestamp } from '../../core/ids.js';
import type { OperationModule, Services } from '../../plugin-api/operations.js';
import type { VersionEntry } from '../../plugin-api/registry.js';

/** Seconds after which an API or content app is no longer online (Pulp's API_APP_TTL / CONTENT_APP_TTL). */
const API_APP_TTL = 120;

const AppStatus = Type.Object({
  name: Type.String(),
  last_heartbeat: Type.String({ format: 'date-time' }),
  versions: Type.Record(Type.String(), Type.String()),
});

export const StatusResponse = Type.Object({
  versions: Type.Array(
    Type.Object({
      component: Type.String(),
      version: Type.String(),
      package: Type.String(),
      module: Type.String(),
      domain_compatible: Type.Boolean(),
    }),
  ),
  online_workers: Type.Array(AppStatus),
  online_api_apps: Type.Array(AppStatus),
  online_content_apps: Type.Array(AppStatus),
  database_connection: Type.Object({ connected: Type.Boolean() }),
  redis_connection: Type.Object({ connected: Type.Boolean() }),
  storage: Type.Union([
    Type.Object({
      total: Type.Union([Type.Integer(), Type.Null()]),
      used: Type.Integer(),
      free: Type.Union([Type.Integer(), Type.Null()]),
    }),
    Type.Null(),
  ]),
  content_settings: Type.Object({
    content_origin: Type.Union([Type.String(), Type.Null()]),
    content_path_prefix: Type.String(),
  }),
  domain_enabled: Type.Boolean(),
});

async function onlineApps(services: Services, type: 'api' | 'content' | 'worker', ttl: number) {
  const rows = await services.db
    .selectFrom('app_status')
    .select(['name', 'last_heartbeat', 'versions'])
    .where('app_type', '=', type)
    .where('stopped_at', 'is', null)
    .where(sql<boolean>`last_heartbeat > clock_timestamp() - make_interval(secs => ${ttl})`)
    .orderBy('name')
    .execute();
  return rows.map((r) => ({ name: r.name, last_heartbeat: formatTimestamp(r.last_heartbeat), versions: r.versions }));
}

async function storageUsage(mediaRoot: string) {
  try {
    const s = await statfs(mediaRoot);
    const total = s.blocks * s.bsize;
    const free = s.bavail * s.bsize;
    return { total, used: total - s.bfree * s.bsize, free };
  } catch {
    return null;
  }
}

export function statusRoutes(versions: VersionEntry[]): OperationModule {
  return {
    components: [{ name: 'StatusResponse', schema: StatusResponse }],
    operations: [
      {
        method: 'GET',
        url: 'status/',
        pathKey: 'status/',
        operationId: 'status_read',
        tag: 'Status',
        summary: 'Inspect status of Pulp',
        auth: false,
        responses: { 200: { schema: 'StatusResponse' } },
        async handle(ctx) {
          const { services } = ctx;
          let connected = true;
          let workers: unknown[] = [];
          let apis: unknown[] = [];
          let contents: unknown[] = [];
          try {
            [workers, apis, contents] = await Promise.all([
              onlineApps(services, 'worker', services.settings.WORKER_TTL),
              onlineApps(services, 'api', API_APP_TTL),
              onlineApps(services, 'content', services.settings.WORKER_TTL),
            ]);
          } catch {
            connected = false;
          }
          return {
            status: 200,
            body: {
              versions,
              online_workers: workers,
              online_api_apps: apis,
              online_content_apps: contents,
              database_connection: { connected },
              redis_connection: { connected: false },
              storage: await storageUsage(services.settings.MEDIA_ROOT),
              content_settings: {
                content_origin: services.settings.CONTENT_ORIGIN,
                content_path_prefix: services.settings.CONTENT_PATH_PREFIX,
              },
              domain_enabled: false,
            },
          };
        },
      },
      {
        method: 'GET',
        url: 'livez/',
        pathKey: 'livez/',
        operationId: 'livez_read',
        tag: 'Livez',
        summary: "Inspect liveness of Pulp's REST API.",
        auth: false,
        responses: { 200: { description: 'The API server is alive.' } },
        handle: () => Promise.resolve({ status: 200 }),
      },
    ],
  };
}

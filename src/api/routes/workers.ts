import { Type } from '@sinclair/typebox';
import { sql } from 'kysely';

import { NotFoundError } from '../../core/errors.js';
import { formatTimestamp, isUuid, prn } from '../../core/ids.js';
import {
  dateTimeFilters,
  type FilterSet,
  identityFilters,
  nameFilters,
  parseBoolean,
} from '../../plugin-api/filters.js';
import { listResponse } from '../../plugin-api/list.js';
import type { OperationModule, RequestContext } from '../../plugin-api/operations.js';
import { paginatedComponent, taskHrefOf } from './task-serializer.js';

interface WorkerRow {
  pulp_id: string;
  pulp_created: string;
  pulp_last_updated: string;
  name: string;
  last_heartbeat: string;
  versions: Record<string, string>;
  current_task: string | null;
}

const WorkerResponse = Type.Object({
  pulp_href: Type.String({ format: 'uri' }),
  prn: Type.String(),
  pulp_created: Type.String({ format: 'date-time' }),
  pulp_last_updated: Type.String({ format: 'date-time' }),
  name: Type.String(),
  last_heartbeat: Type.String({ format: 'date-time' }),
  versions: Type.Record(Type.String(), Type.String()),
  current_task: Type.Union([Type.String({ format: 'uri' }), Type.Null()]),
});

function workerFilters(ttl: number): FilterSet {
  const online = sql<boolean>`w.last_heartbeat >= clock_timestamp() - make_interval(secs => ${ttl}::float8)`;
  return {
    ordering: ['name', 'last_heartbeat', 'pulp_last_updated', 'pk'],
    filters: [
      ...nameFilters('name', 'w.name'),
      ...dateTimeFilters('last_heartbeat', 'w.last_heartbeat'),
      {
        name: 'online',
        type: 'boolean',
        apply: (v) => (parseBoolean('online', v[v.length - 1] ?? '') ? online : sql<boolean>`NOT (${online})`),
      },
      {
        name: 'missing',
        type: 'boolean',
        apply: (v) => (parseBoolean('missing', v[v.length - 1] ?? '') ? sql<boolean>`NOT (${online})` : online),
      },
      ...identityFilters('w.pulp_id'),
    ],
  };
}

function workersQuery(ctx: RequestContext) {
  return (
    ctx.services.db
      .selectFrom('app_status as w')
      .select(['w.pulp_id', 'w.pulp_created', 'w.pulp_last_updated', 'w.name', 'w.last_heartbeat', 'w.versions'])
      .select(
        sql<
          string | null
        >`(SELECT c.pulp_id::text FROM task c WHERE c.worker_id = w.pulp_id AND c.state IN ('running', 'canceling') LIMIT 1)`.as(
          'current_task',
        ),
      )
      .where('w.app_type', '=', 'worker')
      // A worker that stopped cleanly leaves the list (Pulp deletes its record).
      .where('w.stopped_at', 'is', null)
  );
}

function serialize(prefix: string, w: WorkerRow) {
  return {
    pulp_href: `${prefix}workers/${w.pulp_id}/`,
    prn: prn('core.appstatus', w.pulp_id),
    pulp_created: formatTimestamp(w.pulp_created),
    pulp_last_updated: formatTimestamp(w.pulp_last_updated),
    name: w.name,
    last_heartbeat: formatTimestamp(w.last_heartbeat),
    versions: w.versions,
    current_task: w.current_task ? taskHrefOf(prefix, w.current_task) : null,
  };
}

export function workerRoutes(): OperationModule {
  const access = (action: string) => ({ viewset: 'workers', action });
  return {
    components: [{ name: 'WorkerResponse', schema: WorkerResponse }, paginatedComponent('WorkerResponse')],
    operations: [
      {
        method: 'GET',
        url: 'workers/',
        pathKey: 'workers/',
        operationId: 'workers_list',
        tag: 'Workers',
        summary: 'List workers',
        access: access('list'),
        filters: workerFilters(30),
        responses: { 200: { schema: 'PaginatedWorkerResponseList' } },
        handle: (ctx) =>
          listResponse(ctx, workersQuery(ctx), {
            filterSet: workerFilters(ctx.services.settings.WORKER_TTL),
            tableAlias: 'w',
            serialize: (rows: WorkerRow[]) => rows.map((w) => serialize(ctx.services.apiPrefix, w)),
          }),
      },
      {
        method: 'GET',
        url: 'workers/:pulp_id/',
        pathKey: '{worker_href}',
        operationId: 'workers_read',
        tag: 'Workers',
        summary: 'Inspect a worker',
        access: access('retrieve'),
        responses: { 200: { schema: 'WorkerResponse' } },
        handle: async (ctx) => {
          const id = ctx.params.pulp_id ?? '';
          const row = isUuid(id) ? await workersQuery(ctx).where('w.pulp_id', '=', id).executeTakeFirst() : undefined;
          if (!row) throw new NotFoundError('No Worker matches the given query.');
          return { status: 200, body: serialize(ctx.services.apiPrefix, row) };
        },
      },
    ],
  };
}

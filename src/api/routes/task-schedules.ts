import { Type } from '@sinclair/typebox';
import { sql } from 'kysely';

import { NotFoundError } from '../../core/errors.js';
import { formatTimestamp, isUuid } from '../../core/ids.js';
import { type FilterSet, identityFilters, nameFilters } from '../../plugin-api/filters.js';
import { listResponse } from '../../plugin-api/list.js';
import type { OperationModule, RequestContext } from '../../plugin-api/operations.js';
import { paginatedComponent } from '../../plugin-api/repository-version-operations.js';

interface Row {
  pulp_id: string;
  pulp_created: string;
  pulp_last_updated: string;
  name: string;
  task_name: string;
  next_dispatch: string | null;
  interval_seconds: number | string | null;
  last_task_id: string | null;
}

const TaskScheduleResponse = Type.Object({
  pulp_href: Type.String({ format: 'uri', readOnly: true }),
  prn: Type.String({ readOnly: true }),
  pulp_created: Type.String({ format: 'date-time', readOnly: true }),
  pulp_last_updated: Type.String({ format: 'date-time', readOnly: true }),
  name: Type.String({ description: 'The name of the task schedule.' }),
  task_name: Type.String({ description: 'The name of the task to be scheduled.' }),
  dispatch_interval: Type.Union([Type.String(), Type.Null()], {
    description: 'Periodicity of the schedule.',
  }),
  next_dispatch: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
    readOnly: true,
    description: 'Timestamp of the next time the task will be dispatched.',
  }),
  last_task: Type.Union([Type.String({ format: 'uri' }), Type.Null()], { readOnly: true }),
});

const filterSet: FilterSet = {
  filters: [
    ...nameFilters('name', 's.name').filter((f) => ['name', 'name__contains'].includes(f.name)),
    ...nameFilters('task_name', 's.task_name').filter((f) => ['task_name', 'task_name__contains'].includes(f.name)),
    ...identityFilters('s.pulp_id'),
  ],
  ordering: ['name', 'task_name', 'next_dispatch', 'pulp_last_updated', 'pulp_id'],
};

/** Django's `duration_string`: `[D ]HH:MM:SS[.ffffff]`. */
export function durationString(totalSeconds: number): string {
  const micros = Math.round(totalSeconds * 1e6);
  const days = Math.floor(micros / 86_400e6);
  let rest = micros - days * 86_400e6;
  const h = Math.floor(rest / 3_600e6);
  rest -= h * 3_600e6;
  const m = Math.floor(rest / 60e6);
  rest -= m * 60e6;
  const s = Math.floor(rest / 1e6);
  const us = rest - s * 1e6;
  const pad = (n: number) => String(n).padStart(2, '0');
  const time = `${pad(h)}:${pad(m)}:${pad(s)}${us ? `.${String(us).padStart(6, '0')}` : ''}`;
  return days ? `${days} ${time}` : time;
}

function select(ctx: RequestContext) {
  return ctx.services.db
    .selectFrom('task_schedule as s')
    .select([
      's.pulp_id',
      's.pulp_created',
      's.pulp_last_updated',
      's.name',
      's.task_name',
      's.next_dispatch',
      's.last_task_id',
      sql<number | null>`extract(epoch FROM s.dispatch_interval)`.as('interval_seconds'),
    ]);
}

function serialize(prefix: string, r: Row): Record<string, unknown> {
  return {
    pulp_href: `${prefix}task-schedules/${r.pulp_id}/`,
    prn: `prn:core.taskschedule:${r.pulp_id}`,
    pulp_created: formatTimestamp(r.pulp_created),
    pulp_last_updated: formatTimestamp(r.pulp_last_updated),
    name: r.name,
    task_name: r.task_name,
    dispatch_interval: r.interval_seconds === null ? null : durationString(Number(r.interval_seconds)),
    next_dispatch: r.next_dispatch === null ? null : formatTimestamp(r.next_dispatch),
    last_task: r.last_task_id ? `${prefix}tasks/${r.last_task_id}/` : null,
  };
}

/** `task-schedules/`: read-only (plus the roles actions), as in Pulp; the workers' scheduler dispatches them. */
export function taskScheduleRoutes(): OperationModule {
  const tag = 'Task-Schedules';
  const access = (action: string) => ({ viewset: 'task-schedules', action });
  return {
    components: [
      { name: 'TaskScheduleResponse', schema: TaskScheduleResponse },
      paginatedComponent('TaskScheduleResponse'),
    ],
    operations: [
      {
        method: 'GET',
        url: 'task-schedules/',
        pathKey: 'task-schedules/',
        operationId: 'task_schedules_list',
        tag,
        summary: 'List task schedules',
        filters: filterSet,
        access: access('list'),
        responses: { 200: { schema: 'PaginatedTaskScheduleResponseList' } },
        handle: (ctx) =>
          listResponse(ctx, select(ctx), {
            filterSet,
            tableAlias: 's',
            serialize: (rows: Row[]) => rows.map((r) => serialize(ctx.services.apiPrefix, r)),
          }),
      },
      {
        method: 'GET',
        url: 'task-schedules/:pulp_id/',
        pathKey: '{task_schedule_href}',
        operationId: 'task_schedules_read',
        tag,
        summary: 'Inspect a task schedule',
        access: access('retrieve'),
        responses: { 200: { schema: 'TaskScheduleResponse' } },
        async handle(ctx) {
          const id = ctx.params.pulp_id ?? '';
          const row = isUuid(id) ? await select(ctx).where('s.pulp_id', '=', id).executeTakeFirst() : undefined;
          if (!row) throw new NotFoundError('No TaskSchedule matches the given query.');
          return { status: 200, body: serialize(ctx.services.apiPrefix, row) };
        },
      },
    ],
  };
}

import { Type } from '@sinclair/typebox';
import { sql } from 'kysely';

import { NotFoundError, ValidationError } from '../../core/errors.js';
import { isUuid, prn } from '../../core/ids.js';
import type { Database } from '../../db/database.js';
import { listResponse } from '../../plugin-api/list.js';
import type { OperationModule, Services } from '../../plugin-api/operations.js';
import { minimalTask, paginatedComponent, taskGroupHrefOf } from './task-serializer.js';
import { cancelTask, TASK_STATES } from './tasks.js';

interface GroupRow {
  pulp_id: string;
  pulp_created: string;
  description: string;
  all_tasks_dispatched: boolean;
}

const TaskGroupResponse = Type.Object({
  pulp_href: Type.String({ format: 'uri' }),
  prn: Type.String(),
  description: Type.String(),
  all_tasks_dispatched: Type.Boolean(),
  ...Object.fromEntries(TASK_STATES.map((s) => [s, Type.Integer()])),
  group_progress_reports: Type.Array(
    Type.Object({
      message: Type.String(),
      code: Type.String(),
      total: Type.Union([Type.Integer(), Type.Null()]),
      done: Type.Integer(),
      suffix: Type.Union([Type.String(), Type.Null()]),
    }),
  ),
  tasks: Type.Array(Type.Unsafe({ $ref: 'MinimalTaskResponse' })),
});

async function serializeGroups(db: Database, prefix: string, rows: GroupRow[]): Promise<Record<string, unknown>[]> {
  if (rows.length === 0) return [];
  const tasks = await db
    .selectFrom('task')
    .select([
      'pulp_id',
      'pulp_created',
      'pulp_last_updated',
      'name',
      'state',
      'unblocked_at',
      'started_at',
      'finished_at',
      'task_group_id',
    ])
    .where(
      'task_group_id',
      'in',
      rows.map((r) => r.pulp_id),
    )
    .orderBy('pulp_created')
    .execute();
  const reports = await db
    .selectFrom('group_progress_report')
    .select(['task_group_id', 'message', 'code', 'total', 'done', 'suffix'])
    .where(
      'task_group_id',
      'in',
      rows.map((r) => r.pulp_id),
    )
    .orderBy('pulp_created')
    .execute();
  return rows.map((g) => {
    const members = tasks.filter((t) => t.task_group_id === g.pulp_id);
    const counts = Object.fromEntries(TASK_STATES.map((s) => [s, members.filter((t) => t.state === s).length]));
    return {
      pulp_href: taskGroupHrefOf(prefix, g.pulp_id),
      prn: prn('core.taskgroup', g.pulp_id),
      description: g.description,
      all_tasks_dispatched: g.all_tasks_dispatched,
      ...counts,
      group_progress_reports: reports
        .filter((r) => r.task_group_id === g.pulp_id)
        .map(({ message, code, total, done, suffix }) => ({ message, code, total, done, suffix })),
      tasks: members.map((t) => minimalTask(prefix, t)),
    };
  });
}

async function loadGroup(services: Services, id: string): Promise<GroupRow> {
  const row = isUuid(id)
    ? await services.db
        .selectFrom('task_group')
        .select(['pulp_id', 'pulp_created', 'description', 'all_tasks_dispatched'])
        .where('pulp_id', '=', id)
        .executeTakeFirst()
    : undefined;
  if (!row) throw new NotFoundError('No TaskGroup matches the given query.');
  return row;
}

export function taskGroupRoutes(): OperationModule {
  const access = (action: string) => ({ viewset: 'task-groups', action });
  return {
    components: [{ name: 'TaskGroupResponse', schema: TaskGroupResponse }, paginatedComponent('TaskGroupResponse')],
    operations: [
      {
        method: 'GET',
        url: 'task-groups/',
        pathKey: 'task-groups/',
        operationId: 'task_groups_list',
        tag: 'Task-Groups',
        summary: 'List task groups',
        access: access('list'),
        // No filterset upstream: only limit/offset and field selection; natural order.
        filters: { filters: [], ordering: [], defaultOrdering: ['pulp_created'] },
        responses: { 200: { schema: 'PaginatedTaskGroupResponseList' } },
        handle: (ctx) =>
          listResponse(
            ctx,
            ctx.services.db
              .selectFrom('task_group as g')
              .select(['g.pulp_id', 'g.pulp_created', 'g.description', 'g.all_tasks_dispatched']),
            {
              filterSet: { filters: [], ordering: [], defaultOrdering: ['pulp_created'] },
              tableAlias: 'g',
              serialize: (rows: GroupRow[]) => serializeGroups(ctx.services.db, ctx.services.apiPrefix, rows),
            },
          ),
      },
      {
        method: 'GET',
        url: 'task-groups/:pulp_id/',
        pathKey: '{task_group_href}',
        operationId: 'task_groups_read',
        tag: 'Task-Groups',
        summary: 'Inspect a task group',
        access: access('retrieve'),
        responses: { 200: { schema: 'TaskGroupResponse' } },
        handle: async (ctx) => {
          const g = await loadGroup(ctx.services, ctx.params.pulp_id ?? '');
          const [body] = await serializeGroups(ctx.services.db, ctx.services.apiPrefix, [g]);
          return { status: 200, body };
        },
      },
      {
        method: 'PATCH',
        url: 'task-groups/:pulp_id/',
        pathKey: '{task_group_href}',
        operationId: 'task_groups_cancel',
        tag: 'Task-Groups',
        summary: 'Cancel a task group',
        access: access('partial_update'),
        body: { name: 'PatchedTaskGroupCancel', schema: Type.Object({ state: Type.String() }) },
        responses: { 200: { schema: 'TaskGroupResponse' }, 409: { schema: 'TaskGroupResponse' } },
        handle: async (ctx) => {
          const g = await loadGroup(ctx.services, ctx.params.pulp_id ?? '');
          if (ctx.body.state !== 'canceled')
            throw new ValidationError({ state: [`"${String(ctx.body.state)}" is not a valid choice.`] });
          const { db } = ctx.services;
          await db
            .updateTable('task_group')
            .set({ all_tasks_dispatched: true, pulp_last_updated: sql<string>`clock_timestamp()` })
            .where('pulp_id', '=', g.pulp_id)
            .execute();
          const members = await db
            .selectFrom('task')
            .select('pulp_id')
            .where('task_group_id', '=', g.pulp_id)
            .where('state', 'in', ['waiting', 'running'])
            .execute();
          for (const m of members) await cancelTask(ctx.services, m.pulp_id);
          const [body] = await serializeGroups(db, ctx.services.apiPrefix, [{ ...g, all_tasks_dispatched: true }]);
          const stillActive = (body?.waiting as number) + (body?.running as number) > 0;
          return { status: stillActive ? 409 : 200, body };
        },
      },
    ],
  };
}

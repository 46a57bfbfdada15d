import { Type } from '@sinclair/typebox';
import { type RawBuilder, sql } from 'kysely';

import { NotFoundError, ValidationError } from '../../core/errors.js';
import { DEFAULT_DOMAIN_ID, hrefPath, isUuid, parsePrn } from '../../core/ids.js';
import {
  dateTimeFilters,
  type Filter,
  type FilterSet,
  identityFilters,
  parseBoolean,
  parseDateTime,
  pkFromReference,
} from '../../plugin-api/filters.js';
import { listResponse } from '../../plugin-api/list.js';
import type { Operation, OperationModule, RequestContext, Services } from '../../plugin-api/operations.js';
import { PURGE_TASK_NAME } from '../../tasking/purge.js';
import { artifactUrl } from '../artifact-url.js';
import {
  MinimalTaskResponse,
  minimalTask,
  paginatedComponent,
  serializeTasks,
  type TaskRow,
  TaskResponse,
} from './task-serializer.js';

export const TASK_STATES = ['waiting', 'skipped', 'running', 'completed', 'failed', 'canceled', 'canceling'];
const FINAL_STATES = ['skipped', 'completed', 'failed', 'canceled'];

const splitCsv = (values: string[]) =>
  values
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
const last = (name: string, values: string[]) => {
  const v = values[values.length - 1];
  if (v === undefined) throw new ValidationError({ [name]: ['This field is required.'] });
  return v;
};

function stateValue(name: string, value: string): string {
  if (!TASK_STATES.includes(value))
    throw new ValidationError({ [name]: [`Select a valid choice. ${value} is not one of the available choices.`] });
  return value;
}

/** The uuid of a task/group reference, or null for `null`/empty (relation unset). */
function referenceId(name: string, value: string): string | null {
  if (value === '' || value === 'null') return null;
  const pk = pkFromReference(name, value);
  if (!isUuid(pk))
    throw new ValidationError({ [name]: ['Select a valid choice. That choice is not one of the available choices.'] });
  return pk;
}

/** Pulp's legacy domain-wide keys, still accepted by the resource filters. */
const LEGACY_KEYS: Record<string, string> = {
  'orphans/cleanup/': 'orphans',
  'repair/': 'repair',
  'distributions/': 'distributions',
  'repositories/reclaim_space/': 'reclaim_space',
  'servers/': 'servers',
};

/** Names a resource value may be recorded under: itself, and for an href its legacy pdrn or its trailing pk. */
function resourceMatcher(column: RawBuilder<unknown>, value: string, withShared: boolean): RawBuilder<boolean> {
  const names = [value];
  const path = hrefPath(value);
  if (path) {
    const legacy = Object.entries(LEGACY_KEYS).find(([suffix]) => path.endsWith(`/api/v3/${suffix}`));
    if (legacy) names.push(`pdrn:${DEFAULT_DOMAIN_ID}:${legacy[1]}`);
  }
  const all = withShared ? [...names, ...names.map((n) => `shared:${n}`)] : names;
  const pk = path ? path.split('/').filter(Boolean).pop() : parsePrn(value)?.pk;
  // A model href matches the PRN recorded for the same object (UUIDs are unique across models).
  if (pk && isUuid(pk)) {
    return sql<boolean>`(${column} && ${all}::text[] OR EXISTS (SELECT 1 FROM unnest(${column}) AS r(x) WHERE r.x LIKE ${`%:${pk}`} OR r.x = ${path ?? ''}))`;
  }
  return sql<boolean>`${column} && ${all}::text[]`;
}

/**
 * `<name>` and `<name>__in`. Unlike every other `__in` filter, Pulp's ReservedResourcesInFilter requires all
 * the listed resources (one comma-joined value, `style: form, explode: false`): a task must hold each of them.
 */
function resourceFilters(name: string, column: string, withShared: boolean): Filter[] {
  const c = () => sql.ref(column);
  return [
    { name, type: 'string', apply: (v) => resourceMatcher(c(), last(name, v), withShared) },
    {
      name: `${name}__in`,
      type: 'string-list',
      apply: (v) => {
        const values = splitCsv(v);
        if (values.length === 0) return sql<boolean>`true`;
        return sql<boolean>`(${sql.join(
          values.map((x) => resourceMatcher(c(), x, withShared)),
          sql` AND `,
        )})`;
      },
    },
  ];
}

export const taskFilters: FilterSet = {
  ordering: [
    'pulp_created',
    'pulp_last_updated',
    'state',
    'name',
    'logging_cid',
    'unblocked_at',
    'started_at',
    'finished_at',
    'pk',
  ],
  filters: [
    {
      name: 'state',
      type: 'string',
      enum: TASK_STATES,
      apply: (v) => sql<boolean>`t.state = ${stateValue('state', last('state', v))}`,
    },
    {
      name: 'state__in',
      type: 'string-list',
      apply: (v) => sql<boolean>`t.state = ANY(${splitCsv(v).map((s) => stateValue('state__in', s))}::text[])`,
    },
    {
      name: 'state__ne',
      type: 'string',
      enum: TASK_STATES,
      apply: (v) => sql<boolean>`t.state <> ${stateValue('state__ne', last('state__ne', v))}`,
    },
    { name: 'name', type: 'string', apply: (v) => sql<boolean>`t.name = ${last('name', v)}` },
    {
      name: 'name__contains',
      type: 'string',
      apply: (v) => sql<boolean>`strpos(t.name, ${last('name__contains', v)}) > 0`,
    },
    { name: 'name__in', type: 'string-list', apply: (v) => sql<boolean>`t.name = ANY(${splitCsv(v)}::text[])` },
    { name: 'name__ne', type: 'string', apply: (v) => sql<boolean>`t.name <> ${last('name__ne', v)}` },
    { name: 'logging_cid', type: 'string', apply: (v) => sql<boolean>`t.logging_cid = ${last('logging_cid', v)}` },
    {
      name: 'logging_cid__contains',
      type: 'string',
      apply: (v) => sql<boolean>`strpos(t.logging_cid, ${last('logging_cid__contains', v)}) > 0`,
    },
    ...dateTimeFilters('pulp_created', 't.pulp_created'),
    ...dateTimeFilters('started_at', 't.started_at'),
    ...dateTimeFilters('finished_at', 't.finished_at'),
    ...dateTimeFilters('unblocked_at', 't.unblocked_at'),
    {
      name: 'parent_task',
      type: 'string',
      apply: (v) => {
        const id = referenceId('parent_task', last('parent_task', v));
        return id === null ? sql<boolean>`t.parent_task_id IS NULL` : sql<boolean>`t.parent_task_id = ${id}::uuid`;
      },
    },
    {
      name: 'child_tasks',
      type: 'string',
      apply: (v) => {
        const id = referenceId('child_tasks', last('child_tasks', v));
        if (id === null) return sql<boolean>`NOT EXISTS (SELECT 1 FROM task c WHERE c.parent_task_id = t.pulp_id)`;
        return sql<boolean>`EXISTS (SELECT 1 FROM task c WHERE c.parent_task_id = t.pulp_id AND c.pulp_id = ${id}::uuid)`;
      },
    },
    {
      name: 'task_group',
      type: 'string',
      apply: (v) => {
        const id = referenceId('task_group', last('task_group', v));
        return id === null ? sql<boolean>`t.task_group_id IS NULL` : sql<boolean>`t.task_group_id = ${id}::uuid`;
      },
    },
    {
      name: 'created_resources',
      type: 'string',
      apply: (v) => resourceMatcher(sql.ref('t.created_resources'), last('created_resources', v), false),
    },
    // Deprecated upstream: tasks no longer record a worker, so any value matches nothing.
    {
      name: 'worker',
      type: 'string',
      apply: (v) => (last('worker', v) === '' ? sql<boolean>`true` : sql<boolean>`false`),
    },
    ...resourceFilters('reserved_resources', 't.reserved_resources_record', true),
    ...resourceFilters('exclusive_resources', 't.exclusive_resources', false),
    ...resourceFilters('shared_resources', 't.shared_resources', false),
    ...identityFilters('t.pulp_id'),
  ],
};

async function loadTask(services: Services, id: string): Promise<TaskRow> {
  const row = isUuid(id)
    ? await services.db.selectFrom('task').selectAll().where('pulp_id', '=', id).executeTakeFirst()
    : undefined;
  if (!row) throw new NotFoundError('No Task matches the given query.');
  return row;
}

async function taskBody(ctx: RequestContext, row: TaskRow): Promise<Record<string, unknown>> {
  const minimal = ctx.query.minimal && parseBoolean('minimal', last('minimal', ctx.query.minimal));
  if (minimal) return minimalTask(ctx.services.apiPrefix, row);
  const [body] = await serializeTasks(ctx.services.db, ctx.services.apiPrefix, [row]);
  return body as Record<string, unknown>;
}

/** Moves a waiting/running task to canceling and tells its owner (or the workers); returns the row after. */
export async function cancelTask(services: Services, id: string): Promise<TaskRow> {
  const updated = await services.db
    .updateTable('task')
    .set({ state: 'canceling', pulp_last_updated: sql<string>`clock_timestamp()` })
    .where('pulp_id', '=', id)
    .where('state', 'in', ['waiting', 'running'])
    .returningAll()
    .executeTakeFirst();
  if (updated) {
    await (
      updated.worker_id
        ? sql`SELECT pg_notify('pulp_worker_cancel', ${id})`
        : sql`SELECT pg_notify('pulp_worker_wakeup', 'handle')`
    ).execute(services.db);
    return updated;
  }
  return loadTask(services, id);
}

const TaskPath = 'tasks/:pulp_id/';
const access = (action: string) => ({ viewset: 'tasks', action });

export function taskRoutes(): OperationModule {
  const operations: Operation[] = [
    {
      method: 'GET',
      url: 'tasks/',
      pathKey: 'tasks/',
      operationId: 'tasks_list',
      tag: 'Tasks',
      summary: 'List tasks',
      filters: taskFilters,
      access: access('list'),
      responses: { 200: { schema: 'PaginatedTaskResponseList' } },
      handle: (ctx) => {
        const minimal = ctx.query.minimal && parseBoolean('minimal', last('minimal', ctx.query.minimal));
        const query = ctx.services.db.selectFrom('task as t').selectAll('t');
        return listResponse(ctx, query, {
          filterSet: taskFilters,
          tableAlias: 't',
          serialize: (rows: TaskRow[]) =>
            minimal
              ? rows.map((r) => minimalTask(ctx.services.apiPrefix, r))
              : serializeTasks(ctx.services.db, ctx.services.apiPrefix, rows),
        });
      },
    },
    {
      method: 'GET',
      url: TaskPath,
      pathKey: '{task_href}',
      operationId: 'tasks_read',
      tag: 'Tasks',
      summary: 'Inspect a task',
      access: access('retrieve'),
      responses: { 200: { schema: 'TaskResponse' } },
      handle: async (ctx) => ({
        status: 200,
        body: await taskBody(ctx, await loadTask(ctx.services, ctx.params.pulp_id ?? '')),
      }),
    },
    {
      method: 'PATCH',
      url: TaskPath,
      pathKey: '{task_href}',
      operationId: 'tasks_cancel',
      tag: 'Tasks',
      summary: 'Cancel a task',
      access: access('partial_update'),
      body: {
        name: 'PatchedTaskCancel',
        schema: Type.Object({
          state: Type.String({ description: "The desired state of the task. Only 'canceled' is accepted." }),
        }),
      },
      responses: { 200: { schema: 'TaskResponse' }, 409: { schema: 'TaskResponse' } },
      handle: async (ctx) => {
        const row = await loadTask(ctx.services, ctx.params.pulp_id ?? '');
        const state = ctx.body.state;
        if (state === undefined) throw new ValidationError({ state: ['This field is required.'] });
        if (state !== 'canceled')
          throw new ValidationError({
            state: [`"${typeof state === 'string' ? state : JSON.stringify(state)}" is not a valid choice.`],
          });
        const after = FINAL_STATES.includes(row.state) ? row : await cancelTask(ctx.services, row.pulp_id);
        const status = after.state === 'canceled' || after.state === 'canceling' ? 200 : 409;
        return { status, body: await taskBody(ctx, after) };
      },
    },
    {
      method: 'DELETE',
      url: TaskPath,
      pathKey: '{task_href}',
      operationId: 'tasks_delete',
      tag: 'Tasks',
      summary: 'Delete a task',
      access: access('destroy'),
      responses: { 204: {}, 409: {} },
      handle: async (ctx) => {
        const row = await loadTask(ctx.services, ctx.params.pulp_id ?? '');
        const deleted = await ctx.services.db
          .deleteFrom('task')
          .where('pulp_id', '=', row.pulp_id)
          .where('state', 'in', FINAL_STATES as TaskRow['state'][])
          .executeTakeFirst();
        return { status: Number(deleted.numDeletedRows) === 1 ? 204 : 409 };
      },
    },
    {
      method: 'GET',
      url: `${TaskPath}profile_artifacts/`,
      pathKey: '{task_href}profile_artifacts/',
      operationId: 'tasks_profile_artifacts',
      tag: 'Tasks',
      summary: 'Fetch downloadable links for profile artifacts',
      access: access('profile_artifacts'),
      responses: { 200: { schema: 'ProfileArtifactResponse' } },
      handle: async (ctx) => {
        const row = await loadTask(ctx.services, ctx.params.pulp_id ?? '');
        const artifacts = await ctx.services.db
          .selectFrom('profile_artifact')
          .select(['name', 'artifact_id'])
          .where('task_id', '=', row.pulp_id)
          .orderBy('name')
          .execute();
        const urls: Record<string, string> = {};
        for (const a of artifacts) {
          const url = await artifactUrl(ctx.services.db, ctx.services.settings, a.artifact_id);
          if (url) urls[a.name] = url;
        }
        return { status: 200, body: { urls } };
      },
    },
    {
      method: 'POST',
      url: 'tasks/purge/',
      pathKey: 'tasks/purge/',
      operationId: 'tasks_purge',
      tag: 'Tasks',
      summary: 'Purge Completed Tasks',
      access: access('purge'),
      body: {
        name: 'Purge',
        schema: Type.Object({
          finished_before: Type.Optional(
            Type.String({
              description: "Purge tasks completed earlier than this timestamp. Format 'YYYY-MM-DD[T00:00:00]'",
            }),
          ),
          states: Type.Optional(Type.Array(Type.String())),
        }),
      },
      responses: { 202: { schema: 'AsyncOperationResponse' } },
      handle: async (ctx) => {
        const before =
          ctx.body.finished_before === undefined
            ? new Date(Date.now() - 30 * 24 * 3600 * 1000).toISOString()
            : parseDateTime(
                'finished_before',
                typeof ctx.body.finished_before === 'string' ? ctx.body.finished_before : '',
              );
        const states = (ctx.body.states as string[] | undefined) ?? ['completed'];
        const bad = states.filter((s) => !FINAL_STATES.includes(s));
        if (bad.length > 0) throw new ValidationError({ states: bad.map((s) => `"${s}" is not a valid choice.`) });
        const task = await ctx.services.dispatcher.dispatch(
          PURGE_TASK_NAME,
          { finished_before: before, states },
          { loggingCid: ctx.correlationId, userId: ctx.user?.id ?? null },
        );
        return { status: 202, body: { task: task.href } };
      },
    },
  ];
  return {
    operations,
    components: [
      { name: 'TaskResponse', schema: TaskResponse },
      { name: 'MinimalTaskResponse', schema: MinimalTaskResponse },
      {
        name: 'ProfileArtifactResponse',
        schema: Type.Object({ urls: Type.Record(Type.String(), Type.String({ format: 'uri' })) }),
      },
      paginatedComponent('TaskResponse'),
    ],
  };
}

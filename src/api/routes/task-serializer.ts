import { Type } from '@sinclair/typebox';
import type { Selectable } from 'kysely';

import { formatTimestamp, prn } from '../../core/ids.js';
import type { Database } from '../../db/database.js';
import type { TaskTable } from '../../db/tables.js';

export type TaskRow = Selectable<TaskTable>;

const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);
const DateTime = () => Nullable(Type.String({ format: 'date-time' }));

export const ProgressReportResponse = Type.Object({
  message: Type.String(),
  code: Type.String(),
  state: Type.String(),
  total: Type.Union([Type.Integer(), Type.Null()]),
  done: Type.Union([Type.Integer(), Type.Null()]),
  suffix: Type.Union([Type.String(), Type.Null()]),
});

export const TaskResponse = Type.Object({
  pulp_href: Type.String({ format: 'uri', readOnly: true }),
  prn: Type.String({ readOnly: true }),
  pulp_created: Type.String({ format: 'date-time', readOnly: true }),
  pulp_last_updated: Type.String({ format: 'date-time', readOnly: true }),
  state: Type.String({ readOnly: true }),
  name: Type.String(),
  logging_cid: Type.String(),
  created_by: Nullable(Type.String({ format: 'uri' })),
  unblocked_at: DateTime(),
  started_at: DateTime(),
  finished_at: DateTime(),
  error: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
  worker: Nullable(Type.String({ format: 'uri' })),
  parent_task: Nullable(Type.String({ format: 'uri' })),
  child_tasks: Type.Array(Type.String({ format: 'uri' })),
  task_group: Nullable(Type.String({ format: 'uri' })),
  progress_reports: Type.Array(ProgressReportResponse),
  created_resources: Type.Array(Nullable(Type.String({ format: 'uri' }))),
  reserved_resources_record: Type.Array(Type.String()),
  result: Type.Unknown(),
});

export const MinimalTaskResponse = Type.Object({
  pulp_href: Type.String({ format: 'uri' }),
  prn: Type.String(),
  pulp_created: Type.String({ format: 'date-time' }),
  pulp_last_updated: Type.String({ format: 'date-time' }),
  name: Type.String(),
  state: Type.String(),
  unblocked_at: DateTime(),
  started_at: DateTime(),
  finished_at: DateTime(),
  worker: Nullable(Type.String({ format: 'uri' })),
});

export const taskHrefOf = (prefix: string, id: string) => `${prefix}tasks/${id}/`;
export const taskGroupHrefOf = (prefix: string, id: string) => `${prefix}task-groups/${id}/`;

/** The reduced serializer of `?minimal=true` (and of a task group's `tasks`). */
export function minimalTask(
  prefix: string,
  t: Pick<
    TaskRow,
    'pulp_id' | 'pulp_created' | 'pulp_last_updated' | 'name' | 'state' | 'unblocked_at' | 'started_at' | 'finished_at'
  >,
) {
  return {
    pulp_href: taskHrefOf(prefix, t.pulp_id),
    prn: prn('core.task', t.pulp_id),
    pulp_created: formatTimestamp(t.pulp_created),
    pulp_last_updated: formatTimestamp(t.pulp_last_updated),
    name: t.name,
    state: t.state,
    unblocked_at: formatTimestamp(t.unblocked_at),
    started_at: formatTimestamp(t.started_at),
    finished_at: formatTimestamp(t.finished_at),
    worker: null,
  };
}

/** Full task objects for a page of rows: children and progress reports in two batched queries. */
export async function serializeTasks(
  db: Database,
  prefix: string,
  rows: TaskRow[],
): Promise<Record<string, unknown>[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.pulp_id);
  const [children, reports] = await Promise.all([
    db
      .selectFrom('task')
      .select(['pulp_id', 'parent_task_id'])
      .where('parent_task_id', 'in', ids)
      .orderBy('pulp_created')
      .execute(),
    db
      .selectFrom('progress_report')
      .select(['task_id', 'message', 'code', 'state', 'total', 'done', 'suffix'])
      .where('task_id', 'in', ids)
      .orderBy('pulp_created')
      .execute(),
  ]);
  return rows.map((t) => ({
    pulp_href: taskHrefOf(prefix, t.pulp_id),
    prn: prn('core.task', t.pulp_id),
    pulp_created: formatTimestamp(t.pulp_created),
    pulp_last_updated: formatTimestamp(t.pulp_last_updated),
    state: t.state,
    name: t.name,
    logging_cid: t.logging_cid,
    created_by: t.user_id === null ? null : `${prefix}users/${t.user_id}/`,
    unblocked_at: formatTimestamp(t.unblocked_at),
    started_at: formatTimestamp(t.started_at),
    finished_at: formatTimestamp(t.finished_at),
    error: t.error ?? null,
    // Deprecated in Pulp and always null there.
    worker: null,
    parent_task: t.parent_task_id ? taskHrefOf(prefix, t.parent_task_id) : null,
    child_tasks: children.filter((c) => c.parent_task_id === t.pulp_id).map((c) => taskHrefOf(prefix, c.pulp_id)),
    task_group: t.task_group_id ? taskGroupHrefOf(prefix, t.task_group_id) : null,
    progress_reports: reports
      .filter((r) => r.task_id === t.pulp_id)
      .map((r) => ({
        message: r.message,
        code: r.code,
        state: r.state,
        total: r.total,
        done: r.done,
        suffix: r.suffix,
      })),
    created_resources: t.created_resources,
    reserved_resources_record: t.reserved_resources_record,
    result: t.result ?? null,
  }));
}

/** `Paginated<Item>List` component over a registered item component. */
export function paginatedComponent(itemName: string) {
  return {
    name: `Paginated${itemName}List`,
    schema: Type.Object({
      count: Type.Integer(),
      next: Type.Union([Type.String({ format: 'uri' }), Type.Null()]),
      previous: Type.Union([Type.String({ format: 'uri' }), Type.Null()]),
      results: Type.Array(Type.Unsafe({ $ref: itemName })),
    }),
  };
}

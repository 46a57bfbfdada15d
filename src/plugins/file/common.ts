import { sql } from 'kysely';

import { NotFoundError, ValidationError } from '../../core/errors.js';
import { hrefPath, isUuid, parsePrn } from '../../core/ids.js';
import { dispatchReply } from '../../plugin-api/dispatch-reply.js';
import type { Reply, RequestContext } from '../../plugin-api/operations.js';
import { type ResourceKind, typedPrn } from '../../plugin-api/resource-types.js';
import type { DispatchOptions } from '../../plugin-api/tasks.js';

export const GENERAL_CREATE = 'pulpcore.app.tasks.base.general_create';
export const GENERAL_UPDATE = 'pulpcore.app.tasks.base.ageneral_update';
export const GENERAL_DELETE = 'pulpcore.app.tasks.base.ageneral_delete';

export type FileTable = 'remote' | 'repository' | 'publication' | 'distribution';

/** The id in the route, or a 404 with Pulp's wording for the model. */
export function routeId(ctx: RequestContext, model: string, param = 'pulp_id'): string {
  const id = ctx.params[param] ?? '';
  if (!isUuid(id)) throw new NotFoundError(`No ${model} matches the given query.`);
  return id;
}

/**
 * Resolves a related object given as href or PRN to its id, checking it exists with the expected collection
 * path and type: 400 on the field otherwise (DRF's wording).
 */
export async function resolveReference(
  ctx: RequestContext,
  field: string,
  value: unknown,
  table: FileTable,
  endpoint: string,
): Promise<string> {
  if (typeof value !== 'string' || value === '')
    throw new ValidationError({ [field]: ['This field may not be null.'] });
  let id: string | null = null;
  const prn = parsePrn(value);
  if (prn) id = prn.pk;
  else {
    const p = hrefPath(value);
    const m = p ? new RegExp(`${endpoint}/([0-9a-f-]{36})/$`).exec(p) : null;
    if (!p) throw new ValidationError({ [field]: ['Invalid hyperlink - No URL match.'] });
    if (!m) throw new ValidationError({ [field]: ['Invalid hyperlink - Incorrect URL match.'] });
    id = m[1] ?? null;
  }
  if (!id || !isUuid(id)) throw new ValidationError({ [field]: ['Invalid hyperlink - Object does not exist.'] });
  const row = await sql<{
    pulp_id: string;
  }>`SELECT pulp_id FROM ${sql.table(table)} WHERE pulp_id = ${id} AND pulp_type = 'file.file'`.execute(
    ctx.services.db,
  );
  if (!row.rows[0]) throw new ValidationError({ [field]: ['Invalid hyperlink - Object does not exist.'] });
  return id;
}

/** 400 `{"name": ["This field must be unique."]}` when another object of the table has the name. */
export async function checkUniqueName(
  ctx: RequestContext,
  table: FileTable | 'distribution',
  name: unknown,
  exceptId?: string,
): Promise<void> {
  if (typeof name !== 'string') return;
  const row = await sql<{ pulp_id: string }>`SELECT pulp_id FROM ${sql.table(table)} WHERE name = ${name}
    AND pulp_id IS DISTINCT FROM ${exceptId ?? null}::uuid LIMIT 1`.execute(ctx.services.db);
  if (row.rows[0]) throw new ValidationError({ name: ['This field must be unique.'] });
}

/** PRN of a file-plugin object, as task reservations name it. */
export function lockName(kind: ResourceKind, id: string): string {
  return typedPrn('file.file', kind, id);
}

/**
 * Dispatches one of core's generic tasks. The argument shape is the one the generic tasks read:
 * `{kind, pulp_type, pulp_id?, data?, partial?}`.
 */
export function dispatchGeneric(
  ctx: RequestContext,
  task: typeof GENERAL_CREATE | typeof GENERAL_UPDATE | typeof GENERAL_DELETE,
  kind: ResourceKind,
  args: { pulp_id?: string; data?: Record<string, unknown>; partial?: boolean },
  options: DispatchOptions,
): Promise<Reply> {
  return dispatchReply(ctx, task, { kind, pulp_type: 'file.file', ...args }, options);
}

import { sql } from 'kysely';

import { NotFoundError, ValidationError } from '../../core/errors.js';
import { hrefPath, isUuid, parsePrn } from '../../core/ids.js';
import { dispatchReply } from '../dispatch-reply.js';
import type { Reply, RequestContext } from '../operations.js';
import { KIND_TABLES, type ResourceKind, resourceTypesOf, typedPrn } from '../resource-types.js';
import type { DispatchOptions } from '../tasks.js';

export const GENERAL_CREATE = 'pulpcore.app.tasks.base.general_create';
export const GENERAL_UPDATE = 'pulpcore.app.tasks.base.ageneral_update';
export const GENERAL_DELETE = 'pulpcore.app.tasks.base.ageneral_delete';

/** The id in the route, or a 404 with Pulp's wording for the model. */
export function routeId(ctx: RequestContext, model: string, param = 'pulp_id'): string {
  const id = ctx.params[param] ?? '';
  if (!isUuid(id)) throw new NotFoundError(`No ${model} matches the given query.`);
  return id;
}

/**
 * Resolves a related object given as href or PRN to its id: it must exist, be of the `kind`, and (when
 * `pulpTypes` is given) of one of those types; a 400 on the field otherwise, in DRF's wording.
 */
export async function resolveReference(
  ctx: RequestContext,
  field: string,
  value: unknown,
  kind: ResourceKind,
  pulpTypes?: readonly string[],
): Promise<string> {
  if (typeof value !== 'string' || value === '')
    throw new ValidationError({ [field]: ['This field may not be null.'] });
  const types = pulpTypes ?? resourceTypesOf(kind).map((t) => t.pulpType);
  let id: string | null = null;
  const prn = parsePrn(value);
  if (prn) {
    const allowed = resourceTypesOf(kind).filter((t) => types.includes(t.pulpType));
    if (!allowed.some((t) => t.prnModel === prn.model))
      throw new ValidationError({ [field]: ['Invalid hyperlink - Incorrect URL match.'] });
    id = prn.pk;
  } else {
    const p = hrefPath(value);
    if (!p) throw new ValidationError({ [field]: ['Invalid hyperlink - No URL match.'] });
    const endpoints = resourceTypesOf(kind)
      .filter((t) => types.includes(t.pulpType))
      .map((t) => t.endpoint);
    const hit = endpoints
      .map((e) => new RegExp(`/${e.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/([0-9a-f-]{36})/$`).exec(p))
      .find(Boolean);
    if (!hit) throw new ValidationError({ [field]: ['Invalid hyperlink - Incorrect URL match.'] });
    id = hit[1] ?? null;
  }
  if (!id || !isUuid(id)) throw new ValidationError({ [field]: ['Invalid hyperlink - Object does not exist.'] });
  const row = await sql<{ pulp_id: string }>`SELECT pulp_id FROM ${sql.table(KIND_TABLES[kind])}
    WHERE pulp_id = ${id} AND pulp_type = ANY(${types}::text[])`.execute(ctx.services.db);
  if (!row.rows[0]) throw new ValidationError({ [field]: ['Invalid hyperlink - Object does not exist.'] });
  return id;
}

/** 400 `{"name": ["This field must be unique."]}` when another object of the kind has the name. */
export async function checkUniqueName(
  ctx: RequestContext,
  kind: ResourceKind,
  name: unknown,
  exceptId?: string,
): Promise<void> {
  if (typeof name !== 'string') return;
  const row = await sql<{ pulp_id: string }>`SELECT pulp_id FROM ${sql.table(KIND_TABLES[kind])} WHERE name = ${name}
    AND pulp_id IS DISTINCT FROM ${exceptId ?? null}::uuid LIMIT 1`.execute(ctx.services.db);
  if (row.rows[0]) throw new ValidationError({ name: ['This field must be unique.'] });
}

/** PRN of an object, as task reservations name it. */
export function lockName(pulpType: string, kind: ResourceKind, id: string): string {
  return typedPrn(pulpType, kind, id);
}

/**
 * Dispatches one of core's generic tasks. The argument shape is the one the generic tasks read:
 * `{kind, pulp_type, pulp_id?, data?, partial?}`.
 */
export function dispatchGeneric(
  ctx: RequestContext,
  task: typeof GENERAL_CREATE | typeof GENERAL_UPDATE | typeof GENERAL_DELETE,
  kind: ResourceKind,
  pulpType: string,
  args: { pulp_id?: string; data?: Record<string, unknown>; partial?: boolean },
  options: DispatchOptions,
): Promise<Reply> {
  return dispatchReply(ctx, task, { kind, pulp_type: pulpType, ...args }, options);
}

/** Whether serialized values differ (objects compared as JSON). */
export function changedFrom(before: Record<string, unknown>, after: Record<string, unknown>): boolean {
  return JSON.stringify(before) !== JSON.stringify(after);
}

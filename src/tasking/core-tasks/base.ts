import { sql } from 'kysely';

import { NotFoundError, ValidationError } from '../../core/errors.js';
import { createInitialVersion } from '../../plugin-api/repository-versions.js';
import {
  getResourceType,
  KIND_TABLES,
  type ResourceKind,
  type ResourceTypeDefinition,
  typedHref,
} from '../../plugin-api/resource-types.js';
import type { TaskContext } from '../../plugin-api/tasks.js';
import { exporterResourceTypes } from '../import-export/records.js';

/*
 * Pulp's generic create/update/delete tasks. Pulp passes a serializer name; here the arguments name the
 * master kind and the detail type, and the type's hooks (resource-types.ts) do the work, with a plain
 * insert/update/delete of the kind's table as the default.
 */

const KINDS = new Set(Object.keys(KIND_TABLES));

function typeOf(args: Record<string, unknown>): ResourceTypeDefinition {
  const kind = args.kind;
  const pulpType = args.pulp_type;
  if (typeof kind !== 'string' || !KINDS.has(kind))
    throw new ValidationError({ kind: [`Unknown resource kind: ${String(kind)}`] });
  if (typeof pulpType !== 'string') throw new ValidationError({ pulp_type: ['This field is required.'] });
  // Core's own typed models (exporters) are not plugin resource types.
  const core = exporterResourceTypes.find((t) => t.kind === kind && t.pulpType === pulpType);
  return core ?? getResourceType(kind as ResourceKind, pulpType);
}

function idOf(args: Record<string, unknown>): string {
  if (typeof args.pulp_id !== 'string') throw new ValidationError({ pulp_id: ['This field is required.'] });
  return args.pulp_id;
}

function dataOf(args: Record<string, unknown>): Record<string, unknown> {
  const d = args.data ?? {};
  if (typeof d !== 'object' || d === null || Array.isArray(d))
    throw new ValidationError({ data: ['Expected a dictionary of items.'] });
  return d as Record<string, unknown>;
}

/** JSON columns must get JSON text: the pg driver would turn a JS array into a PostgreSQL array. */
function columnValues(data: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(data).map(([k, v]) => [k, v !== null && typeof v === 'object' ? JSON.stringify(v) : v]),
  );
}

async function serialized(ctx: TaskContext, type: ResourceTypeDefinition, id: string): Promise<unknown> {
  if (!type.serialize) return null;
  const [obj] = await type.serialize(ctx.services, [id]);
  return obj ?? null;
}

function notFound(type: ResourceTypeDefinition): NotFoundError {
  return new NotFoundError(`No ${type.modelName ?? type.kind} matches the given query.`);
}

/**
 * `pulpcore.app.tasks.base.general_create`. Args: `kind`, `pulp_type`, `data` (already validated by the
 * API). Records the object in created_resources and returns it serialized.
 */
export async function generalCreate(ctx: TaskContext): Promise<unknown> {
  const type = typeOf(ctx.args);
  const data = dataOf(ctx.args);
  let id: string;
  if (type.create) {
    id = await type.create(ctx, data);
  } else {
    const table = KIND_TABLES[type.kind];
    id = await ctx.services.db.transaction().execute(async (trx) => {
      const row = await trx
        .insertInto(table)
        .values({ ...columnValues(data), pulp_type: type.pulpType } as never)
        .returning('pulp_id')
        .executeTakeFirstOrThrow();
      if (type.kind === 'repository') await createInitialVersion(trx, row.pulp_id);
      return row.pulp_id;
    });
  }
  await ctx.addCreatedResource(typedHref(type.pulpType, type.kind, id, ctx.services.apiPrefix));
  return serialized(ctx, type, id);
}

/** `pulpcore.app.tasks.base.ageneral_update`. Args: `kind`, `pulp_type`, `pulp_id`, `data`. Returns the object. */
export async function generalUpdate(ctx: TaskContext): Promise<unknown> {
  const type = typeOf(ctx.args);
  const id = idOf(ctx.args);
  const data = dataOf(ctx.args);
  if (type.update) {
    await type.update(ctx, id, data);
  } else {
    const table = KIND_TABLES[type.kind];
    await ctx.services.db.transaction().execute(async (trx) => {
      const r = await trx
        .updateTable(table)
        .set({ ...columnValues(data), pulp_last_updated: sql`clock_timestamp()` } as never)
        .where('pulp_id', '=', id)
        .where('pulp_type', '=', type.pulpType)
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) === 0) throw notFound(type);
    });
  }
  return serialized(ctx, type, id);
}

/** `pulpcore.app.tasks.base.ageneral_delete`. Args: `kind`, `pulp_type`, `pulp_id`. */
export async function generalDelete(ctx: TaskContext): Promise<null> {
  const type = typeOf(ctx.args);
  const id = idOf(ctx.args);
  if (type.delete) {
    await type.delete(ctx, id);
    return null;
  }
  const table = KIND_TABLES[type.kind];
  await ctx.services.db.transaction().execute(async (trx) => {
    const r = await trx
      .deleteFrom(table)
      .where('pulp_id', '=', id)
      .where('pulp_type', '=', type.pulpType)
      .executeTakeFirst();
    if (Number(r.numDeletedRows) === 0) throw notFound(type);
  });
  return null;
}

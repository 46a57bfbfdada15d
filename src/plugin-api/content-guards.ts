import { type TProperties, Type } from '@sinclair/typebox';
import { sql } from 'kysely';

import { NotFoundError, ValidationError } from '../core/errors.js';
import { isUuid } from '../core/ids.js';
import { dateTimeFilters, type FilterSet, identityFilters, nameFilters } from './filters.js';
import { listResponse } from './list.js';
import type { Operation, OperationModule, RequestContext } from './operations.js';
import { roleOperations } from './rbac-roles-actions.js';
import { baseFields, BaseFieldsSchema } from './resource-fields.js';

export interface GuardRow {
  pulp_id: string;
  pulp_created: string;
  pulp_last_updated: string;
  pulp_type: string;
  name: string;
  description: string | null;
  detail: Record<string, unknown>;
}

/** One content-guard type's endpoint (`contentguards/<app>/<type>/`). */
export interface ContentGuardType {
  /** `contentguards/core/header` */
  endpoint: string;
  /** `core.header` */
  pulpType: string;
  /** PRN model and permission model: `core.headercontentguard`. */
  model: string;
  className: string;
  /** `{header_content_guard_href}` */
  placeholder: string;
  /** `contentguards_core_header` */
  operationId: string;
  tag: string;
  /** Request component name: `core.HeaderContentGuard`. */
  component: string;
  /** Writable fields besides name and description, with their schemas; `required` lists the mandatory ones. */
  fields: TProperties;
  required?: string[];
  /** Read-only response fields besides the writable ones. */
  responseFields?: TProperties;
  /** Turns the validated body (merged over the current detail for updates) into the stored detail. */
  detail(
    ctx: RequestContext,
    merged: Record<string, unknown>,
    current: GuardRow | null,
  ): Promise<Record<string, unknown>>;
  /** Response fields from the stored detail (a page at a time). */
  render(ctx: RequestContext, rows: GuardRow[]): Promise<Record<string, unknown>[]>;
  /** Whether the endpoint has Pulp's roles actions. */
  roles?: boolean;
}

const filterSet: FilterSet = {
  filters: [
    ...nameFilters('name', 'g.name'),
    ...identityFilters('g.pulp_id'),
    ...dateTimeFilters('pulp_created', 'g.pulp_created'),
  ],
  ordering: ['name', 'description', 'pulp_last_updated'],
};

/** Typed href of a guard row, whatever endpoint lists it. */
export function guardHref(apiPrefix: string, pulpType: string, id: string): string {
  const [app, type] = pulpType.split('.') as [string, string];
  return `${apiPrefix}contentguards/${app}/${type}/${id}/`;
}

/**
 * The synchronous CRUD of one content-guard type (POST 201, PUT/PATCH 200, DELETE 204, spec 7.11), plus the
 * roles actions when `roles` is set. Every write bumps the content serial, so content apps re-read guards.
 */
export function contentGuardOperations(t: ContentGuardType): OperationModule {
  const props = {
    name: Type.String({ minLength: 1 }),
    description: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    ...t.fields,
  };
  const requestSchema = Type.Object(props, { required: ['name', ...(t.required ?? [])], additionalProperties: false });
  const responseSchema = Type.Object({ ...BaseFieldsSchema, ...props, ...(t.responseFields ?? {}) });
  const url = `${t.endpoint}/`;
  const objectUrl = `${t.endpoint}/:pulp_id/`;
  const notFound = () => new NotFoundError(`No ${t.className} matches the given query.`);

  const render = async (ctx: RequestContext, rows: GuardRow[]) => {
    const extra = await t.render(ctx, rows);
    return rows.map((r, i) => ({
      ...baseFields(r, guardHref(ctx.services.apiPrefix, t.pulpType, r.pulp_id), t.model),
      name: r.name,
      description: r.description,
      ...extra[i],
    }));
  };
  const load = async (ctx: RequestContext): Promise<GuardRow> => {
    const id = ctx.params.pulp_id;
    if (!id || !isUuid(id)) throw notFound();
    const row = await ctx.services.db
      .selectFrom('content_guard')
      .selectAll()
      .where('pulp_id', '=', id)
      .where('pulp_type', '=', t.pulpType)
      .executeTakeFirst();
    if (!row) throw notFound();
    return row;
  };
  const uniqueName = async (ctx: RequestContext, name: string, except?: string) => {
    let q = ctx.services.db.selectFrom('content_guard').select('pulp_id').where('name', '=', name);
    if (except) q = q.where('pulp_id', '!=', except);
    if (await q.executeTakeFirst()) throw new ValidationError({ name: ['This field must be unique.'] });
  };
  const write = async (ctx: RequestContext) => {
    const current = await load(ctx);
    const body = ctx.body;
    if (typeof body.name === 'string') await uniqueName(ctx, body.name, current.pulp_id);
    const detail = await t.detail(ctx, { ...current.detail, ...body }, current);
    await ctx.services.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('content_guard')
        .set({
          detail: JSON.stringify(detail),
          pulp_last_updated: sql`clock_timestamp()`,
          ...('name' in body ? { name: body.name as string } : {}),
          ...('description' in body ? { description: (body.description ?? null) as string | null } : {}),
        })
        .where('pulp_id', '=', current.pulp_id)
        .execute();
    });
    return { status: 200, body: (await render(ctx, [await load(ctx)]))[0] };
  };

  const operations: Operation[] = [
    {
      method: 'GET',
      url,
      pathKey: url,
      operationId: `${t.operationId}_list`,
      tag: t.tag,
      summary: `List ${t.className.toLowerCase()}s`,
      filters: filterSet,
      responses: { 200: { schema: `Paginated${t.component}ResponseList` } },
      handle: (ctx) =>
        listResponse(
          ctx,
          ctx.services.db.selectFrom('content_guard as g').selectAll().where('g.pulp_type', '=', t.pulpType),
          {
            filterSet,
            tableAlias: 'g',
            serialize: (rows: GuardRow[]) => render(ctx, rows),
          },
        ),
    },
    {
      method: 'POST',
      url,
      pathKey: url,
      operationId: `${t.operationId}_create`,
      tag: t.tag,
      summary: `Create a ${t.className.toLowerCase()}`,
      body: { name: t.component, schema: requestSchema },
      responses: { 201: { schema: `${t.component}Response` } },
      async handle(ctx) {
        const name = ctx.body.name as string;
        await uniqueName(ctx, name);
        const detail = await t.detail(ctx, ctx.body, null);
        const row = await ctx.services.db.transaction().execute(async (trx) => {
          const r = await trx
            .insertInto('content_guard')
            .values({
              pulp_type: t.pulpType,
              name,
              description: (ctx.body.description ?? null) as string | null,
              detail: JSON.stringify(detail),
            })
            .returningAll()
            .executeTakeFirstOrThrow();
          return r;
        });
        return { status: 201, body: (await render(ctx, [row]))[0] };
      },
    },
    {
      method: 'GET',
      url: objectUrl,
      pathKey: t.placeholder,
      operationId: `${t.operationId}_read`,
      tag: t.tag,
      summary: `Inspect a ${t.className.toLowerCase()}`,
      responses: { 200: { schema: `${t.component}Response` } },
      handle: async (ctx) => ({ status: 200, body: (await render(ctx, [await load(ctx)]))[0] }),
    },
    {
      method: 'PUT',
      url: objectUrl,
      pathKey: t.placeholder,
      operationId: `${t.operationId}_update`,
      tag: t.tag,
      summary: `Update a ${t.className.toLowerCase()}`,
      body: { name: t.component, schema: requestSchema },
      responses: { 200: { schema: `${t.component}Response` } },
      handle: write,
    },
    {
      method: 'PATCH',
      url: objectUrl,
      pathKey: t.placeholder,
      operationId: `${t.operationId}_partial_update`,
      tag: t.tag,
      summary: `Update a ${t.className.toLowerCase()}`,
      body: { name: `Patched${t.component}`, schema: requestSchema },
      responses: { 200: { schema: `${t.component}Response` } },
      handle: write,
    },
    {
      method: 'DELETE',
      url: objectUrl,
      pathKey: t.placeholder,
      operationId: `${t.operationId}_delete`,
      tag: t.tag,
      summary: `Delete a ${t.className.toLowerCase()}`,
      responses: { 204: { description: 'No response body' } },
      async handle(ctx) {
        const row = await load(ctx);
        await ctx.services.db.transaction().execute(async (trx) => {
          await trx.deleteFrom('content_guard').where('pulp_id', '=', row.pulp_id).execute();
          // Composite guards keep member ids in their detail; drop the deleted one from them.
          await sql`UPDATE content_guard SET detail = jsonb_set(detail, '{guards}', (detail->'guards') - ${row.pulp_id}::text)
                     WHERE pulp_type = 'core.composite' AND detail->'guards' ? ${row.pulp_id}::text`.execute(trx);
          await trx
            .deleteFrom('core_userrole')
            .where('content_type', '=', t.model)
            .where('object_id', '=', row.pulp_id)
            .execute();
          await trx
            .deleteFrom('core_grouprole')
            .where('content_type', '=', t.model)
            .where('object_id', '=', row.pulp_id)
            .execute();
        });
        return { status: 204 };
      },
    },
  ];
  if (t.roles)
    operations.push(
      ...roleOperations({
        url: objectUrl,
        pathKey: t.placeholder,
        operationId: t.operationId,
        tag: t.tag,
        model: t.model,
      }),
    );
  return {
    operations,
    components: [
      { name: t.component, schema: requestSchema },
      { name: `${t.component}Response`, schema: responseSchema },
    ],
  };
}

import { Type } from '@sinclair/typebox';
import { sql } from 'kysely';

import { NotFoundError, PermissionError, ValidationError } from '../../core/errors.js';
import { isUuid } from '../../core/ids.js';
import {
  dateTimeFilters,
  exactFilter,
  type Filter,
  type FilterSet,
  identityFilters,
  nameFilters,
} from '../../plugin-api/filters.js';
import { listResponse } from '../../plugin-api/list.js';
import type { OperationModule, RequestContext, Services } from '../../plugin-api/operations.js';
import { baseFields, BaseFieldsSchema } from '../../plugin-api/resource-fields.js';
import { modelOfPermission, modelPermissions, rbacModels } from '../../plugin-api/rbac-catalogue.js';

const TAG = 'Roles';
const RoleBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 128 }),
    description: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    permissions: Type.Array(Type.String()),
  },
  { additionalProperties: false },
);
const RoleResponse = Type.Object({
  ...BaseFieldsSchema,
  name: Type.String(),
  description: Type.Union([Type.String(), Type.Null()]),
  permissions: Type.Array(Type.String()),
  locked: Type.Boolean({ readOnly: true }),
});

interface RoleRow {
  pulp_id: string;
  pulp_created: string;
  pulp_last_updated: string;
  name: string;
  description: string | null;
  locked: boolean;
  permissions: string[];
}

const pick = (filters: Filter[], names: string[]) => filters.filter((f) => names.includes(f.name));

const filterSet: FilterSet = {
  filters: [
    ...nameFilters('name', 'r.name'),
    ...pick(nameFilters('description', 'r.description'), [
      'description',
      'description__iexact',
      'description__contains',
      'description__icontains',
    ]),
    exactFilter('locked', 'r.locked', 'boolean'),
    {
      name: 'contains_permission',
      type: 'string-list',
      apply: (values) => {
        const perms = values.filter(Boolean);
        const full = perms.filter((p) => p.includes('.'));
        const bare = perms.filter((p) => !p.includes('.'));
        return sql<boolean>`(r.permissions && ${full}::text[] OR EXISTS (SELECT 1 FROM unnest(r.permissions) p WHERE split_part(p, '.', 2) = ANY(${bare}::text[])))`;
      },
    },
    {
      name: 'for_object_type',
      type: 'string',
      apply: (values) => {
        const value = values[values.length - 1] ?? '';
        const model = rbacModels().find((m) => value.replace(/^.*?api\/v3\//, '').replace(/\/$/, '') === m.viewset);
        if (!model) throw new ValidationError({ for_object_type: [`Invalid value: ${value}.`] });
        const perms = modelPermissions(model);
        return sql<boolean>`(r.permissions && ${perms}::text[] AND r.permissions <@ ${perms}::text[])`;
      },
    },
    ...identityFilters('r.pulp_id'),
    ...dateTimeFilters('pulp_created', 'r.pulp_created'),
  ],
  ordering: ['name', 'description', 'locked', 'pulp_last_updated'],
};

const hrefOf = (prefix: string, id: string) => `${prefix}roles/${id}/`;
const render = (prefix: string, r: RoleRow) => ({
  ...baseFields(r, hrefOf(prefix, r.pulp_id), 'core.role'),
  name: r.name,
  description: r.description,
  permissions: [...r.permissions].sort(),
  locked: r.locked,
});

function validPermissions(permissions: string[]): string[] {
  const errors: string[] = [];
  for (const p of permissions) {
    if (!/^[^.]+\..+$/.test(p)) errors.push(`Permission '${p}' is not in the format '<app_label>.<codename>'.`);
    else if (!modelOfPermission(p)) errors.push(`Permission '${p}' does not exist.`);
  }
  if (errors.length) throw new ValidationError({ permissions: errors });
  return [...new Set(permissions)];
}

async function loadRole(services: Services, id: string | undefined): Promise<RoleRow> {
  if (!id || !isUuid(id)) throw new NotFoundError('No Role matches the given query.');
  const row = await services.db.selectFrom('core_role').selectAll().where('pulp_id', '=', id).executeTakeFirst();
  if (!row) throw new NotFoundError('No Role matches the given query.');
  return row;
}

async function uniqueName(services: Services, name: string, except?: string) {
  let q = services.db.selectFrom('core_role').select('pulp_id').where('name', '=', name);
  if (except) q = q.where('pulp_id', '!=', except);
  if (await q.executeTakeFirst()) throw new ValidationError({ name: ['role with this name already exists.'] });
}

async function update(ctx: RequestContext) {
  const role = await loadRole(ctx.services, ctx.params.pulp_id);
  // Built-in roles are owned by the server: upgrades rewrite them, so nobody may edit them.
  if (role.locked) throw new PermissionError('The role is locked.');
  const values: Record<string, unknown> = {};
  if (typeof ctx.body.name === 'string') {
    await uniqueName(ctx.services, ctx.body.name, role.pulp_id);
    values.name = ctx.body.name;
  }
  if ('description' in ctx.body) values.description = ctx.body.description ?? null;
  if (Array.isArray(ctx.body.permissions)) values.permissions = validPermissions(ctx.body.permissions as string[]);
  if (Object.keys(values).length) {
    await ctx.services.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('core_role')
        .set({ ...values, pulp_last_updated: sql`clock_timestamp()` })
        .where('pulp_id', '=', role.pulp_id)
        .execute();
    });
  }
  return { status: 200, body: render(ctx.services.apiPrefix, await loadRole(ctx.services, role.pulp_id)) };
}

/** `/roles/`: named permission sets; locked (built-in) roles are read-only. Admins only by default. */
export function roleRoutes(): OperationModule {
  const object = '{role_href}';
  return {
    components: [
      { name: 'Role', schema: RoleBody },
      { name: 'RoleResponse', schema: RoleResponse },
    ],
    operations: [
      {
        method: 'GET',
        url: 'roles/',
        pathKey: 'roles/',
        operationId: 'roles_list',
        tag: TAG,
        summary: 'List roles',
        filters: filterSet,
        responses: { 200: { schema: 'PaginatedRoleResponseList' } },
        handle: (ctx) =>
          listResponse(ctx, ctx.services.db.selectFrom('core_role as r').selectAll(), {
            filterSet,
            tableAlias: 'r',
            serialize: (rows: RoleRow[]) => rows.map((r) => render(ctx.services.apiPrefix, r)),
          }),
      },
      {
        method: 'POST',
        url: 'roles/',
        pathKey: 'roles/',
        operationId: 'roles_create',
        tag: TAG,
        summary: 'Create a role',
        body: { name: 'Role', schema: RoleBody },
        responses: { 201: { schema: 'RoleResponse' } },
        async handle(ctx) {
          const name = ctx.body.name as string;
          await uniqueName(ctx.services, name);
          const permissions = validPermissions(ctx.body.permissions as string[]);
          const row = await ctx.services.db
            .insertInto('core_role')
            .values({ name, description: (ctx.body.description ?? null) as string | null, permissions, locked: false })
            .returningAll()
            .executeTakeFirstOrThrow();
          return { status: 201, body: render(ctx.services.apiPrefix, row) };
        },
      },
      {
        method: 'GET',
        url: 'roles/:pulp_id/',
        pathKey: object,
        operationId: 'roles_read',
        tag: TAG,
        summary: 'Inspect a role',
        responses: { 200: { schema: 'RoleResponse' } },
        handle: async (ctx) => ({
          status: 200,
          body: render(ctx.services.apiPrefix, await loadRole(ctx.services, ctx.params.pulp_id)),
        }),
      },
      {
        method: 'PUT',
        url: 'roles/:pulp_id/',
        pathKey: object,
        operationId: 'roles_update',
        tag: TAG,
        summary: 'Update a role',
        body: { name: 'Role', schema: RoleBody },
        responses: { 200: { schema: 'RoleResponse' } },
        handle: update,
      },
      {
        method: 'PATCH',
        url: 'roles/:pulp_id/',
        pathKey: object,
        operationId: 'roles_partial_update',
        tag: TAG,
        summary: 'Update a role',
        body: { name: 'PatchedRole', schema: RoleBody },
        responses: { 200: { schema: 'RoleResponse' } },
        handle: update,
      },
      {
        method: 'DELETE',
        url: 'roles/:pulp_id/',
        pathKey: object,
        operationId: 'roles_delete',
        tag: TAG,
        summary: 'Delete a role',
        responses: { 204: { description: 'No response body' } },
        async handle(ctx) {
          const role = await loadRole(ctx.services, ctx.params.pulp_id);
          if (role.locked) throw new PermissionError('The role is locked.');
          await ctx.services.db.transaction().execute(async (trx) => {
            await trx.deleteFrom('core_role').where('pulp_id', '=', role.pulp_id).execute();
          });
          return { status: 204 };
        },
      },
    ],
  };
}

import { Type } from '@sinclair/typebox';
import { sql } from 'kysely';

import { NotFoundError, ValidationError } from '../../core/errors.js';
import { isUuid } from '../../core/ids.js';
import { type Filter, type FilterSet, identityFilters, nameFilters } from '../../plugin-api/filters.js';
import { listResponse } from '../../plugin-api/list.js';
import type { Operation, OperationModule, RequestContext } from '../../plugin-api/operations.js';
import { baseFields, BaseFieldsSchema } from '../../plugin-api/resource-fields.js';
import {
  modelByLabel,
  modelPermissions,
  objectHref,
  type ObjectRef,
  parseObjectRef,
} from '../../plugin-api/rbac-catalogue.js';
import { objectExists } from '../../plugin-api/rbac-roles-actions.js';

const AssignmentBody = Type.Object(
  {
    role: Type.String({ minLength: 1 }),
    content_object: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    content_object_prn: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    domain: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  },
  { additionalProperties: false },
);
const AssignmentResponse = Type.Object({
  ...BaseFieldsSchema,
  role: Type.String(),
  content_object: Type.Union([Type.String(), Type.Null()]),
  content_object_prn: Type.Union([Type.String(), Type.Null()]),
  description: Type.Union([Type.String(), Type.Null()], { readOnly: true }),
  permissions: Type.Array(Type.String(), { readOnly: true }),
  domain: Type.Union([Type.String(), Type.Null()]),
});

interface AssignmentRow {
  pulp_id: string;
  pulp_created: string;
  pulp_last_updated: string;
  role: string;
  description: string | null;
  permissions: string[];
  content_type: string | null;
  object_id: string | null;
}

interface Kind {
  /** `users` or `groups` */
  parent: 'users' | 'groups';
  table: 'core_userrole' | 'core_grouprole';
  column: 'user_id' | 'group_id';
  parentTable: 'auth_user' | 'auth_group';
  word: 'user' | 'group';
  prnModel: string;
  parentClass: string;
}

const KINDS: Kind[] = [
  {
    parent: 'users',
    table: 'core_userrole',
    column: 'user_id',
    parentTable: 'auth_user',
    word: 'user',
    prnModel: 'core.userrole',
    parentClass: 'User',
  },
  {
    parent: 'groups',
    table: 'core_grouprole',
    column: 'group_id',
    parentTable: 'auth_group',
    word: 'group',
    prnModel: 'core.grouprole',
    parentClass: 'Group',
  },
];

const pick = (filters: Filter[], names: string[]) => filters.filter((f) => names.includes(f.name));

function filterSet(prefix: string): FilterSet {
  return {
    filters: [
      ...pick(nameFilters('role', 'a.role'), [
        'role',
        'role__in',
        'role__contains',
        'role__icontains',
        'role__startswith',
      ]),
      {
        name: 'content_object',
        type: 'string',
        apply: (v) => {
          const value = v[v.length - 1] ?? '';
          if (value === 'null' || value === '') return sql<boolean>`a.object_id IS NULL`;
          const ref = parseObjectRef(prefix, value);
          if (!ref) throw new ValidationError({ content_object: [`Invalid value: ${value}.`] });
          return sql<boolean>`(a.content_type = ${ref.model.label} AND a.object_id = ${ref.id})`;
        },
      },
      {
        name: 'domain',
        type: 'string',
        apply: (v) => (v[v.length - 1] === 'null' ? sql<boolean>`true` : sql<boolean>`false`),
      },
      ...identityFilters('a.pulp_id'),
    ],
    ordering: ['role', 'pulp_last_updated'],
  };
}

function render(prefix: string, kind: Kind, parentId: number, r: AssignmentRow) {
  const model = r.content_type ? modelByLabel(r.content_type) : undefined;
  return {
    ...baseFields(r, `${prefix}${kind.parent}/${parentId}/roles/${r.pulp_id}/`, kind.prnModel),
    role: r.role,
    content_object: model && r.object_id ? objectHref(prefix, model, r.object_id) : null,
    content_object_prn: model && r.object_id ? `prn:${model.label}:${r.object_id}` : null,
    description: r.description,
    permissions: [...r.permissions].sort(),
    domain: null,
  };
}

function assignments(ctx: RequestContext, kind: Kind, parentId: number) {
  return ctx.services.db
    .selectFrom(
      sql<AssignmentRow>`(SELECT x.pulp_id, x.pulp_created, x.pulp_last_updated, x.content_type, x.object_id, x.${sql.ref(kind.column)} AS parent_id,
                               r.name AS role, r.description, r.permissions
                          FROM ${sql.table(kind.table)} x JOIN core_role r ON r.pulp_id = x.role_id)`.as('a'),
    )
    .selectAll()
    .where(sql<boolean>`a.parent_id = ${parentId}`);
}

async function parentId(ctx: RequestContext, kind: Kind): Promise<number> {
  const id = Number(ctx.params.id);
  const exists =
    Number.isInteger(id) &&
    id > 0 &&
    id < 2_147_483_648 &&
    (await ctx.services.db.selectFrom(kind.parentTable).select('id').where('id', '=', id).executeTakeFirst());
  if (!exists) throw new NotFoundError(`No ${kind.parentClass} matches the given query.`);
  return id;
}

async function contentObject(ctx: RequestContext): Promise<ObjectRef | null> {
  const b = ctx.body;
  if (!('content_object' in b) && !('content_object_prn' in b)) {
    throw new ValidationError({
      non_field_errors: [
        "Either 'content_object' or 'content_object_prn' needs to be specified. Use 'null' for global or domain level access.",
      ],
    });
  }
  const value = (b.content_object ?? b.content_object_prn ?? null) as string | null;
  if (value !== null && b.domain)
    throw new ValidationError({ non_field_errors: ['Domain and content_object are mutually exclusive.'] });
  if (value === null) return null;
  const ref = parseObjectRef(ctx.services.apiPrefix, value);
  if (!ref || !(await objectExists(ctx.services.db, ref))) {
    throw new ValidationError({
      [b.content_object ? 'content_object' : 'content_object_prn']: [`Invalid value: ${value}.`],
    });
  }
  return ref;
}

function operationsFor(kind: Kind): Operation[] {
  const tag = kind.parent === 'users' ? 'Users: Roles' : 'Groups: Roles';
  const parentKey = kind.parent === 'users' ? '{auth_user_href}' : '{group_href}';
  const objectKey = kind.parent === 'users' ? '{auth_users_user_role_href}' : '{groups_group_role_href}';
  const op = `${kind.parent}_roles`;
  const one = async (ctx: RequestContext) => {
    const pid = await parentId(ctx, kind);
    const id = ctx.params.role_id;
    const row =
      id && isUuid(id) ? await assignments(ctx, kind, pid).where('a.pulp_id', '=', id).executeTakeFirst() : undefined;
    if (!row) throw new NotFoundError(`No ${kind.word === 'user' ? 'UserRole' : 'GroupRole'} matches the given query.`);
    return { pid, row: row };
  };
  return [
    {
      method: 'GET',
      url: `${kind.parent}/:id/roles/`,
      pathKey: `${parentKey}roles/`,
      operationId: `${op}_list`,
      tag,
      summary: `List ${kind.word} roles`,
      filters: filterSet('/'),
      responses: { 200: { schema: `Paginated${kind.word === 'user' ? 'User' : 'Group'}RoleResponseList` } },
      async handle(ctx) {
        const pid = await parentId(ctx, kind);
        return listResponse(ctx, assignments(ctx, kind, pid), {
          filterSet: filterSet(ctx.services.apiPrefix),
          tableAlias: 'a',
          serialize: (rows: AssignmentRow[]) => rows.map((r) => render(ctx.services.apiPrefix, kind, pid, r)),
        });
      },
    },
    {
      method: 'POST',
      url: `${kind.parent}/:id/roles/`,
      pathKey: `${parentKey}roles/`,
      operationId: `${op}_create`,
      tag,
      summary: `Create a ${kind.word} role`,
      body: { name: kind.word === 'user' ? 'UserRole' : 'GroupRole', schema: AssignmentBody },
      responses: { 201: { schema: kind.word === 'user' ? 'UserRoleResponse' : 'GroupRoleResponse' } },
      async handle(ctx) {
        const pid = await parentId(ctx, kind);
        const roleName = ctx.body.role as string;
        const role = await ctx.services.db
          .selectFrom('core_role')
          .selectAll()
          .where('name', '=', roleName)
          .executeTakeFirst();
        if (!role) throw new ValidationError({ role: [`Object with name=${roleName} does not exist.`] });
        const ref = await contentObject(ctx);
        if (ref && !role.permissions.some((p) => modelPermissions(ref.model).includes(p))) {
          throw new ValidationError({
            non_field_errors: [`The role '${role.name}' does not carry any permission for that object.`],
          });
        }
        const inserted = await ctx.services.db.transaction().execute(async (trx) => {
          const r = await sql<{
            pulp_id: string;
          }>`INSERT INTO ${sql.table(kind.table)} (${sql.ref(kind.column)}, role_id, content_type, object_id)
                VALUES (${pid}, ${role.pulp_id}, ${ref?.model.label ?? null}, ${ref?.id ?? null}) ON CONFLICT DO NOTHING RETURNING pulp_id`.execute(
            trx,
          );
          return r.rows[0]?.pulp_id;
        });
        if (!inserted)
          throw new ValidationError({ non_field_errors: [`The role is already assigned to this ${kind.word}.`] });
        const row = await assignments(ctx, kind, pid).where('a.pulp_id', '=', inserted).executeTakeFirstOrThrow();
        return { status: 201, body: render(ctx.services.apiPrefix, kind, pid, row) };
      },
    },
    {
      method: 'GET',
      url: `${kind.parent}/:id/roles/:role_id/`,
      pathKey: objectKey,
      operationId: `${op}_read`,
      tag,
      summary: `Inspect a ${kind.word} role`,
      responses: { 200: { schema: kind.word === 'user' ? 'UserRoleResponse' : 'GroupRoleResponse' } },
      async handle(ctx) {
        const { pid, row } = await one(ctx);
        return { status: 200, body: render(ctx.services.apiPrefix, kind, pid, row) };
      },
    },
    {
      method: 'DELETE',
      url: `${kind.parent}/:id/roles/:role_id/`,
      pathKey: objectKey,
      operationId: `${op}_delete`,
      tag,
      summary: `Delete a ${kind.word} role`,
      responses: { 204: { description: 'No response body' } },
      async handle(ctx) {
        const { row } = await one(ctx);
        await sql`DELETE FROM ${sql.table(kind.table)} WHERE pulp_id = ${row.pulp_id}`.execute(ctx.services.db);
        return { status: 204 };
      },
    },
  ];
}

/** `/users/<id>/roles/` and `/groups/<id>/roles/`: role assignments, global or on one object. */
export function roleAssignmentRoutes(): OperationModule {
  return {
    components: [
      { name: 'UserRole', schema: AssignmentBody },
      { name: 'UserRoleResponse', schema: AssignmentResponse },
      { name: 'GroupRole', schema: AssignmentBody },
      { name: 'GroupRoleResponse', schema: AssignmentResponse },
    ],
    operations: KINDS.flatMap(operationsFor),
  };
}

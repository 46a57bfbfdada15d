import { Type } from '@sinclair/typebox';
import { sql } from 'kysely';

import { NotFoundError, ValidationError } from '../core/errors.js';
import type { Database } from '../db/database.js';
import type { Operation, OperationModule, RequestContext } from './operations.js';
import { modelPermissions, type ObjectRef, parseObjectRef, rbacModels } from './rbac-catalogue.js';
import { loadUserPermissions } from './rbac-permissions.js';

/** Whether the object a reference names exists (in its table, with its pulp_type). */
export async function objectExists(db: Database, ref: ObjectRef): Promise<boolean> {
  const { table, pulpType, intId } = ref.model;
  if (!table) return false;
  const idColumn = intId ? 'id' : 'pulp_id';
  const typeCheck = pulpType ? sql` AND pulp_type = ${pulpType}` : sql``;
  const idValue = intId ? Number(ref.id) : ref.id;
  const row = await sql<{
    one: number;
  }>`SELECT 1 AS one FROM ${sql.table(table)} WHERE ${sql.ref(idColumn)} = ${idValue}${typeCheck}`.execute(db);
  return row.rows.length > 0;
}

/** The object of a roles action, from the request path; 404 when it does not exist. */
async function targetOf(ctx: RequestContext, label: string): Promise<ObjectRef> {
  const ref = parseObjectRef(ctx.services.apiPrefix, ctx.url.pathname, { nested: true });
  if (!ref || ref.model.label !== label || !(await objectExists(ctx.services.db, ref))) {
    throw new NotFoundError(`No ${ref?.model.className ?? 'object'} matches the given query.`);
  }
  return ref;
}

interface Assignment {
  role: string;
  users: string[];
  groups: string[];
}

async function assignmentsOn(db: Database, ref: ObjectRef): Promise<Assignment[]> {
  const rows = await sql<{ role: string; kind: 'u' | 'g'; name: string }>`
    SELECT r.name AS role, 'u' AS kind, u.username AS name FROM core_userrole x
      JOIN core_role r ON r.pulp_id = x.role_id JOIN auth_user u ON u.id = x.user_id
     WHERE x.content_type = ${ref.model.label} AND x.object_id = ${ref.id}
    UNION ALL
    SELECT r.name, 'g', g.name FROM core_grouprole x
      JOIN core_role r ON r.pulp_id = x.role_id JOIN auth_group g ON g.id = x.group_id
     WHERE x.content_type = ${ref.model.label} AND x.object_id = ${ref.id}
    ORDER BY 1, 3`.execute(db);
  const byRole = new Map<string, Assignment>();
  for (const row of rows.rows) {
    let a = byRole.get(row.role);
    if (!a) byRole.set(row.role, (a = { role: row.role, users: [], groups: [] }));
    (row.kind === 'u' ? a.users : a.groups).push(row.name);
  }
  return [...byRole.values()];
}

const RoleBody = Type.Object(
  {
    role: Type.String({ minLength: 1 }),
    users: Type.Optional(Type.Array(Type.String(), { default: [] })),
    groups: Type.Optional(Type.Array(Type.String(), { default: [] })),
  },
  { additionalProperties: false },
);

const RolesResponse = Type.Object({
  roles: Type.Array(
    Type.Object({ role: Type.String(), users: Type.Array(Type.String()), groups: Type.Array(Type.String()) }),
  ),
});

async function changeRole(ctx: RequestContext, label: string, assign: boolean) {
  const { db } = ctx.services;
  const ref = await targetOf(ctx, label);
  const roleName = ctx.body.role as string;
  const users = [...new Set((ctx.body.users as string[] | undefined) ?? [])];
  const groups = [...new Set((ctx.body.groups as string[] | undefined) ?? [])];
  const role = await db
    .selectFrom('core_role')
    .select(['pulp_id', 'permissions'])
    .where('name', '=', roleName)
    .executeTakeFirst();
  if (!role) throw new ValidationError({ role: [`Object with name=${roleName} does not exist.`] });
  const userRows = users.length
    ? await db.selectFrom('auth_user').select(['id', 'username']).where('username', 'in', users).execute()
    : [];
  const missingUser = users.find((u) => !userRows.some((r) => r.username === u));
  if (missingUser !== undefined)
    throw new ValidationError({ users: [`Object with username=${missingUser} does not exist.`] });
  const groupRows = groups.length
    ? await db.selectFrom('auth_group').select(['id', 'name']).where('name', 'in', groups).execute()
    : [];
  const missingGroup = groups.find((g) => !groupRows.some((r) => r.name === g));
  if (missingGroup !== undefined)
    throw new ValidationError({ groups: [`Object with name=${missingGroup} does not exist.`] });
  const applicable = new Set(modelPermissions(ref.model));
  if (!role.permissions.some((p) => applicable.has(p))) {
    throw new ValidationError({ non_field_errors: ['The role does not contain any permission for that object.'] });
  }
  await db.transaction().execute(async (trx) => {
    for (const u of userRows) {
      const existing = await trx
        .selectFrom('core_userrole')
        .select('pulp_id')
        .where('user_id', '=', u.id)
        .where('role_id', '=', role.pulp_id)
        .where('content_type', '=', ref.model.label)
        .where('object_id', '=', ref.id)
        .executeTakeFirst();
      if (assign && existing)
        throw new ValidationError({ non_field_errors: [`The role is already assigned to user '${u.username}'.`] });
      if (!assign && !existing)
        throw new ValidationError({ non_field_errors: [`The role is not assigned to user '${u.username}'.`] });
      if (assign)
        await trx
          .insertInto('core_userrole')
          .values({ user_id: u.id, role_id: role.pulp_id, content_type: ref.model.label, object_id: ref.id })
          .execute();
      else if (existing) await trx.deleteFrom('core_userrole').where('pulp_id', '=', existing.pulp_id).execute();
    }
    for (const g of groupRows) {
      const existing = await trx
        .selectFrom('core_grouprole')
        .select('pulp_id')
        .where('group_id', '=', g.id)
        .where('role_id', '=', role.pulp_id)
        .where('content_type', '=', ref.model.label)
        .where('object_id', '=', ref.id)
        .executeTakeFirst();
      if (assign && existing)
        throw new ValidationError({ non_field_errors: [`The role is already assigned to group '${g.name}'.`] });
      if (!assign && !existing)
        throw new ValidationError({ non_field_errors: [`The role is not assigned to group '${g.name}'.`] });
      if (assign)
        await trx
          .insertInto('core_grouprole')
          .values({ group_id: g.id, role_id: role.pulp_id, content_type: ref.model.label, object_id: ref.id })
          .execute();
      else if (existing) await trx.deleteFrom('core_grouprole').where('pulp_id', '=', existing.pulp_id).execute();
    }
  });
  return { status: 201, body: { role: roleName, users, groups } };
}

export interface RoleOperationsOptions {
  /** Fastify route of the object, below the API prefix: `repositories/file/file/:pulp_id/`. */
  url: string;
  /** OpenAPI placeholder of the object href: `{file_file_repository_href}`. */
  pathKey: string;
  /** operationId prefix: `repositories_file_file`. */
  operationId: string;
  tag: string;
  /** Model label of the objects (`file.filerepository`), see rbac-catalogue. */
  model: string;
}

/**
 * Pulp's RolesMixin for one object endpoint: `list_roles`, `add_role`, `remove_role` and `my_permissions`.
 * Mount the returned operations next to the object's CRUD; authorization comes from the viewset's access
 * policy like any other action. Example: `...roleOperations({ url: 'repositories/file/file/:pulp_id/',
 * pathKey: '{file_file_repository_href}', operationId: 'repositories_file_file', tag: 'Repositories: File',
 * model: 'file.filerepository' })`.
 */
export function roleOperations(options: RoleOperationsOptions): Operation[] {
  const { url, pathKey, operationId, tag, model } = options;
  const body = { name: 'NestedRole', schema: RoleBody, allowUnknown: true } as const;
  return [
    {
      method: 'GET',
      url: `${url}list_roles/`,
      pathKey: `${pathKey}list_roles/`,
      operationId: `${operationId}_list_roles`,
      tag,
      summary: 'List roles',
      responses: { 200: { schema: RolesResponse } },
      handle: async (ctx) => ({
        status: 200,
        body: { roles: await assignmentsOn(ctx.services.db, await targetOf(ctx, model)) },
      }),
    },
    {
      method: 'POST',
      url: `${url}add_role/`,
      pathKey: `${pathKey}add_role/`,
      operationId: `${operationId}_add_role`,
      tag,
      summary: 'Add a role',
      body,
      responses: { 201: { schema: 'NestedRoleResponse' } },
      handle: (ctx) => changeRole(ctx, model, true),
    },
    {
      method: 'POST',
      url: `${url}remove_role/`,
      pathKey: `${pathKey}remove_role/`,
      operationId: `${operationId}_remove_role`,
      tag,
      summary: 'Remove a role',
      body,
      responses: { 201: { schema: 'NestedRoleResponse' } },
      handle: (ctx) => changeRole(ctx, model, false),
    },
    {
      method: 'GET',
      url: `${url}my_permissions/`,
      pathKey: `${pathKey}my_permissions/`,
      operationId: `${operationId}_my_permissions`,
      tag,
      summary: 'List user permissions',
      responses: { 200: { schema: Type.Object({ permissions: Type.Array(Type.String()) }) } },
      handle: async (ctx) => {
        const ref = await targetOf(ctx, model);
        const perms = await loadUserPermissions(ctx.services.db, ctx.user ?? { id: -1, isSuperuser: false });
        return { status: 200, body: { permissions: perms.onObject(ref, modelPermissions(ref.model)) } };
      },
    },
  ];
}

/** Component schemas the roles actions refer to; include them once in a module's `components`. */
export const roleComponents = [
  { name: 'NestedRole', schema: RoleBody },
  {
    name: 'NestedRoleResponse',
    schema: Type.Object({ role: Type.String(), users: Type.Array(Type.String()), groups: Type.Array(Type.String()) }),
  },
];

/**
 * Mounts the roles actions on every endpoint whose model has Pulp's RolesMixin (file repositories, remotes,
 * publications, distributions, ACS, tasks, uploads, task schedules) when the endpoint exists and does not
 * mount them itself; the object's read operation gives the route, placeholder and tag.
 */
export function withRoleActions(modules: OperationModule[]): OperationModule[] {
  const operations = modules.flatMap((m) => m.operations);
  const ids = new Set(operations.map((o) => o.operationId));
  const extra: Operation[] = [];
  for (const model of rbacModels()) {
    if (!model.rolesMixin) continue;
    const prefix = model.viewset.replace(/[/-]/g, '_');
    const read = operations.find((o) => o.operationId === `${prefix}_read`);
    if (!read || ids.has(`${prefix}_add_role`) || ids.has(`${prefix}_list_roles`)) continue;
    extra.push(
      ...roleOperations({
        url: read.url,
        pathKey: read.pathKey,
        operationId: prefix,
        tag: read.tag,
        model: model.label,
      }),
    );
  }
  if (extra.length === 0) return modules;
  const hasComponents = modules.some((m) => m.components?.some((c) => c.name === 'NestedRole'));
  return [...modules, { operations: extra, components: hasComponents ? [] : roleComponents }];
}

import { type RawBuilder, sql } from 'kysely';

import type { Database } from '../db/database.js';
import { cachedAccessPolicy, forgetAccessPolicies } from './access-policy-cache.js';
import { modelByViewset, type ObjectRef, parseObjectRef } from './rbac-catalogue.js';
import { shippedAccessPolicies, shippedAccessPolicy, shippedLockedRoles } from './rbac-defaults.js';
import type { AccessPolicyDefinition } from './rbac-types.js';

/** The permissions one user holds: model-wide (global roles) and per object (`<model label>:<id>`). */
export class UserPermissions {
  constructor(
    readonly superuser: boolean,
    private readonly global: Set<string>,
    private readonly objects: Map<string, Set<string>>,
  ) {}

  /** Django's `has_perm(perm)`: a global role carries it (superusers have everything). */
  hasModel(permission: string): boolean {
    return this.superuser || this.global.has(permission);
  }

  /** Django's `has_perm(perm, obj)` with Pulp's object-role backend: a role on that very object carries it. */
  hasObject(permission: string, ref: ObjectRef | null | undefined): boolean {
    if (this.superuser) return true;
    if (!ref) return false;
    return this.objects.get(`${ref.model.label}:${ref.id}`)?.has(permission) ?? false;
  }

  hasModelOrObject(permission: string, ref: ObjectRef | null | undefined): boolean {
    return this.hasModel(permission) || this.hasObject(permission, ref);
  }

  /** Permissions the user has on an object (`my_permissions`): model-wide ones of its model plus its own. */
  onObject(ref: ObjectRef, modelPermissions: string[]): string[] {
    if (this.superuser) return modelPermissions;
    const own = this.objects.get(`${ref.model.label}:${ref.id}`) ?? new Set<string>();
    return modelPermissions.filter((p) => this.global.has(p) || own.has(p));
  }
}

/** Loads every role a user holds, directly or through groups (one query). */
export async function loadUserPermissions(
  db: Database,
  user: { id: number; isSuperuser: boolean },
): Promise<UserPermissions> {
  if (user.isSuperuser) return new UserPermissions(true, new Set(), new Map());
  const rows = await sql<{ permissions: string[]; content_type: string | null; object_id: string | null }>`
    SELECT r.permissions, ur.content_type, ur.object_id
      FROM core_userrole ur JOIN core_role r ON r.pulp_id = ur.role_id WHERE ur.user_id = ${user.id}
    UNION ALL
    SELECT r.permissions, gr.content_type, gr.object_id
      FROM core_grouprole gr JOIN core_role r ON r.pulp_id = gr.role_id
      JOIN auth_user_groups ug ON ug.group_id = gr.group_id WHERE ug.user_id = ${user.id}`.execute(db);
  const global = new Set<string>();
  const objects = new Map<string, Set<string>>();
  for (const row of rows.rows) {
    if (row.object_id === null) {
      for (const p of row.permissions) global.add(p);
      continue;
    }
    const key = `${row.content_type}:${row.object_id.toLowerCase()}`;
    let set = objects.get(key);
    if (!set) objects.set(key, (set = new Set()));
    for (const p of row.permissions) set.add(p);
  }
  return new UserPermissions(false, global, objects);
}

/** SQL set of the object ids (text) of one model on which a user holds `permission` through a role. */
export function objectIdsWithPermission(userId: number, contentType: string, permission: string): RawBuilder<string> {
  return sql<string>`(
    SELECT ur.object_id FROM core_userrole ur JOIN core_role r ON r.pulp_id = ur.role_id
     WHERE ur.user_id = ${userId} AND ur.content_type = ${contentType} AND ${permission} = ANY(r.permissions)
    UNION
    SELECT gr.object_id FROM core_grouprole gr JOIN core_role r ON r.pulp_id = gr.role_id
      JOIN auth_user_groups ug ON ug.group_id = gr.group_id
     WHERE ug.user_id = ${userId} AND gr.content_type = ${contentType} AND ${permission} = ANY(r.permissions))`;
}

export type Principal = { userId: number } | { groupId: number };

/** Gives a role (by name) to a user or group, globally (`ref` null) or on one object; idempotent. */
export async function assignRole(
  db: Database,
  principal: Principal,
  roleName: string,
  ref: ObjectRef | null,
): Promise<boolean> {
  const contentType = ref?.model.label ?? null;
  const objectId = ref?.id ?? null;
  // Role lookup and insert in one statement: this runs for the task of every 202 and every created object.
  const insert = async () => {
    const target = sql`SELECT r.pulp_id, ${contentType}::text, ${objectId}::text FROM role_row r`;
    const ins =
      'userId' in principal
        ? sql`INSERT INTO core_userrole (user_id, role_id, content_type, object_id) SELECT ${principal.userId}::integer, t.* FROM (${target}) t ON CONFLICT DO NOTHING RETURNING 1`
        : sql`INSERT INTO core_grouprole (group_id, role_id, content_type, object_id) SELECT ${principal.groupId}::integer, t.* FROM (${target}) t ON CONFLICT DO NOTHING RETURNING 1`;
    const r = await sql<{ found: boolean; inserted: number }>`
      WITH role_row AS (SELECT pulp_id FROM core_role WHERE name = ${roleName}), ins AS (${ins})
      SELECT EXISTS (SELECT 1 FROM role_row) AS found, (SELECT count(*) FROM ins)::integer AS inserted`.execute(db);
    return r.rows[0] ?? { found: false, inserted: 0 };
  };
  let result = await insert();
  // A worker may create objects before any API process seeded the built-in roles.
  if (!result.found && shippedLockedRoles().has(roleName)) {
    await ensureRbacDefaults(db);
    result = await insert();
  }
  if (!result.found) return false;
  return true;
}

/** The access policy in force for a viewset: the stored one, else the shipped default, else null (admin only). */
export function loadAccessPolicy(db: Database, viewset: string): Promise<AccessPolicyDefinition | null> {
  return cachedAccessPolicy(db, viewset, () => readAccessPolicy(db, viewset));
}

async function readAccessPolicy(db: Database, viewset: string): Promise<AccessPolicyDefinition | null> {
  const row = await db
    .selectFrom('core_accesspolicy')
    .select(['statements', 'creation_hooks', 'queryset_scoping'])
    .where('viewset_name', '=', viewset)
    .executeTakeFirst();
  if (row) return row as unknown as AccessPolicyDefinition;
  return shippedAccessPolicy(viewset) ?? null;
}

function roleList(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/**
 * Runs the creation hooks of the access policy of the object's viewset (Pulp's `add_roles_for_object_creator`,
 * `add_roles_for_users`, `add_roles_for_groups`): the creator of an object becomes its owner. The API calls it
 * for every 201 create and for the task of every 202; code that creates objects in a task calls it with the
 * task's user for each created resource.
 */
export async function applyCreationHooks(
  db: Database,
  apiPrefix: string,
  userId: number | null,
  href: string,
): Promise<void> {
  const ref = parseObjectRef(apiPrefix, href);
  if (!ref) return;
  const policy = await loadAccessPolicy(db, ref.model.viewset);
  for (const hook of policy?.creation_hooks ?? []) {
    const params = hook.parameters ?? {};
    const roles = roleList(params.roles);
    if (hook.function === 'add_roles_for_object_creator' && userId !== null) {
      for (const role of roles) await assignRole(db, { userId }, role, ref);
    } else if (hook.function === 'add_roles_for_users') {
      const users = roleList(params.users);
      const ids = users.length
        ? await db.selectFrom('auth_user').select('id').where('username', 'in', users).execute()
        : [];
      for (const u of ids) for (const role of roles) await assignRole(db, { userId: u.id }, role, ref);
    } else if (hook.function === 'add_roles_for_groups') {
      const groups = roleList(params.groups);
      const ids = groups.length
        ? await db.selectFrom('auth_group').select('id').where('name', 'in', groups).execute()
        : [];
      for (const g of ids) for (const role of roles) await assignRole(db, { groupId: g.id }, role, ref);
    }
  }
}

/** Convenience for task code: gives the task's user the creator roles on each created resource. */
export async function assignCreatorRoles(
  db: Database,
  apiPrefix: string,
  userId: number | null,
  hrefs: string[],
): Promise<void> {
  for (const href of hrefs) await applyCreationHooks(db, apiPrefix, userId, href);
}

/**
 * Upserts the locked roles and the default access policies (not customized ones). Every API process runs it
 * once at start, under an advisory lock, so a new version's defaults reach an existing database.
 */
export async function ensureRbacDefaults(db: Database): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(hashtext('pulp_rbac_defaults'))`.execute(trx);
    const roles = [...shippedLockedRoles()].map(([name, r]) => ({
      name,
      description: r.description,
      permissions: r.permissions,
      locked: true,
    }));
    await trx
      .insertInto('core_role')
      .values(roles)
      .onConflict((oc) =>
        oc
          .column('name')
          .doUpdateSet({
            permissions: sql`excluded.permissions`,
            description: sql`excluded.description`,
            pulp_last_updated: sql`clock_timestamp()`,
          })
          .where(
            sql<boolean>`core_role.locked AND (core_role.permissions IS DISTINCT FROM excluded.permissions OR core_role.description IS DISTINCT FROM excluded.description)`,
          ),
      )
      .execute();
    const policies = [...shippedAccessPolicies()].map(([viewset_name, p]) => ({
      viewset_name,
      statements: JSON.stringify(p.statements),
      creation_hooks: JSON.stringify(p.creation_hooks),
      queryset_scoping: p.queryset_scoping ? JSON.stringify(p.queryset_scoping) : null,
    }));
    await trx
      .insertInto('core_accesspolicy')
      .values(policies)
      .onConflict((oc) =>
        oc
          .column('viewset_name')
          .doUpdateSet({
            statements: sql`excluded.statements`,
            creation_hooks: sql`excluded.creation_hooks`,
            queryset_scoping: sql`excluded.queryset_scoping`,
            pulp_last_updated: sql`clock_timestamp()`,
          })
          .where(
            sql<boolean>`NOT core_accesspolicy.customized AND (core_accesspolicy.statements IS DISTINCT FROM excluded.statements OR core_accesspolicy.creation_hooks IS DISTINCT FROM excluded.creation_hooks OR core_accesspolicy.queryset_scoping IS DISTINCT FROM excluded.queryset_scoping)`,
          ),
      )
      .execute();
  });
  forgetAccessPolicies(db);
}

/** The model an access-policy viewset name is about (`repositories/file/file/versions` -> its repository). */
export function viewsetModel(viewset: string) {
  return modelByViewset(viewset) ?? modelByViewset(viewset.split('/').slice(0, -1).join('/'));
}

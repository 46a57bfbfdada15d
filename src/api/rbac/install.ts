import { sql } from 'kysely';

import { NotFoundError, PermissionError } from '../../core/errors.js';
import type { QueryScope } from '../../plugin-api/list.js';
import type { ApiUser, Reply, RequestContext, Services } from '../../plugin-api/operations.js';
import { POLICY_EVALUATOR, type PolicyEvaluator, querysetScope } from '../../plugin-api/policy-conditions.js';
import { type ObjectRef, parseObjectRef } from '../../plugin-api/rbac-catalogue.js';
import {
  applyCreationHooks,
  ensureRbacDefaults,
  loadAccessPolicy,
  loadUserPermissions,
  type UserPermissions,
} from '../../plugin-api/rbac-permissions.js';
import type { PolicyStatement } from '../../plugin-api/rbac-types.js';
import { accessOf } from './access.js';
import { isAllowed, type PolicyInput } from './policy.js';
import { scopeCondition } from './scope.js';
import { authenticateSession } from './sessions.js';

/** Runs after an operation's handler succeeded (creation hooks). */
export type AfterOperation = (ctx: RequestContext, reply: Reply) => Promise<void>;

/** Pulp's fallback when a viewset has no access policy: admins only. */
const ADMIN_ONLY: PolicyStatement[] = [{ action: ['*'], principal: 'admin', effect: 'allow' }];

const permissionCache = new WeakMap<RequestContext, Promise<UserPermissions>>();

/** The requesting user's permissions, loaded once per request. */
export function permissionsOf(ctx: RequestContext): Promise<UserPermissions> {
  let hit = permissionCache.get(ctx);
  if (!hit) {
    const user = ctx.user ?? { id: -1, isSuperuser: false };
    hit = loadUserPermissions(ctx.services.db, user);
    permissionCache.set(ctx, hit);
  }
  return hit;
}

interface InputParts {
  user: ApiUser | null;
  perms: UserPermissions;
  viewset: string;
  action: string;
  method: string;
  data: Record<string, unknown>;
  object: ObjectRef | null;
}

/** The evaluation input of one decision, with its per-decision memo and lazily loaded group names. */
function policyInput(services: Services, parts: InputParts): PolicyInput {
  const memo = new Map<string, Promise<unknown>>();
  let groups: Promise<string[]> | null = null;
  const user = parts.user;
  return {
    ...parts,
    services,
    once<T>(key: string, load: () => Promise<T>): Promise<T> {
      let hit = memo.get(key) as Promise<T> | undefined;
      if (!hit) memo.set(key, (hit = load()));
      return hit;
    },
    groups: () =>
      (groups ??= user
        ? services.db
            .selectFrom('auth_user_groups')
            .innerJoin('auth_group', 'auth_group.id', 'auth_user_groups.group_id')
            .select('auth_group.name')
            .where('auth_user_groups.user_id', '=', user.id)
            .execute()
            .then((rows) => rows.map((r) => r.name))
        : Promise.resolve([])),
  };
}

/**
 * Installs authorization on the API: every authenticated operation is checked against its viewset's access
 * policy (403), objects the user may not view answer 404, lists are scoped, creators become owners, and
 * session cookies authenticate. Superusers bypass the checks, as in Pulp.
 */
export function installRbac(services: Services): void {
  const { db } = services;
  let defaults: Promise<void> | null = null;
  const ready = () => {
    defaults ??= ensureRbacDefaults(db).catch((err: unknown) => {
      defaults = null;
      throw err;
    });
    return defaults;
  };

  const authorize = async (ctx: RequestContext): Promise<void> => {
    await ready();
    const user = ctx.user;
    if (!user) throw new PermissionError();
    if (user.isSuperuser) return;
    const { viewset, action } = accessOf(ctx.operation);
    const perms = await permissionsOf(ctx);
    const object = parseObjectRef(services.apiPrefix, ctx.url.pathname, { nested: true });
    const policy = await loadAccessPolicy(db, viewset);
    // A plugin's scoping (pulp_container's public or namespace-visible distributions) decides visibility.
    const pluginScoped = policy?.queryset_scoping ? querysetScope(policy.queryset_scoping.function) : undefined;
    if (
      object &&
      object.model.viewset === viewset &&
      !pluginScoped &&
      object.model.viewPermission &&
      !perms.hasModelOrObject(object.model.viewPermission, object)
    ) {
      throw new NotFoundError(`No ${object.model.className} matches the given query.`);
    }
    // Objects scoped by something else than their own roles (content by repository, task groups by task).
    if (
      object &&
      object.model.viewset === viewset &&
      (pluginScoped || !object.model.viewPermission) &&
      object.model.table &&
      policy?.queryset_scoping
    ) {
      const condition = scopeCondition(ctx, viewset, perms, 'o', policy.queryset_scoping);
      if (condition) {
        const idColumn = object.model.intId ? 'id' : 'pulp_id';
        const hit =
          await sql`SELECT 1 FROM ${sql.table(object.model.table)} o WHERE o.${sql.ref(idColumn)}::text = ${object.id} AND ${condition}`.execute(
            db,
          );
        if (hit.rows.length === 0) throw new NotFoundError(`No ${object.model.className} matches the given query.`);
      }
    }
    const input = policyInput(services, {
      user,
      perms,
      viewset,
      action,
      method: ctx.operation.method,
      data: ctx.body,
      object,
    });
    if (!(await isAllowed(input, policy?.statements ?? ADMIN_ONLY))) throw new PermissionError();
  };

  // Decisions outside a REST request (a registry's token endpoint): same policies, no superuser shortcut,
  // as pulp_container's RegistryAccessPolicy evaluates the stored statements itself.
  const evaluate: PolicyEvaluator = async (q) => {
    await ready();
    const perms = await loadUserPermissions(db, q.user ?? { id: -1, isSuperuser: false });
    const policy = await loadAccessPolicy(db, q.viewset);
    const input = policyInput(services, {
      user: q.user,
      perms,
      viewset: q.viewset,
      action: q.action,
      method: q.method,
      data: q.data ?? {},
      object: q.object,
    });
    return isAllowed(input, policy?.statements ?? ADMIN_ONLY);
  };

  const queryScope: QueryScope = async (ctx, alias) => {
    if (!ctx.user || ctx.user.isSuperuser) return null;
    const { viewset } = accessOf(ctx.operation);
    const policy = await loadAccessPolicy(db, viewset);
    if (!policy?.queryset_scoping) return null;
    return scopeCondition(ctx, viewset, await permissionsOf(ctx), alias, policy.queryset_scoping);
  };

  const afterOperation: AfterOperation = async (ctx, reply) => {
    if (!ctx.user) return;
    const body = reply.body as Record<string, unknown> | undefined;
    if (!body || typeof body !== 'object') return;
    if (reply.status === 201 && accessOf(ctx.operation).action === 'create' && typeof body.pulp_href === 'string') {
      await applyCreationHooks(db, services.apiPrefix, ctx.user.id, body.pulp_href);
    } else if (reply.status === 202 && typeof body.task === 'string') {
      await applyCreationHooks(db, services.apiPrefix, ctx.user.id, body.task);
    }
  };

  services.extensions.set('authorize', authorize);
  services.extensions.set(POLICY_EVALUATOR, evaluate);
  services.extensions.set('queryScope', queryScope);
  services.extensions.set('afterOperation', afterOperation);
  const others = (services.extensions.get('authenticators') as unknown[] | undefined) ?? [];
  services.extensions.set('authenticators', [
    ...others,
    (request: { method: string; headers: Record<string, string | string[] | undefined> }) =>
      authenticateSession(db, request.method, request.headers),
  ]);
}

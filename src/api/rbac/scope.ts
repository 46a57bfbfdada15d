import { type RawBuilder, sql } from 'kysely';

import type { RequestContext } from '../../plugin-api/operations.js';
import { modelByViewset, rbacModels, type RbacModel } from '../../plugin-api/rbac-catalogue.js';
import { querysetScope } from '../../plugin-api/policy-conditions.js';
import { objectIdsWithPermission, type UserPermissions } from '../../plugin-api/rbac-permissions.js';
import type { AccessPolicyDefinition } from '../../plugin-api/rbac-types.js';

const TRUE = sql<boolean>`true`;

/** Objects of one model the user may view: everything (model-wide permission) or those with an object role. */
function visible(
  perms: UserPermissions,
  userId: number,
  model: RbacModel,
  idColumn: RawBuilder<unknown>,
): RawBuilder<boolean> {
  if (!model.viewPermission || perms.hasModel(model.viewPermission)) return TRUE;
  return sql<boolean>`${idColumn}::text IN ${objectIdsWithPermission(userId, model.label, model.viewPermission)}`;
}

/** Over a master table (repository, remote, ...): each row is judged by the model of its pulp_type. */
function visibleTyped(
  perms: UserPermissions,
  userId: number,
  table: RbacModel['table'],
  alias: string,
): RawBuilder<boolean> {
  const parts = rbacModels()
    .filter((m) => m.table === table && m.pulpType)
    .map(
      (m) =>
        sql<boolean>`(${sql.ref(`${alias}.pulp_type`)} = ${m.pulpType} AND ${visible(perms, userId, m, sql.ref(`${alias}.pulp_id`))})`,
    );
  return parts.length ? sql<boolean>`(${sql.join(parts, sql` OR `)})` : sql<boolean>`false`;
}

const MASTER_TABLES: Record<string, RbacModel['table']> = {
  repositories: 'repository',
  remotes: 'remote',
  publications: 'publication',
  distributions: 'distribution',
  contentguards: 'content_guard',
};

/**
 * Pulp's `scope_queryset` for a list: the condition that keeps only what the user may see, or null when the
 * user sees everything. `alias` is the list query's main table. A scoping function a plugin registered under
 * the policy's `queryset_scoping.function` decides for its viewsets.
 */
export function scopeCondition(
  ctx: RequestContext,
  viewset: string,
  perms: UserPermissions,
  alias: string,
  scoping?: AccessPolicyDefinition['queryset_scoping'],
): RawBuilder<boolean> | null {
  if (perms.superuser || !ctx.user) return null;
  const userId = ctx.user.id;
  const plugin = scoping ? querysetScope(scoping.function) : undefined;
  if (plugin) return plugin({ perms, userId, alias, parameters: scoping?.parameters ?? {} });
  const id = sql.ref(`${alias}.pulp_id`);
  const master = MASTER_TABLES[viewset];
  if (master) return visibleTyped(perms, userId, master, alias);
  const repoVisible = (repoAlias: string) => visibleTyped(perms, userId, 'repository', repoAlias);
  if (viewset === 'content' || viewset.startsWith('content/')) {
    return sql<boolean>`EXISTS (SELECT 1 FROM repository_content rc_s JOIN repository r_s ON r_s.pulp_id = rc_s.repository_id
                         WHERE rc_s.content_id = ${id} AND ${repoVisible('r_s')})`;
  }
  if (viewset === 'repository_versions') {
    return sql<boolean>`EXISTS (SELECT 1 FROM repository r_s WHERE r_s.pulp_id = ${sql.ref(`${alias}.repository_id`)} AND ${repoVisible('r_s')})`;
  }
  if (viewset === 'task-groups') {
    const task = modelByViewset('tasks');
    if (!task) return null;
    return sql<boolean>`EXISTS (SELECT 1 FROM task t_s WHERE t_s.task_group_id = ${id} AND ${visible(perms, userId, task, sql.ref('t_s.pulp_id'))})`;
  }
  const model = modelByViewset(viewset);
  if (!model?.viewPermission) return null;
  const condition = visible(perms, userId, model, id);
  return condition === TRUE ? null : condition;
}

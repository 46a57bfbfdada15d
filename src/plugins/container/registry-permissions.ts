import { sql } from 'kysely';

import { loadUserPermissions, type ApiUser, type Services, type UserPermissions } from '../../plugin-api/index.js';
import type { Db } from './content-store.js';
import { namespaceOf } from './names.js';
import { findPullThroughDistribution, mayCreateThrough } from './pull-through.js';
import { DISTRIBUTION_MODEL, DISTRIBUTION_TYPE, NAMESPACE_MODEL } from './resource-names.js';
import type { ScopePermissions } from './token-server.js';

export interface RegistryDistribution {
  pulp_id: string;
  pulp_type: string;
  base_path: string;
  repository_id: string | null;
  repository_version_id: string | null;
  remote_id: string | null;
  content_guard_id: string | null;
  private: boolean;
  namespace_id: string | null;
}

/** The container distribution with this base path (the registry's repository name), if any. */
export async function findDistribution(db: Db, basePath: string): Promise<RegistryDistribution | undefined> {
  const { rows } = await sql<
    Omit<RegistryDistribution, 'private' | 'namespace_id'> & { detail: Record<string, unknown> }
  >`
    SELECT pulp_id, pulp_type, base_path, repository_id, repository_version_id, remote_id, content_guard_id, detail
    FROM distribution WHERE base_path = ${basePath} AND pulp_type = ${DISTRIBUTION_TYPE}`.execute(db);
  const r = rows[0];
  if (!r) return undefined;
  const { detail, ...rest } = r;
  return {
    ...rest,
    private: detail.private === true,
    namespace_id: typeof detail.namespace_id === 'string' ? detail.namespace_id : null,
  };
}

export async function findNamespace(db: Db, name: string): Promise<{ pulp_id: string } | undefined> {
  const { rows } = await sql<{ pulp_id: string }>`
    SELECT pulp_id FROM container_namespace WHERE name = ${name}`.execute(db);
  return rows[0];
}

/**
 * Registry permissions of one user, decided as pulp_container's default access policies decide them
 * (distributions/container/container `pull`, `push` and `catalog`, pulp_container/namespaces `create`,
 * `create_distribution` and `view_distribution`; app/authorization.py's PermissionChecker):
 * - pull: a public distribution, or the (namespace-level or object) pull permission;
 * - push to an existing distribution: the push permission there; to a new one: the right to add distributions
 *   to its namespace, or to create that namespace (the `add_containernamespace` permission, or a namespace
 *   named like the user);
 * - catalog: any authenticated user (the catalog lists only what they may see).
 */
export class RegistryPermissions implements ScopePermissions {
  private perms: Promise<UserPermissions> | null = null;

  constructor(
    private readonly services: Pick<Services, 'db'>,
    private readonly user: ApiUser | null,
  ) {}

  private permissions(): Promise<UserPermissions> {
    this.perms ??= loadUserPermissions(this.services.db, this.user!);
    return this.perms;
  }

  /** has_namespace_or_obj_perms: the namespace_ variant on the namespace (or model-wide), or the permission itself. */
  private async namespaceOrObject(permission: string, dist: RegistryDistribution): Promise<boolean> {
    const perms = await this.permissions();
    const [app, codename] = permission.split('.') as [string, string];
    const nsPermission = `${app}.namespace_${codename}`;
    if (perms.hasModel(nsPermission)) return true;
    if (dist.namespace_id && perms.hasObject(nsPermission, { model: NAMESPACE_MODEL, id: dist.namespace_id }))
      return true;
    return perms.hasModelOrObject(permission, { model: DISTRIBUTION_MODEL, id: dist.pulp_id });
  }

  private async canCreateNamespace(name: string): Promise<boolean> {
    if (!this.user) return false;
    if (name === this.user.username) return true;
    return (await this.permissions()).hasModel('container.add_containernamespace');
  }

  private async onNamespace(permission: string, namespaceId: string): Promise<boolean> {
    if (!this.user) return false;
    return (await this.permissions()).hasModelOrObject(permission, { model: NAMESPACE_MODEL, id: namespaceId });
  }

  async pull(name: string): Promise<boolean> {
    const dist = await findDistribution(this.services.db, name);
    if (dist) {
      if (!dist.private) return true;
      return this.user !== null && this.namespaceOrObject('container.pull_containerdistribution', dist);
    }
    const pt = await findPullThroughDistribution(this.services.db, name);
    if (pt) return mayCreateThrough(this.services.db, this.user, pt);
    const ns = await findNamespace(this.services.db, namespaceOf(name));
    if (!ns) return this.canCreateNamespace(namespaceOf(name));
    return this.onNamespace('container.namespace_view_containerdistribution', ns.pulp_id);
  }

  async push(name: string): Promise<boolean> {
    if (!this.user) return false;
    const dist = await findDistribution(this.services.db, name);
    if (dist) return this.namespaceOrObject('container.push_containerdistribution', dist);
    const ns = await findNamespace(this.services.db, namespaceOf(name));
    if (!ns) return this.canCreateNamespace(namespaceOf(name));
    return this.onNamespace('container.namespace_add_containerdistribution', ns.pulp_id);
  }

  async catalog(): Promise<boolean> {
    return this.user !== null;
  }
}

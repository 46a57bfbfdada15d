import { sql } from 'kysely';

import { type ApiUser, evaluateAccessPolicy, type ObjectRef, type Services } from '../../plugin-api/index.js';
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

const DISTRIBUTIONS = 'distributions/container/container';
const NAMESPACES = 'pulp_container/namespaces';

/**
 * Registry permissions of one user, decided by the access policies in force as pulp_container's
 * AuthorizationService decides them (app/authorization.py with RegistryAccessPolicy): each question is a
 * pretended request to a viewset, answered by that viewset's stored statements and their conditions.
 * - pull of an existing distribution: `pull` on distributions/container/container (public ones are open to
 *   anyone; private ones need the pull permission on it or its namespace);
 * - push to an existing distribution: `push` there;
 * - a repository name without a distribution: `create_distribution` (push) or `view_distribution` (pull) on
 *   its namespace, or, without the namespace, `create` of the namespace (a namespace named like the user
 *   included) on pulp_container/namespaces;
 * - catalog: `catalog` on the distributions viewset (any authenticated user; the list is scoped).
 */
export class RegistryPermissions implements ScopePermissions {
  constructor(
    private readonly services: Pick<Services, 'db' | 'extensions'>,
    private readonly user: ApiUser | null,
  ) {}

  private ask(viewset: string, action: string, method: string, object: ObjectRef | null, data = {}) {
    return evaluateAccessPolicy(this.services, { viewset, action, method, user: this.user, object, data });
  }

  /** No distribution of that name: what its namespace (or creating the namespace) allows. */
  private async withoutDistribution(name: string, action: 'view_distribution' | 'create_distribution') {
    const namespace = namespaceOf(name);
    const ns = await findNamespace(this.services.db, namespace);
    if (!ns) return this.ask(NAMESPACES, 'create', 'POST', null, { name: namespace });
    const method = action === 'view_distribution' ? 'GET' : 'POST';
    const data = action === 'view_distribution' ? { name: namespace } : {};
    return this.ask(NAMESPACES, action, method, { model: NAMESPACE_MODEL, id: ns.pulp_id }, data);
  }

  async pull(name: string): Promise<boolean> {
    const db = this.services.db;
    const dist = await findDistribution(db, name);
    if (dist)
      return this.ask(
        DISTRIBUTIONS,
        'pull',
        'GET',
        { model: DISTRIBUTION_MODEL, id: dist.pulp_id },
        { base_path: name },
      );
    const pt = await findPullThroughDistribution(db, name);
    if (pt) return mayCreateThrough(this.services, this.user, pt);
    return this.withoutDistribution(name, 'view_distribution');
  }

  async push(name: string): Promise<boolean> {
    const dist = await findDistribution(this.services.db, name);
    if (dist)
      return this.ask(
        DISTRIBUTIONS,
        'push',
        'POST',
        { model: DISTRIBUTION_MODEL, id: dist.pulp_id },
        { base_path: name },
      );
    return this.withoutDistribution(name, 'create_distribution');
  }

  async catalog(): Promise<boolean> {
    return this.ask(DISTRIBUTIONS, 'catalog', 'GET', null);
  }
}

import { sql } from 'kysely';

import { createInitialVersion, evaluateAccessPolicy, type ApiUser, type Services } from '../../plugin-api/index.js';
import type { Db } from './content-store.js';
import { redirectGuardId } from './push-target.js';
import {
  DISTRIBUTION_MODEL,
  DISTRIBUTION_TYPE,
  NAMESPACE_MODEL,
  PULL_THROUGH_DISTRIBUTION_MODEL,
  PULL_THROUGH_DISTRIBUTION_TYPE,
  PULL_THROUGH_REMOTE_TYPE,
  REPOSITORY_TYPE,
} from './resource-names.js';
import { compileNameFilter } from './tag-filter.js';

const PULL_THROUGH_LOCK = 710_412;

export interface PullThroughDistribution {
  pulp_id: string;
  base_path: string;
  remote_id: string | null;
  private: boolean;
  namespace_id: string | null;
}

/** The pull-through distribution whose base path contains `name` (the longest), if any. */
export async function findPullThroughDistribution(db: Db, name: string): Promise<PullThroughDistribution | undefined> {
  const { rows } = await sql<{
    pulp_id: string;
    base_path: string;
    remote_id: string | null;
    detail: Record<string, unknown>;
  }>`
    SELECT pulp_id, base_path, remote_id, detail FROM distribution
    WHERE pulp_type = ${PULL_THROUGH_DISTRIBUTION_TYPE} AND starts_with(${name}, base_path || '/')
    ORDER BY length(base_path) DESC LIMIT 1`.execute(db);
  const r = rows[0];
  if (!r) return undefined;
  return {
    pulp_id: r.pulp_id,
    base_path: r.base_path,
    remote_id: r.remote_id,
    private: r.detail.private === true,
    namespace_id: typeof r.detail.namespace_id === 'string' ? r.detail.namespace_id : null,
  };
}

type PolicyServices = Pick<Services, 'db' | 'extensions'>;

/**
 * Whether a user may have a pull-through distribution create a new distribution (pulp_container's
 * has_pull_through_new_distribution_permissions): `pull_new_distribution` on it by the pull-through policy, or
 * `create_distribution` in its namespace by the namespace policy.
 */
export async function mayCreateThrough(
  services: PolicyServices,
  user: ApiUser | null,
  pt: PullThroughDistribution,
): Promise<boolean> {
  const ask = { user, data: {} };
  if (
    await evaluateAccessPolicy(services, {
      ...ask,
      viewset: PULL_THROUGH_DISTRIBUTION_MODEL.viewset,
      action: 'pull_new_distribution',
      method: 'GET',
      object: { model: PULL_THROUGH_DISTRIBUTION_MODEL, id: pt.pulp_id },
    })
  )
    return true;
  return (
    pt.namespace_id !== null &&
    evaluateAccessPolicy(services, {
      ...ask,
      viewset: NAMESPACE_MODEL.viewset,
      action: 'create_distribution',
      method: 'POST',
      object: { model: NAMESPACE_MODEL, id: pt.namespace_id },
    })
  );
}

/**
 * Whether a user may have a pull-through-created distribution fetch content it does not hold yet
 * (pulp_container's has_pull_through_permissions): `pull_new_content` on the distribution, or the right to
 * create through the pull-through distribution.
 */
export async function mayFetchThrough(
  services: PolicyServices,
  user: ApiUser | null,
  distribution: { pulp_id: string; namespace_id: string | null },
  pt: PullThroughDistribution,
): Promise<boolean> {
  const allowed = await evaluateAccessPolicy(services, {
    user,
    data: {},
    viewset: DISTRIBUTION_MODEL.viewset,
    action: 'pull_new_content',
    method: 'GET',
    object: { model: DISTRIBUTION_MODEL, id: distribution.pulp_id },
  });
  return allowed || mayCreateThrough(services, user, pt);
}

/**
 * The repository, remote and distribution a pull-through distribution creates for `name` on its first pull
 * (pulp_container's get_pull_through_drv): a container repository keeping one version, a remote copying the
 * pull-through remote's settings with the upstream name (the part of `name` below the base path), and a
 * distribution inheriting `private` and the namespace. Null when the upstream name is filtered out or a name
 * is already taken.
 */
export async function createThrough(
  services: Pick<Services, 'db'>,
  pt: PullThroughDistribution,
  name: string,
): Promise<string | null> {
  if (!pt.remote_id) return null;
  const upstreamName = name.slice(pt.base_path.length).replace(/^\/+|\/+$/g, '');
  const { rows } = await sql<{ detail: Record<string, unknown> }>`
    SELECT detail FROM remote WHERE pulp_id = ${pt.remote_id} AND pulp_type = ${PULL_THROUGH_REMOTE_TYPE}`.execute(
    services.db,
  );
  const remote = rows[0];
  if (!remote) return null;
  const keep = compileNameFilter({
    includes: remote.detail.includes as string[] | null | undefined,
    excludes: remote.detail.excludes as string[] | null | undefined,
  });
  if (!keep(upstreamName)) return null;
  const guardId = await redirectGuardId(services.db);
  return services.db.transaction().execute(async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(${PULL_THROUGH_LOCK}::int, hashtext(${name}))`.execute(trx);
    const existing = await sql<{ pulp_id: string }>`
      SELECT pulp_id FROM distribution WHERE base_path = ${name} AND pulp_type = ${DISTRIBUTION_TYPE}`.execute(trx);
    if (existing.rows[0]) return existing.rows[0].pulp_id;
    const taken = await sql<{ n: number }>`
      SELECT (SELECT count(*) FROM repository WHERE name = ${name}) + (SELECT count(*) FROM remote WHERE name = ${name})
        + (SELECT count(*) FROM distribution WHERE name = ${name} OR base_path = ${name}) AS n`.execute(trx);
    if (Number(taken.rows[0]?.n) > 0) return null;
    const repo = await sql<{ pulp_id: string }>`
      INSERT INTO repository (pulp_type, name, retain_repo_versions) VALUES (${REPOSITORY_TYPE}, ${name}, 1)
      RETURNING pulp_id`.execute(trx);
    const repositoryId = repo.rows[0]!.pulp_id;
    await createInitialVersion(trx, repositoryId);
    const copied = await sql<{ pulp_id: string }>`
      INSERT INTO remote (pulp_type, name, url, ca_cert, client_cert, client_key, tls_validation, username, password,
        proxy_url, proxy_username, proxy_password, download_concurrency, max_retries, policy, total_timeout,
        connect_timeout, sock_connect_timeout, sock_read_timeout, headers, rate_limit, detail)
      SELECT 'container.container', ${name}, url, ca_cert, client_cert, client_key, tls_validation, username, password,
        proxy_url, proxy_username, proxy_password, download_concurrency, max_retries, 'on_demand', total_timeout,
        connect_timeout, sock_connect_timeout, sock_read_timeout, headers, rate_limit,
        ${JSON.stringify({ upstream_name: upstreamName, include_tags: null, exclude_tags: null, sigstore: null })}::jsonb
      FROM remote WHERE pulp_id = ${pt.remote_id} RETURNING pulp_id`.execute(trx);
    const dist = await sql<{ pulp_id: string }>`
      INSERT INTO distribution (pulp_type, name, base_path, repository_id, remote_id, content_guard_id, detail)
      VALUES (${DISTRIBUTION_TYPE}, ${name}, ${name}, ${repositoryId}, ${copied.rows[0]!.pulp_id}, ${guardId},
        ${JSON.stringify({
          private: pt.private,
          description: null,
          namespace_id: pt.namespace_id,
          pull_through_distribution_id: pt.pulp_id,
          nested_under: pt.pulp_id,
        })}::jsonb)
      RETURNING pulp_id`.execute(trx);
    return dist.rows[0]!.pulp_id;
  });
}

import { sql } from 'kysely';

import { formatTimestamp } from '../../core/ids.js';
import type { Services } from '../../plugin-api/operations.js';
import { remoteBaseFields } from '../../plugin-api/remote-fields.js';
import { type ResourceKind, typedHref, typedPrn } from '../../plugin-api/resource-types.js';

/*
 * Master serializers of the generic lists: the fields every type of a kind shares, with the typed href and
 * PRN of each object. Each takes a whole page, so a list costs a fixed number of queries.
 */

export type Row = Record<string, unknown> & {
  pulp_id: string;
  pulp_type: string;
  pulp_created: string;
  pulp_last_updated: string;
};

function common(prefix: string, kind: ResourceKind, r: Row): Record<string, unknown> {
  return {
    pulp_href: typedHref(r.pulp_type, kind, r.pulp_id, prefix),
    prn: typedPrn(r.pulp_type, kind, r.pulp_id),
    pulp_created: formatTimestamp(r.pulp_created),
    pulp_last_updated: formatTimestamp(r.pulp_last_updated),
  };
}

const ref = (prefix: string, kind: ResourceKind, type: unknown, id: unknown): string | null =>
  typeof id === 'string' && typeof type === 'string' ? typedHref(type, kind, id, prefix) : null;

/** Content: common + `pulp_labels`, `vuln_report`, `artifacts` (relative path -> artifact href or null). One query for the page's artifacts. */
export async function serializeContentPage(services: Services, rows: Row[]): Promise<Record<string, unknown>[]> {
  const prefix = services.apiPrefix;
  const ids = rows.map((r) => r.pulp_id);
  const cas =
    ids.length === 0
      ? []
      : await services.db
          .selectFrom('content_artifact')
          .select(['content_id', 'relative_path', 'artifact_id'])
          .where(sql<boolean>`content_id = ANY(${ids}::uuid[])`)
          .execute();
  const byContent = new Map<string, Record<string, string | null>>();
  for (const ca of cas) {
    const m = byContent.get(ca.content_id) ?? {};
    m[ca.relative_path] = ca.artifact_id ? `${prefix}artifacts/${ca.artifact_id}/` : null;
    byContent.set(ca.content_id, m);
  }
  return rows.map((r) => ({
    ...common(prefix, 'content', r),
    pulp_labels: r.pulp_labels,
    vuln_report: null,
    artifacts: byContent.get(r.pulp_id) ?? {},
  }));
}

/** Repositories: the base fields of spec 7.5 (the row carries `latest_number` and `remote_type`). */
export function serializeRepositoryPage(prefix: string, rows: Row[]): Record<string, unknown>[] {
  return rows.map((r) => {
    const href = typedHref(r.pulp_type, 'repository', r.pulp_id, prefix);
    return {
      ...common(prefix, 'repository', r),
      versions_href: `${href}versions/`,
      pulp_labels: r.pulp_labels,
      latest_version_href:
        r.latest_number === null || r.latest_number === undefined
          ? null
          : `${href}versions/${Number(r.latest_number)}/`,
      name: r.name,
      description: r.description,
      retain_repo_versions: r.retain_repo_versions,
      retain_checkpoints: r.retain_checkpoints,
      remote: ref(prefix, 'remote', r.remote_type, r.remote_id),
    };
  });
}

/** Remotes: the base fields of spec 7.8; secrets only as `hidden_fields`. */
export function serializeRemotePage(prefix: string, rows: Row[]): Record<string, unknown>[] {
  return rows.map((r) => ({ ...common(prefix, 'remote', r), ...remoteBaseFields(r) }));
}

/** Publications: common + `repository_version` and `repository` (row carries `repository_id`, `number`, `repository_type`). */
export function serializePublicationPage(prefix: string, rows: Row[]): Record<string, unknown>[] {
  return rows.map((r) => {
    const repo = ref(prefix, 'repository', r.repository_type, r.repository_id);
    return {
      ...common(prefix, 'publication', r),
      repository_version: repo ? `${repo}versions/${Number(r.number)}/` : null,
      repository: repo,
    };
  });
}

/** Distributions: the base fields of spec 7.10 (without the plugin's `publication`). */
export function serializeDistributionPage(services: Services, rows: Row[]): Record<string, unknown>[] {
  const prefix = services.apiPrefix;
  const { CONTENT_ORIGIN, CONTENT_PATH_PREFIX } = services.settings;
  return rows.map((r) => {
    const versionRepo = ref(prefix, 'repository', r.version_repository_type, r.version_repository_id);
    return {
      ...common(prefix, 'distribution', r),
      base_path: r.base_path,
      base_url: `${CONTENT_ORIGIN ?? ''}${CONTENT_PATH_PREFIX}${String(r.base_path)}/`,
      content_guard: ref(prefix, 'contentguard', r.guard_type, r.content_guard_id),
      content_guard_prn:
        typeof r.content_guard_id === 'string' && typeof r.guard_type === 'string'
          ? typedPrn(r.guard_type, 'contentguard', r.content_guard_id)
          : null,
      no_content_change_since: r.publication_id ? formatTimestamp(r.pulp_last_updated) : null,
      hidden: r.hidden,
      pulp_labels: r.pulp_labels,
      name: r.name,
      repository: ref(prefix, 'repository', r.repository_type, r.repository_id),
      repository_version: versionRepo ? `${versionRepo}versions/${Number(r.version_number)}/` : null,
    };
  });
}

/** Content guards: common + `name`, `description`. */
export function serializeContentGuardPage(prefix: string, rows: Row[]): Record<string, unknown>[] {
  return rows.map((r) => ({ ...common(prefix, 'contentguard', r), name: r.name, description: r.description }));
}

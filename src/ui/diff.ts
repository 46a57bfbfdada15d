import { type RawBuilder, sql } from 'kysely';

import { AuthenticationError, NotFoundError, ValidationError } from '../core/errors.js';
import { hrefPath, isUuid } from '../core/ids.js';
import type { Database } from '../db/database.js';
import { authenticateClient, userHasPermission } from '../plugin-api/client-routes.js';
import type { ClientRoute } from '../plugin-api/define-plugin.js';
import type { ApiUser, Services } from '../plugin-api/operations.js';
import { modelByLabel } from '../plugin-api/rbac-catalogue.js';
import type { PluginRegistry } from '../plugin-api/registry.js';
import { inVersionCondition } from '../plugin-api/repository-versions.js';
import { resourceTypeByEndpoint, typedHref } from '../plugin-api/resource-types.js';
import { type UiContentName, uiContentNames } from '../plugin-api/ui-pages.js';

/** The page size the diff answers when none is asked for, and the largest it answers. */
const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;

const INVALID_HREF = 'Invalid hyperlink - Object does not exist.';
const SIDES = ['added', 'removed'] as const;
type Side = (typeof SIDES)[number];

interface VersionHref {
  /** As given. */
  href: string;
  /** `repositories/file/file`: the typed collection the href names. */
  endpoint: string;
  repositoryId: string;
  number: number;
}

/** A repository version href (relative or absolute): its typed collection, repository id and number, or null. */
function parseVersionHref(apiPrefix: string, value: string): VersionHref | null {
  const path = /\/$/.test(value.trim()) ? hrefPath(value) : null;
  if (!path?.startsWith(apiPrefix)) return null;
  const m = /^(repositories\/[a-z0-9_-]+\/[a-z0-9_-]+)\/([0-9a-f-]{36})\/versions\/(\d{1,9})\/$/.exec(
    path.slice(apiPrefix.length),
  );
  if (!m || !isUuid(m[2] ?? '')) return null;
  return { href: value.trim(), endpoint: m[1] as string, repositoryId: m[2] as string, number: Number(m[3]) };
}

function oneValue(query: Record<string, unknown>, name: string): string | undefined {
  const v = query[name];
  if (Array.isArray(v)) return v.length ? String(v[v.length - 1]) : undefined;
  return typeof v === 'string' ? v : undefined;
}

function integerParam(errors: Record<string, string[]>, name: string, raw: string | undefined, fallback: number) {
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d{1,9}$/.test(raw)) {
    errors[name] = ['A valid integer is required.'];
    return fallback;
  }
  return Number(raw);
}

/** The request's parameters, every problem reported at once as field errors. */
function parseParams(apiPrefix: string, query: Record<string, unknown>) {
  const errors: Record<string, string[]> = {};
  const href = (name: 'base' | 'compare'): VersionHref | null => {
    const raw = oneValue(query, name);
    if (raw === undefined || raw.trim() === '') {
      errors[name] = ['This field is required.'];
      return null;
    }
    const parsed = parseVersionHref(apiPrefix, raw);
    if (!parsed) errors[name] = [INVALID_HREF];
    return parsed;
  };
  const base = href('base');
  const compare = href('compare');
  const sideRaw = oneValue(query, 'side') ?? 'added';
  if (!(SIDES as readonly string[]).includes(sideRaw))
    errors.side = [`"${sideRaw}" is not a valid choice. Choose added or removed.`];
  const limit = integerParam(errors, 'limit', oneValue(query, 'limit'), DEFAULT_LIMIT);
  const offset = integerParam(errors, 'offset', oneValue(query, 'offset'), 0);
  if (!errors.limit && (limit < 1 || limit > MAX_LIMIT)) errors.limit = [`Ensure the limit is 1 to ${MAX_LIMIT}.`];
  if (base && compare && (base.repositoryId !== compare.repositoryId || base.endpoint !== compare.endpoint))
    errors.compare = ['The versions compared must belong to the same repository.'];
  if (Object.keys(errors).length > 0 || !base || !compare) throw new ValidationError(errors);
  return { base, compare, side: sideRaw as Side, limit, offset };
}

/**
 * A unit's name for people: the column its plugin declares (`ui.contentNames`), else its artifact's relative
 * path, else its id. Table and column names were checked as plain identifiers when the registry was built.
 */
function nameExpression(names: readonly UiContentName[]): RawBuilder<string> {
  const declared = names.map(
    (n) =>
      sql`WHEN ${n.pulpType} THEN (SELECT d.${sql.id(n.column)}::text FROM ${sql.id(n.table)} d WHERE d.content_id = c.pulp_id)`,
  );
  const byType = declared.length ? sql`CASE c.pulp_type ${sql.join(declared, sql` `)} END` : sql`NULL`;
  return sql<string>`COALESCE(${byType},
    (SELECT min(ca.relative_path) FROM content_artifact ca WHERE ca.content_id = c.pulp_id), c.pulp_id::text)`;
}

/** The repository the hrefs name, checked against the type the href claims; 404 when it does not exist. */
async function repositoryOf(db: Database, href: VersionHref) {
  const repo = await db
    .selectFrom('repository')
    .select(['pulp_id', 'pulp_type'])
    .where('pulp_id', '=', href.repositoryId)
    .executeTakeFirst();
  if (!repo) throw new NotFoundError('Not found.');
  const type = resourceTypeByEndpoint(href.endpoint);
  // A version href whose typed path is not the repository's own type is forged (or stale after a rename).
  if (!type || type.kind !== 'repository' || type.pulpType !== repo.pulp_type)
    throw new ValidationError({ base: [INVALID_HREF] });
  return { ...repo, prnModel: type.prnModel };
}

async function versionExists(db: Database, repositoryId: string, number: number): Promise<boolean> {
  const v = await db
    .selectFrom('repository_version')
    .select('pulp_id')
    .where('repository_id', '=', repositoryId)
    .where('number', '=', number)
    .where('complete', '=', true)
    .executeTakeFirst();
  return v !== undefined;
}

/** Whether the user may see the repository's versions (its model's view permission, globally or on it). */
async function mayView(services: Services, user: ApiUser, repo: { pulp_id: string; prnModel: string }) {
  if (user.isSuperuser) return true;
  const model = modelByLabel(repo.prnModel);
  if (!model) return false;
  const [app, name] = repo.prnModel.split('.');
  return userHasPermission(services, user, `${app}.view_${name}`, { model, id: repo.pulp_id });
}

/**
 * `GET /ui/api/diff/?base=<version href>&compare=<version href>&side=added|removed&limit&offset`: the content of
 * one side of the difference between two versions of one repository, paged: `added` is in `compare` and not in
 * `base`, `removed` the reverse. Each unit comes with its typed href, `pulp_type` and a name for people.
 *
 * Computed in PostgreSQL as an anti-join over `repository_content` ranges (both versions are ranges of the same
 * repository's rows), so a diff of two versions of a large repository reads only the rows of that repository
 * and sends one page, never the two content lists.
 */
export function diffRoute(registry: PluginRegistry, uiPrefix: string): ClientRoute {
  const names = nameExpression(uiContentNames(registry.plugins));
  return {
    method: 'GET',
    url: `${uiPrefix}api/diff/`,
    handler: async (request, reply, services) => {
      const user = await authenticateClient(services, request);
      if (!user) throw new AuthenticationError();
      const { base, compare, side, limit, offset } = parseParams(
        services.apiPrefix,
        request.query as Record<string, unknown>,
      );
      const { db } = services;
      const repo = await repositoryOf(db, base);
      if (!(await mayView(services, user, repo))) throw new NotFoundError('Not found.');
      const missing: string[] = [];
      if (!(await versionExists(db, repo.pulp_id, base.number))) missing.push('base');
      if (!(await versionExists(db, repo.pulp_id, compare.number))) missing.push('compare');
      if (missing.length) throw new NotFoundError(`No repository version matches ${missing.join(' and ')}.`);
      const [inside, outside] = side === 'added' ? [compare.number, base.number] : [base.number, compare.number];
      const units = sql`SELECT rc.content_id FROM repository_content rc
        WHERE rc.repository_id = ${repo.pulp_id} AND ${inVersionCondition('rc', inside)}
        AND NOT EXISTS (SELECT 1 FROM repository_content ro WHERE ro.repository_id = ${repo.pulp_id}
          AND ro.content_id = rc.content_id AND ${inVersionCondition('ro', outside)})`;
      const counted = await sql<{ count: string }>`SELECT count(*) AS count FROM (${units}) u`.execute(db);
      const count = Number(counted.rows[0]?.count ?? 0);
      const rows =
        offset < count
          ? (
              await sql<{ pulp_id: string; pulp_type: string; name: string }>`
              SELECT c.pulp_id, c.pulp_type, ${names} AS name
              FROM (${units}) u JOIN content c ON c.pulp_id = u.content_id
              ORDER BY c.pulp_type, name, c.pulp_id LIMIT ${limit} OFFSET ${offset}`.execute(db)
            ).rows
          : [];
      const page = (o: number) => {
        const q = new URLSearchParams({ base: base.href, compare: compare.href, side, limit: String(limit) });
        if (o > 0) q.set('offset', String(o));
        return `${uiPrefix}api/diff/?${q.toString()}`;
      };
      return reply.header('cache-control', 'no-cache').send({
        count,
        next: offset + limit < count ? page(offset + limit) : null,
        previous: offset > 0 ? page(Math.max(0, offset - limit)) : null,
        results: rows.map((r) => ({
          pulp_href: typedHref(r.pulp_type, 'content', r.pulp_id, services.apiPrefix),
          pulp_type: r.pulp_type,
          name: r.name,
        })),
      });
    },
  };
}

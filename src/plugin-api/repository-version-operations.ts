import { Type } from '@sinclair/typebox';
import { sql } from 'kysely';

import { NotFoundError, ValidationError } from '../core/errors.js';
import { hrefPath, isUuid, parsePrn } from '../core/ids.js';
import { dispatchReply } from './dispatch-reply.js';
import { dateTimeFilters, type Filter, type FilterSet, numberFilters, pkFromReference } from './filters.js';
import { listResponse } from './list.js';
import type { Operation, RequestContext } from './operations.js';
import {
  type RepositoryVersionRow,
  selectRepositoryVersions,
  serializeRepositoryVersion,
} from './repository-version-summary.js';
import { typedPrn } from './resource-types.js';

/** Task names of the version operations (Pulp's). */
export const DELETE_VERSION_TASK = 'pulpcore.app.tasks.repository.delete_version';
export const REPAIR_VERSION_TASK = 'pulpcore.app.tasks.repository.repair_version';

function splitCsv(values: string[]): string[] {
  return values
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
}

function contentIdOf(name: string, value: string): string {
  const pk = pkFromReference(name, value);
  if (!isUuid(pk)) throw new ValidationError({ [name]: [`Invalid hyperlink - Object does not exist.`] });
  return pk;
}

const hasContent = (
  ids: string[],
) => sql<boolean>`EXISTS (SELECT 1 FROM repository_content rcf WHERE rcf.repository_id = v.repository_id
  AND rcf.content_id = ANY(${ids}::uuid[]) AND rcf.version_added <= v.number AND (rcf.version_removed IS NULL OR rcf.version_removed > v.number))`;

/** A version href (`.../<repo uuid>/versions/<n>/`) or PRN (`prn:core.repositoryversion:<uuid>`) as a condition on `v`. */
function versionIdentity(value: string): ReturnType<typeof sql<boolean>> {
  const prn = parsePrn(value);
  if (prn) return isUuid(prn.pk) ? sql<boolean>`v.pulp_id = ${prn.pk}` : sql<boolean>`false`;
  const m = /\/([0-9a-f-]{36})\/versions\/(\d+)\/$/i.exec(hrefPath(value) ?? '');
  if (!m) return sql<boolean>`false`;
  return sql<boolean>`(v.repository_id = ${m[1]} AND v.number = ${Number(m[2])})`;
}

/** Filters of version lists (spec 7.6): number lookups, pulp_created, content, content__in, hrefs and PRNs. */
export function repositoryVersionFilterSet(): FilterSet {
  const identity = (name: string): Filter => ({
    name,
    type: 'string-list',
    apply: (v) => {
      const parts = splitCsv(v).map(versionIdentity);
      return parts.length === 0 ? sql<boolean>`false` : sql<boolean>`(${sql.join(parts, sql` OR `)})`;
    },
  });
  return {
    filters: [
      ...numberFilters('number', 'v.number', false).filter((f) => f.name !== 'number__ne'),
      ...dateTimeFilters('pulp_created', 'v.pulp_created'),
      { name: 'content', type: 'string', apply: (v) => hasContent([contentIdOf('content', v[v.length - 1] ?? '')]) },
      {
        name: 'content__in',
        type: 'string-list',
        apply: (v) => hasContent(splitCsv(v).map((x) => contentIdOf('content__in', x))),
      },
      identity('pulp_href__in'),
      identity('prn__in'),
    ],
    ordering: ['number', 'pulp_created', 'pulp_last_updated', 'complete', 'pk'],
    orderingColumns: {
      number: 'v.number',
      pulp_created: 'v.pulp_created',
      pulp_last_updated: 'v.pulp_last_updated',
      complete: 'v.complete',
    },
    defaultOrdering: ['-number'],
  };
}

export interface RepositoryVersionOperationsOptions {
  /** Collection path of the repository type: `repositories/file/file`. */
  typePath: string;
  /** Repository `pulp_type`: `file.file`. */
  pulpType: string;
  /** OpenAPI placeholder of the repository href: `{file_file_repository_href}`. */
  placeholder: string;
  /** Placeholder of a version href: `{file_file_repository_version_href}`. */
  versionPlaceholder: string;
  /** operationId prefix: `repositories_file_file` (gives `repositories_file_file_versions_list`, ...). */
  opIdPrefix: string;
  /** OpenAPI tag: `Repositories: File Versions`. */
  tag: string;
  /** Access-policy viewset name. */
  viewset?: string;
}

const RepairBody = Type.Object({ verify_checksums: Type.Optional(Type.Boolean({ default: true })) });

/** Version list, read, delete (task) and repair (task) for one repository type. */
export function repositoryVersionOperations(o: RepositoryVersionOperationsOptions): Operation[] {
  const base = `${o.typePath}/:repository_pk/versions/`;
  const notFound = () => new NotFoundError('No RepositoryVersion matches the given query.');
  const access = (action: string) => (o.viewset ? { viewset: o.viewset, action } : undefined);
  async function repository(ctx: RequestContext): Promise<string> {
    const id = ctx.params.repository_pk ?? '';
    if (!isUuid(id)) throw new NotFoundError('No Repository matches the given query.');
    const r = await ctx.services.db
      .selectFrom('repository')
      .select('pulp_id')
      .where('pulp_id', '=', id)
      .where('pulp_type', '=', o.pulpType)
      .executeTakeFirst();
    if (!r) throw new NotFoundError('No Repository matches the given query.');
    return id;
  }
  function number(ctx: RequestContext): number {
    const n = ctx.params.number ?? '';
    if (!/^\d+$/.test(n)) throw notFound();
    return Number(n);
  }
  async function version(ctx: RequestContext) {
    const repo = await repository(ctx);
    const row = await selectRepositoryVersions(ctx.services.db)
      .where('v.repository_id', '=', repo)
      .where('v.number', '=', number(ctx))
      .executeTakeFirst();
    if (!row) throw notFound();
    return row;
  }
  const repoLock = (repoId: string) => typedPrn(o.pulpType, 'repository', repoId);
  return [
    {
      method: 'GET',
      url: base,
      pathKey: `${o.placeholder}versions/`,
      operationId: `${o.opIdPrefix}_versions_list`,
      tag: o.tag,
      summary: 'List repository versions',
      filters: repositoryVersionFilterSet(),
      responses: { 200: { schema: 'PaginatedRepositoryVersionResponseList' } },
      access: access('list'),
      async handle(ctx) {
        const repo = await repository(ctx);
        const query = selectRepositoryVersions(ctx.services.db).where('v.repository_id', '=', repo);
        return listResponse(ctx, query, {
          filterSet: repositoryVersionFilterSet(),
          tableAlias: 'v',
          serialize: (rows: RepositoryVersionRow[]) =>
            rows.map((r) => serializeRepositoryVersion(ctx.services.apiPrefix, r)),
        });
      },
    },
    {
      method: 'GET',
      url: `${base}:number/`,
      pathKey: o.versionPlaceholder,
      operationId: `${o.opIdPrefix}_versions_read`,
      tag: o.tag,
      summary: 'Inspect a repository version',
      responses: { 200: { schema: 'RepositoryVersionResponse' } },
      access: access('retrieve'),
      async handle(ctx) {
        return { status: 200, body: serializeRepositoryVersion(ctx.services.apiPrefix, await version(ctx)) };
      },
    },
    {
      method: 'DELETE',
      url: `${base}:number/`,
      pathKey: o.versionPlaceholder,
      operationId: `${o.opIdPrefix}_versions_delete`,
      tag: o.tag,
      summary: 'Delete a repository version',
      responses: { 202: { schema: 'AsyncOperationResponse' } },
      access: access('destroy'),
      async handle(ctx) {
        const row = await version(ctx);
        const protectedRow = await sql<{
          p: boolean;
        }>`SELECT EXISTS (SELECT 1 FROM distribution d WHERE d.repository_version_id = ${row.pulp_id}
          OR d.publication_id IN (SELECT p.pulp_id FROM publication p WHERE p.repository_version_id = ${row.pulp_id})) AS p`.execute(
          ctx.services.db,
        );
        if (protectedRow.rows[0]?.p) {
          throw new ValidationError([
            'The repository version cannot be deleted because it (or its publications) are currently being used to distribute content. Please update the necessary distributions first.',
          ]);
        }
        return dispatchReply(
          ctx,
          DELETE_VERSION_TASK,
          { repository_pk: row.repository_id, number: row.number },
          {
            exclusiveResources: [repoLock(row.repository_id)],
          },
        );
      },
    },
    {
      method: 'POST',
      url: `${base}:number/repair/`,
      pathKey: `${o.versionPlaceholder}repair/`,
      operationId: `${o.opIdPrefix}_versions_repair`,
      tag: o.tag,
      summary: 'Repair a repository version',
      body: { name: 'Repair', schema: RepairBody, allowUnknown: true },
      responses: { 202: { schema: 'AsyncOperationResponse' } },
      access: access('repair'),
      async handle(ctx) {
        const row = await version(ctx);
        return dispatchReply(
          ctx,
          REPAIR_VERSION_TASK,
          {
            repository_pk: row.repository_id,
            number: row.number,
            verify_checksums: ctx.body.verify_checksums !== false,
          },
          { sharedResources: [repoLock(row.repository_id)] },
        );
      },
    },
  ];
}

/** `Paginated<item>List` component for a response component named `item` (spec 3.1). */
export function paginatedComponent(item: string): { name: string; schema: ReturnType<typeof Type.Object> } {
  return {
    name: `Paginated${item}List`,
    schema: Type.Object({
      count: Type.Integer(),
      next: Type.Union([Type.String({ format: 'uri' }), Type.Null()]),
      previous: Type.Union([Type.String({ format: 'uri' }), Type.Null()]),
      results: Type.Array(Type.Ref(item)),
    }),
  };
}

const SummaryPart = Type.Record(Type.String(), Type.Object({ count: Type.Integer(), href: Type.String() }));

export const RepositoryVersionResponse = Type.Object({
  pulp_href: Type.String({ format: 'uri', readOnly: true }),
  prn: Type.String({ readOnly: true }),
  pulp_created: Type.String({ format: 'date-time', readOnly: true }),
  pulp_last_updated: Type.String({ format: 'date-time', readOnly: true }),
  number: Type.Integer({ readOnly: true }),
  repository: Type.String({ format: 'uri', readOnly: true }),
  base_version: Type.Union([Type.String({ format: 'uri' }), Type.Null()]),
  content_summary: Type.Object({ added: SummaryPart, removed: SummaryPart, present: SummaryPart }, { readOnly: true }),
  vuln_report: Type.String({ readOnly: true }),
});

/** Components the version operations reference; add them to the module that mounts the operations. */
export const repositoryVersionComponents = [
  { name: 'RepositoryVersionResponse', schema: RepositoryVersionResponse },
  paginatedComponent('RepositoryVersionResponse'),
  { name: 'Repair', schema: RepairBody },
];

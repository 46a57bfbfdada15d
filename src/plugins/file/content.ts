import { type TObject, Type } from '@sinclair/typebox';
import { sql } from 'kysely';

import {
  baseFields,
  BaseFieldsSchema,
  exactFilter,
  hrefPath,
  identityFilters,
  isUuid,
  labelOperations,
  labelSelectFilter,
  listResponse,
  nameFilters,
  NotFoundError,
  routeId,
  ValidationError,
  type Filter,
  type FilterSet,
  type Operation,
  type RequestContext,
  type ResourceTypeDefinition,
  type Services,
  type SummaryCounts,
} from '../../plugin-api/index.js';
import { fileDb } from './tables.js';
import {
  contentCreateOperation,
  contentUploadOperation,
  createFileContent,
  FileContentSchema,
} from './content-create.js';

const ENDPOINT = 'content/file/files';
const TAG = 'Content: Files';
const PLACEHOLDER = '{file_file_content_href}';
const nullable = <T extends import('@sinclair/typebox').TSchema>(t: T) => Type.Union([t, Type.Null()]);

export const FileContentResponseSchema = Type.Object({
  ...BaseFieldsSchema,
  pulp_labels: Type.Record(Type.String(), Type.Union([Type.String(), Type.Null()])),
  artifact: nullable(Type.String()),
  relative_path: Type.String(),
  md5: nullable(Type.String()),
  sha1: nullable(Type.String()),
  sha224: nullable(Type.String()),
  sha256: nullable(Type.String()),
  sha384: nullable(Type.String()),
  sha512: nullable(Type.String()),
}) as TObject;

interface ContentRow {
  pulp_id: string;
  pulp_created: string;
  pulp_last_updated: string;
  pulp_labels: Record<string, string | null>;
  relative_path: string;
  artifact_id: string | null;
  md5: string | null;
  sha1: string | null;
  sha224: string | null;
  sha256: string | null;
  sha384: string | null;
  sha512: string | null;
}

/** File units as filters see them (`c` and `f`); the list counts this, without the artifact joins. */
function fileUnits(services: Services) {
  return fileDb(services.db)
    .selectFrom('content as c')
    .innerJoin('file_content as f', 'f.content_id', 'c.pulp_id')
    .where('c.pulp_type', '=', 'file.file');
}

function selectContent(services: Services) {
  return fileUnits(services)
    .leftJoin('content_artifact as ca', 'ca.content_id', 'c.pulp_id')
    .leftJoin('artifact as a', 'a.pulp_id', 'ca.artifact_id')
    .select([
      'c.pulp_id',
      'c.pulp_created',
      'c.pulp_last_updated',
      'c.pulp_labels',
      'f.relative_path',
      'ca.artifact_id',
      'a.md5',
      'a.sha1',
      'a.sha224',
      'a.sha256',
      'a.sha384',
      'a.sha512',
    ]);
}

export function serializeContent(services: Services, r: ContentRow): Record<string, unknown> {
  return {
    ...baseFields(r, `${services.apiPrefix}${ENDPOINT}/${r.pulp_id}/`, 'file.filecontent'),
    pulp_labels: r.pulp_labels,
    vuln_report: null,
    artifact: r.artifact_id ? `${services.apiPrefix}artifacts/${r.artifact_id}/` : null,
    relative_path: r.relative_path,
    md5: r.md5,
    sha1: r.sha1,
    sha224: r.sha224,
    sha256: r.sha256,
    sha384: r.sha384,
    sha512: r.sha512,
  };
}

/** Repository id and version number of a file repository version href (the last value), or a field error. */
function parseVersionHref(name: string, values: string[]): { repo: string; n: number } {
  const m = /repositories\/[a-z_]+\/[a-z_]+\/([0-9a-f-]{36})\/versions\/(\d+)\/$/.exec(
    hrefPath(values[values.length - 1] ?? '') ?? '',
  );
  if (!m) throw new ValidationError({ [name]: ['Invalid hyperlink - Object does not exist.'] });
  return { repo: m[1]!, n: Number(m[2]) };
}

/** `repository_version`, `_added`, `_removed`: a version href as a range condition on the unit. */
function versionFilter(name: string, mode: 'present' | 'added' | 'removed'): Filter {
  return {
    name,
    type: 'string',
    apply: (v) => {
      const { repo, n } = parseVersionHref(name, v);
      const cond =
        mode === 'present'
          ? sql`rcf.version_added <= ${n} AND (rcf.version_removed IS NULL OR rcf.version_removed > ${n})`
          : mode === 'added'
            ? sql`rcf.version_added = ${n}`
            : sql`rcf.version_removed = ${n}`;
      // A version number past the latest would otherwise match the latest content: require the version itself.
      return sql<boolean>`EXISTS (SELECT 1 FROM repository_version rvf WHERE rvf.repository_id = ${repo} AND rvf.number = ${n} AND rvf.complete)
        AND EXISTS (SELECT 1 FROM repository_content rcf WHERE rcf.repository_id = ${repo} AND rcf.content_id = c.pulp_id AND ${cond})`;
    },
  };
}

/**
 * With `repository_version` as the only filter, the list is the version's file units, whose number the
 * version stores in its content summary (written in the transaction that completes it): reading it spares
 * joining and counting every unit of a large version. Null (count in SQL) for anything else, or a version
 * that is missing, incomplete or without a summary.
 */
async function versionSummaryCount(ctx: RequestContext, applied: string[]): Promise<number | null> {
  if (applied.length !== 1 || applied[0] !== 'repository_version') return null;
  const { repo, n } = parseVersionHref('repository_version', ctx.query.repository_version ?? []);
  if (!isUuid(repo)) return null;
  const row = await ctx.services.db
    .selectFrom('repository_version')
    .select('info')
    .where('repository_id', '=', repo)
    .where('number', '=', n)
    .where('complete', '=', true)
    .executeTakeFirst();
  const present = (row?.info as { content_summary?: SummaryCounts } | undefined)?.content_summary?.present;
  if (!present) return null;
  const count = present['file.file'] ?? 0;
  return typeof count === 'number' ? count : null;
}

const filterSet: FilterSet = {
  filters: [
    ...nameFilters('relative_path', 'f.relative_path'),
    exactFilter('digest', 'f.digest'),
    exactFilter('sha256', 'f.digest'),
    versionFilter('repository_version', 'present'),
    versionFilter('repository_version_added', 'added'),
    versionFilter('repository_version_removed', 'removed'),
    labelSelectFilter('c.pulp_labels'),
    ...identityFilters('c.pulp_id'),
  ],
  ordering: ['relative_path', 'pulp_last_updated', 'digest'],
  orderingColumns: {
    relative_path: 'f.relative_path',
    pulp_created: 'c.pulp_created',
    pulp_last_updated: 'c.pulp_last_updated',
    digest: 'f.digest',
  },
};

async function loadContent(ctx: RequestContext): Promise<ContentRow> {
  const row = await selectContent(ctx.services).where('c.pulp_id', '=', routeId(ctx, 'FileContent')).executeTakeFirst();
  if (!row) throw new NotFoundError('No FileContent matches the given query.');
  return row;
}

export function contentOperations(): Operation[] {
  return [
    {
      method: 'GET',
      url: `${ENDPOINT}/`,
      pathKey: `${ENDPOINT}/`,
      operationId: 'content_file_files_list',
      tag: TAG,
      filters: filterSet,
      responses: { 200: { schema: 'Paginatedfile.FileContentResponseList' } },
      access: { viewset: 'content/file/files', action: 'list' },
      async handle(ctx) {
        return listResponse(ctx, selectContent(ctx.services), {
          filterSet,
          tableAlias: 'c',
          countQuery: fileUnits(ctx.services),
          exactCount: (applied) => versionSummaryCount(ctx, applied),
          serialize: (rows: ContentRow[]) => rows.map((r) => serializeContent(ctx.services, r)),
        });
      },
    },
    contentCreateOperation(),
    contentUploadOperation(async (services, id) => {
      const row = await selectContent(services).where('c.pulp_id', '=', id).executeTakeFirstOrThrow();
      return serializeContent(services, row);
    }),
    {
      method: 'GET',
      url: `${ENDPOINT}/:pulp_id/`,
      pathKey: PLACEHOLDER,
      operationId: 'content_file_files_read',
      tag: TAG,
      responses: { 200: { schema: 'file.FileContentResponse' } },
      access: { viewset: 'content/file/files', action: 'retrieve' },
      async handle(ctx) {
        return { status: 200, body: serializeContent(ctx.services, await loadContent(ctx)) };
      },
    },
    ...labelOperations({
      url: `${ENDPOINT}/:pulp_id/`,
      pathKey: PLACEHOLDER,
      opIdPrefix: 'content_file_files',
      tag: TAG,
      table: 'content',
      pulpType: 'file.file',
      modelName: 'FileContent',
      viewset: 'content/file/files',
    }),
  ];
}

export const contentComponents = [
  { name: 'file.FileContent', schema: FileContentSchema },
  { name: 'file.FileContentResponse', schema: FileContentResponseSchema },
];

export const fileContentType: ResourceTypeDefinition = {
  kind: 'content',
  pulpType: 'file.file',
  endpoint: ENDPOINT,
  prnModel: 'file.filecontent',
  modelName: 'FileContent',
  exportable: {
    table: 'file_content',
    naturalKey: ['relative_path', 'digest'],
    resourceName: 'pulp_file.app.modelresource.FileContentResource',
  },
  create: createFileContent,
  async serialize(services, ids) {
    if (ids.length === 0) return [];
    const rows = await selectContent(services).where('c.pulp_id', 'in', ids).execute();
    return rows.map((r) => serializeContent(services, r));
  },
};

import { Type } from '@sinclair/typebox';

import { NotFoundError, ValidationError } from '../../core/errors.js';
import { isUuid } from '../../core/ids.js';
import { dispatchReply } from '../../plugin-api/dispatch-reply.js';
import { dateTimeFilters, type FilterSet, identityFilters } from '../../plugin-api/filters.js';
import { listResponse } from '../../plugin-api/list.js';
import type { Operation, OperationModule, RequestContext } from '../../plugin-api/operations.js';
import { paginatedComponent } from '../../plugin-api/repository-version-operations.js';
import { typedPrn } from '../../plugin-api/resource-types.js';
import { resolveReference } from '../../plugin-api/typed/common.js';
import { resolveVersionReference } from '../../plugin-api/version-reference.js';
import { FS_PUBLICATION_EXPORT_TASK, FS_REPO_VERSION_EXPORT_TASK } from '../../tasking/import-export/fs-export.js';
import { PULP_EXPORT_TASK } from '../../tasking/import-export/pulp-export.js';
import {
  type ExportRow,
  exporterPrn,
  exportRows,
  FILESYSTEM_EXPORTER,
  PULP_EXPORTER,
  serializeExports,
} from '../../tasking/import-export/records.js';
import { checkExportPath, loadExporter } from './exporters.js';

const MAX_CHUNK_BYTES = 1024 ** 4;
const UNITS: Record<string, number> = { B: 1, KB: 2 ** 10, MB: 2 ** 20, GB: 2 ** 30, TB: 2 ** 40 };

/** Pulp's parse_human_readable_file_size with its PulpExportSerializer.validate_chunk_size checks. */
export function parseChunkSize(value: string): number {
  const m = /^\s*([0-9]*\.?[0-9]+)\s*([KMGT]?B)\s*$/i.exec(value);
  if (!m)
    throw new ValidationError({ chunk_size: [`chunk_size '${value}' is not valid (valid units are B/KB/MB/GB/TB)`] });
  const size = Math.trunc(Number(m[1]) * UNITS[m[2]!.toUpperCase()]!);
  if (size <= 0) throw new ValidationError({ chunk_size: [`Chunk size ${size} is not greater than zero!`] });
  if (size > MAX_CHUNK_BYTES)
    throw new ValidationError({
      chunk_size: [`Chunk size in bytes ${size} is greater than max-chunk-size ${MAX_CHUNK_BYTES}!`],
    });
  return size;
}

const ro = { readOnly: true };
const ExportCommon = {
  pulp_href: Type.String({ format: 'uri', ...ro }),
  prn: Type.String({ ...ro }),
  pulp_created: Type.String({ format: 'date-time', ...ro }),
  pulp_last_updated: Type.String({ format: 'date-time', ...ro }),
  task: Type.Union([Type.String({ format: 'uri' }), Type.Null()], {
    description: 'A URI of the task that ran the Export.',
  }),
  exported_resources: Type.Array(Type.String({ format: 'uri' }), {
    ...ro,
    description: 'Resources that were exported.',
  }),
  params: Type.Record(Type.String(), Type.Unknown(), {
    ...ro,
    description: 'Any additional parameters that were used to create the export.',
  }),
};
const PulpExportResponse = Type.Object({
  ...ExportCommon,
  output_file_info: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()], { ...ro }),
  toc_info: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()], { ...ro }),
});
const FilesystemExportResponse = Type.Object(ExportCommon);

const versionList = (description: string) => Type.Optional(Type.Array(Type.String({ format: 'uri' }), { description }));
const PulpExportBody = Type.Object({
  dry_run: Type.Optional(Type.Boolean({ default: false, writeOnly: true })),
  full: Type.Optional(Type.Boolean({ default: true, description: 'Do a Full (true) or Incremental (false) export.' })),
  versions: versionList('List of explicit repo-version hrefs to export (replaces current_version).'),
  chunk_size: Type.Optional(
    Type.String({
      description: 'Chunk export-tarfile into pieces of chunk_size bytes. Recognizes units of B/KB/MB/GB/TB.',
    }),
  ),
  start_versions: versionList('List of explicit last-exported-repo-version hrefs (replaces last_export).'),
});
const FilesystemExportBody = Type.Object({
  task: Type.Optional(Type.Union([Type.String({ format: 'uri' }), Type.Null()])),
  publication: Type.Optional(Type.String({ format: 'uri', description: 'A URI of the publication to be exported.' })),
  repository_version: Type.Optional(
    Type.String({ format: 'uri', description: 'A URI of the repository version export.' }),
  ),
  start_repository_version: Type.Optional(
    Type.String({ format: 'uri', description: 'The URI of the last-exported-repo-version.' }),
  ),
});

/** PulpExportSerializer._validate_versions_to_repos: one version of each of the exporter's repositories. */
async function versionsOfExporter(ctx: RequestContext, exporterId: string, field: string, refs: string[]) {
  const repos = await ctx.services.db
    .selectFrom('exporter_repository')
    .select('repository_id')
    .where('exporter_id', '=', exporterId)
    .execute();
  const versions = [];
  for (const ref of refs) versions.push(await resolveVersionReference(ctx.services.db, field, ref));
  if (versions.length !== repos.length)
    throw new ValidationError({
      [field]: [
        `Number of versions (${versions.length}) does not match the number of Repositories (${repos.length}) for the owning  Exporter!`,
      ],
    });
  const wanted = new Set(repos.map((r) => r.repository_id));
  const given = new Set(versions.map((v) => v.repositoryId));
  if (wanted.size !== given.size || [...wanted].some((r) => !given.has(r)))
    throw new ValidationError({
      [field]: ['Requested RepositoryVersions must belong to the Repositories named by the Exporter!'],
    });
  return versions.map((v) => v.versionId);
}

async function createPulpExport(ctx: RequestContext) {
  const exporter = await loadExporter(ctx, { pulpType: PULP_EXPORTER, model: 'PulpExporter' });
  await checkExportPath(ctx, exporter.path, true);
  const body = ctx.body;
  const full = body.full !== false;
  const versions = body.versions
    ? await versionsOfExporter(ctx, exporter.pulp_id, 'versions', body.versions as string[])
    : undefined;
  const startVersions = body.start_versions
    ? await versionsOfExporter(ctx, exporter.pulp_id, 'start_versions', body.start_versions as string[])
    : undefined;
  if (startVersions?.length && full)
    throw new ValidationError({
      non_field_errors: ['start_versions is only valid for incremental exports (full=False)'],
    });
  if (!full && !startVersions?.length && !exporter.last_export_id)
    throw new ValidationError({
      non_field_errors: [
        'Incremental export can only be requested when there is a previous export or start_versions= has been specified.',
      ],
    });
  const chunkSize = typeof body.chunk_size === 'string' ? parseChunkSize(body.chunk_size) : undefined;
  const repos = await ctx.services.db
    .selectFrom('exporter_repository as er')
    .innerJoin('repository as r', 'r.pulp_id', 'er.repository_id')
    .select(['r.pulp_id', 'r.pulp_type'])
    .where('er.exporter_id', '=', exporter.pulp_id)
    .execute();
  return dispatchReply(
    ctx,
    PULP_EXPORT_TASK,
    { exporter_pk: exporter.pulp_id, params: body, versions, start_versions: startVersions, chunk_size: chunkSize },
    {
      exclusiveResources: [exporterPrn(PULP_EXPORTER, exporter.pulp_id)],
      sharedResources: repos.map((r) => typedPrn(r.pulp_type, 'repository', r.pulp_id)),
    },
  );
}

async function createFilesystemExport(ctx: RequestContext) {
  const exporter = await loadExporter(ctx, { pulpType: FILESYSTEM_EXPORTER, model: 'FilesystemExporter' });
  await checkExportPath(ctx, exporter.path, true);
  const { publication, repository_version: version, start_repository_version: start } = ctx.body;
  if ((publication === undefined) === (version === undefined))
    throw new ValidationError({
      non_field_errors: ['publication or repository_version must either be supplied but not both.'],
    });
  const db = ctx.services.db;
  const startPk = start
    ? (await resolveVersionReference(db, 'start_repository_version', start as string)).versionId
    : null;
  const exclusiveResources = [exporterPrn(FILESYSTEM_EXPORTER, exporter.pulp_id)];
  if (publication !== undefined) {
    const id = await resolveReference(ctx, 'publication', publication, 'publication');
    return dispatchReply(
      ctx,
      FS_PUBLICATION_EXPORT_TASK,
      { exporter_pk: exporter.pulp_id, publication_pk: id, start_repo_version_pk: startPk },
      { exclusiveResources },
    );
  }
  const v = await resolveVersionReference(db, 'repository_version', String(version));
  return dispatchReply(
    ctx,
    FS_REPO_VERSION_EXPORT_TASK,
    { exporter_pk: exporter.pulp_id, repo_version_pk: v.versionId, start_repo_version_pk: startPk },
    { exclusiveResources },
  );
}

const filterSet: FilterSet = {
  filters: [...identityFilters('x.pulp_id'), ...dateTimeFilters('pulp_created', 'x.pulp_created')],
  ordering: ['pulp_created', 'pulp_last_updated', 'pulp_id'],
};

function operations(segment: 'pulp' | 'filesystem'): Operation[] {
  const pulpType = segment === 'pulp' ? PULP_EXPORTER : FILESYSTEM_EXPORTER;
  const model = segment === 'pulp' ? 'PulpExporter' : 'FilesystemExporter';
  const exportModel = segment === 'pulp' ? 'PulpExport' : 'FilesystemExport';
  const parent = segment === 'pulp' ? '{pulp_exporter_href}' : '{filesystem_exporter_href}';
  const detail = segment === 'pulp' ? '{pulp_pulp_export_href}' : '{filesystem_filesystem_export_href}';
  const base = `exporters/core/${segment}/:exporter_pk/exports/`;
  const tag = `Exporters: ${segment === 'pulp' ? 'Pulp' : 'Filesystem'} Exports`;
  const op = `exporters_core_${segment}_exports`;
  const access = (action: string) => ({ viewset: `exporters/core/${segment}/exports`, action });
  const one = async (ctx: RequestContext): Promise<ExportRow> => {
    const exporter = await loadExporter(ctx, { pulpType, model });
    const id = ctx.params.pulp_id ?? '';
    const row = isUuid(id)
      ? await exportRows(ctx.services.db)
          .where('x.pulp_id', '=', id)
          .where('x.exporter_id', '=', exporter.pulp_id)
          .executeTakeFirst()
      : undefined;
    if (!row) throw new NotFoundError(`No ${exportModel} matches the given query.`);
    return row;
  };
  return [
    {
      method: 'GET',
      url: base,
      pathKey: `${parent}exports/`,
      operationId: `${op}_list`,
      tag,
      summary: 'List exports',
      filters: filterSet,
      access: access('list'),
      responses: { 200: { schema: `Paginated${exportModel}ResponseList` } },
      async handle(ctx) {
        const exporter = await loadExporter(ctx, { pulpType, model });
        return listResponse(ctx, exportRows(ctx.services.db).where('x.exporter_id', '=', exporter.pulp_id), {
          filterSet,
          tableAlias: 'x',
          serialize: (rows: ExportRow[]) => serializeExports(ctx.services, rows),
        });
      },
    },
    {
      method: 'POST',
      url: base,
      pathKey: `${parent}exports/`,
      operationId: `${op}_create`,
      tag,
      summary: 'Create an export',
      body: { name: exportModel, schema: segment === 'pulp' ? PulpExportBody : FilesystemExportBody },
      access: access('create'),
      responses: { 202: { schema: 'AsyncOperationResponse' } },
      handle: segment === 'pulp' ? createPulpExport : createFilesystemExport,
    },
    {
      method: 'GET',
      url: `${base}:pulp_id/`,
      pathKey: detail,
      operationId: `${op}_read`,
      tag,
      summary: 'Inspect an export',
      access: access('retrieve'),
      responses: { 200: { schema: `${exportModel}Response` } },
      async handle(ctx) {
        const [body] = await serializeExports(ctx.services, [await one(ctx)]);
        return { status: 200, body };
      },
    },
    {
      method: 'DELETE',
      url: `${base}:pulp_id/`,
      pathKey: detail,
      operationId: `${op}_delete`,
      tag,
      summary: 'Delete an export',
      access: access('destroy'),
      responses: { 204: {} },
      async handle(ctx) {
        const row = await one(ctx);
        await ctx.services.db.transaction().execute(async (trx) => {
          await trx
            .updateTable('exporter')
            .set({ last_export_id: null })
            .where('last_export_id', '=', row.pulp_id)
            .execute();
          await trx.deleteFrom('export').where('pulp_id', '=', row.pulp_id).execute();
        });
        return { status: 204 };
      },
    },
  ];
}

export function exportOperations(): OperationModule {
  return {
    components: [
      { name: 'PulpExportResponse', schema: PulpExportResponse },
      paginatedComponent('PulpExportResponse'),
      { name: 'FilesystemExportResponse', schema: FilesystemExportResponse },
      paginatedComponent('FilesystemExportResponse'),
    ],
    operations: [...operations('pulp'), ...operations('filesystem')],
  };
}

import { type TObject, Type } from '@sinclair/typebox';

import { NotFoundError, ValidationError } from '../../core/errors.js';
import { isUuid } from '../../core/ids.js';
import { type FilterSet, identityFilters, nameFilters } from '../../plugin-api/filters.js';
import { listResponse } from '../../plugin-api/list.js';
import type { Operation, OperationModule, RequestContext } from '../../plugin-api/operations.js';
import { paginatedComponent } from '../../plugin-api/repository-version-operations.js';
import {
  checkUniqueName,
  dispatchGeneric,
  GENERAL_DELETE,
  GENERAL_UPDATE,
  resolveReference,
} from '../../plugin-api/typed/common.js';
import { allowedPath } from '../../storage/allowed-paths.js';
import {
  exporterPrn,
  FILESYSTEM_EXPORTER,
  PULP_EXPORTER,
  serializeExporters,
} from '../../tasking/import-export/records.js';
import { exportOperations } from './exports.js';

/*
 * `exporters/core/pulp/` and `exporters/core/filesystem/` (pulpcore/app/viewsets/exporter.py): create, read and
 * list are synchronous; update and delete are tasks (Pulp's AsyncUpdateMixin / AsyncRemoveMixin) exclusive on
 * the exporter.
 */

const uri = (description: string) => Type.String({ format: 'uri', description });
const ro = { readOnly: true };
const common = {
  pulp_href: Type.String({ format: 'uri', ...ro }),
  prn: Type.String({ ...ro, description: 'The Pulp Resource Name (PRN).' }),
  pulp_created: Type.String({ format: 'date-time', ...ro, description: 'Timestamp of creation.' }),
  pulp_last_updated: Type.String({ format: 'date-time', ...ro }),
};
const nameField = Type.String({ minLength: 1, description: 'Unique name of the exporter.' });
const METHODS = ['write', 'hardlink', 'symlink'] as const;
const methodField = Type.Union(
  METHODS.map((m) => Type.Literal(m)),
  { default: 'write', description: 'Method of exporting' },
);

const PulpExporterFields = {
  name: nameField,
  path: Type.String({ minLength: 1, description: 'File system directory to store exported tar.gzs.' }),
  repositories: Type.Array(uri('Repository')),
  last_export: Type.Optional(Type.Union([uri('Last attempted export for this PulpExporter'), Type.Null()])),
};
const FilesystemExporterFields = {
  name: nameField,
  path: Type.String({ minLength: 1, description: 'File system location to export to.' }),
  method: Type.Optional(methodField),
};

interface TypeInfo {
  pulpType: string;
  segment: 'pulp' | 'filesystem';
  model: string;
  component: string;
  placeholder: string;
  fields: Record<string, import('@sinclair/typebox').TSchema>;
}

const TYPES: TypeInfo[] = [
  {
    pulpType: PULP_EXPORTER,
    segment: 'pulp',
    model: 'PulpExporter',
    component: 'PulpExporter',
    placeholder: '{pulp_exporter_href}',
    fields: PulpExporterFields,
  },
  {
    pulpType: FILESYSTEM_EXPORTER,
    segment: 'filesystem',
    model: 'FilesystemExporter',
    component: 'FilesystemExporter',
    placeholder: '{filesystem_exporter_href}',
    fields: FilesystemExporterFields,
  },
];

const partial = (o: Record<string, import('@sinclair/typebox').TSchema>): TObject =>
  Type.Object(Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Type.Optional(v)])));

const filterSet: FilterSet = {
  filters: [...nameFilters('name', 'e.name'), ...identityFilters('e.pulp_id')],
  ordering: ['name', 'path', 'pulp_created', 'pulp_last_updated', 'pulp_id'],
};

/** Pulp's ExporterSerializer.validate_path: the path (resolved) must lie within ALLOWED_EXPORT_PATHS. */
export async function checkExportPath(ctx: RequestContext, value: string, asList = false): Promise<void> {
  if (!(await allowedPath(value, ctx.services.settings.ALLOWED_EXPORT_PATHS))) {
    const msg = `Path '${value}' is not an allowed export path`;
    throw new ValidationError(asList ? [msg] : { path: [msg] });
  }
}

export async function loadExporter(ctx: RequestContext, t: { pulpType: string; model: string }) {
  const id = ctx.params.exporter_pk ?? ctx.params.pulp_id ?? '';
  const row = isUuid(id)
    ? await ctx.services.db
        .selectFrom('exporter')
        .selectAll()
        .where('pulp_id', '=', id)
        .where('pulp_type', '=', t.pulpType)
        .executeTakeFirst()
    : undefined;
  if (!row) throw new NotFoundError(`No ${t.model} matches the given query.`);
  return row;
}

/** Validated column values (and repository ids) of a create or update body. */
async function validated(ctx: RequestContext, t: TypeInfo, body: Record<string, unknown>, exceptId?: string) {
  const out: Record<string, unknown> = {};
  if (body.name !== undefined) {
    await checkUniqueName(ctx, 'exporter', body.name, exceptId);
    out.name = body.name;
  }
  if (body.path !== undefined) {
    await checkExportPath(ctx, body.path as string);
    out.path = body.path;
  }
  if (body.method !== undefined) out.method = body.method;
  if (body.repositories !== undefined) {
    const ids: string[] = [];
    for (const r of body.repositories as unknown[])
      ids.push(await resolveReference(ctx, 'repositories', r, 'repository'));
    out.repositories = [...new Set(ids)];
  }
  if (t.pulpType === PULP_EXPORTER && body.last_export !== undefined && body.last_export !== null) {
    const m = /\/exports\/([0-9a-f-]{36})\/$/.exec(body.last_export as string);
    const exists =
      m &&
      (await ctx.services.db
        .selectFrom('export')
        .select('pulp_id')
        .where('pulp_id', '=', m[1]!)
        .where('exporter_id', '=', exceptId ?? '00000000-0000-0000-0000-000000000000')
        .executeTakeFirst());
    if (!exists) throw new ValidationError({ last_export: ['Invalid hyperlink - Object does not exist.'] });
    out.last_export_id = m[1];
  } else if (body.last_export === null) out.last_export_id = null;
  return out;
}

function exporterOperations(t: TypeInfo): Operation[] {
  const base = `exporters/core/${t.segment}/`;
  const tag = `Exporters: ${t.segment === 'pulp' ? 'Pulp' : 'Filesystem'}`;
  const op = `exporters_core_${t.segment}`;
  const access = (action: string) => ({ viewset: `exporters/core/${t.segment}`, action });
  const response = { schema: `${t.component}Response` };
  const update = (partialUpdate: boolean): Operation => ({
    method: partialUpdate ? 'PATCH' : 'PUT',
    url: `${base}:pulp_id/`,
    pathKey: t.placeholder,
    operationId: `${op}_${partialUpdate ? 'partial_update' : 'update'}`,
    tag,
    summary: `Update a ${t.segment} exporter`,
    body: partialUpdate
      ? { name: `Patched${t.component}`, schema: partial(t.fields) }
      : { name: t.component, schema: Type.Object(t.fields) },
    access: access(partialUpdate ? 'partial_update' : 'update'),
    responses: { 202: { schema: 'AsyncOperationResponse' } },
    async handle(ctx) {
      const row = await loadExporter(ctx, t);
      const data = await validated(ctx, t, ctx.body, row.pulp_id);
      return dispatchGeneric(
        ctx,
        GENERAL_UPDATE,
        'exporter',
        t.pulpType,
        { pulp_id: row.pulp_id, data, partial: partialUpdate },
        { exclusiveResources: [exporterPrn(t.pulpType, row.pulp_id)] },
      );
    },
  });
  return [
    {
      method: 'GET',
      url: base,
      pathKey: base,
      operationId: `${op}_list`,
      tag,
      summary: `List ${t.segment} exporters`,
      filters: filterSet,
      access: access('list'),
      responses: { 200: { schema: `Paginated${t.component}ResponseList` } },
      handle: (ctx) =>
        listResponse(
          ctx,
          ctx.services.db.selectFrom('exporter as e').select('e.pulp_id').where('e.pulp_type', '=', t.pulpType),
          {
            filterSet,
            tableAlias: 'e',
            serialize: (rows: { pulp_id: string }[]) =>
              serializeExporters(
                ctx.services,
                rows.map((r) => r.pulp_id),
              ),
          },
        ),
    },
    {
      method: 'POST',
      url: base,
      pathKey: base,
      operationId: `${op}_create`,
      tag,
      summary: `Create a ${t.segment} exporter`,
      body: { name: t.component, schema: Type.Object(t.fields) },
      access: access('create'),
      responses: { 201: response },
      async handle(ctx) {
        const data = await validated(ctx, t, ctx.body);
        if (data.last_export_id)
          throw new ValidationError({ last_export: ['Invalid hyperlink - Object does not exist.'] });
        const { repositories, ...columns } = data;
        const id = await ctx.services.db.transaction().execute(async (trx) => {
          const row = await trx
            .insertInto('exporter')
            .values({ ...(columns as { name: string; path: string }), pulp_type: t.pulpType })
            .returning('pulp_id')
            .executeTakeFirstOrThrow();
          const repos = (repositories as string[] | undefined) ?? [];
          if (repos.length > 0)
            await trx
              .insertInto('exporter_repository')
              .values(repos.map((r) => ({ exporter_id: row.pulp_id, repository_id: r })))
              .execute();
          return row.pulp_id;
        });
        const [body] = await serializeExporters(ctx.services, [id]);
        return { status: 201, body };
      },
    },
    {
      method: 'GET',
      url: `${base}:pulp_id/`,
      pathKey: t.placeholder,
      operationId: `${op}_read`,
      tag,
      summary: `Inspect a ${t.segment} exporter`,
      access: access('retrieve'),
      responses: { 200: response },
      async handle(ctx) {
        const row = await loadExporter(ctx, t);
        const [body] = await serializeExporters(ctx.services, [row.pulp_id]);
        return { status: 200, body };
      },
    },
    update(false),
    update(true),
    {
      method: 'DELETE',
      url: `${base}:pulp_id/`,
      pathKey: t.placeholder,
      operationId: `${op}_delete`,
      tag,
      summary: `Delete a ${t.segment} exporter`,
      access: access('destroy'),
      responses: { 202: { schema: 'AsyncOperationResponse' } },
      async handle(ctx) {
        const row = await loadExporter(ctx, t);
        return dispatchGeneric(
          ctx,
          GENERAL_DELETE,
          'exporter',
          t.pulpType,
          { pulp_id: row.pulp_id },
          { exclusiveResources: [exporterPrn(t.pulpType, row.pulp_id)] },
        );
      },
    },
  ];
}

const PulpExporterResponse = Type.Object({
  ...common,
  name: nameField,
  path: PulpExporterFields.path,
  repositories: PulpExporterFields.repositories,
  last_export: Type.Union([uri('Last attempted export for this PulpExporter'), Type.Null()]),
});
const FilesystemExporterResponse = Type.Object({
  ...common,
  name: nameField,
  path: FilesystemExporterFields.path,
  method: methodField,
});

/** Both exporter types with their nested exports. */
export function exporterRoutes(): OperationModule {
  const exportsModule = exportOperations();
  return {
    components: [
      { name: 'PulpExporterResponse', schema: PulpExporterResponse },
      paginatedComponent('PulpExporterResponse'),
      { name: 'FilesystemExporterResponse', schema: FilesystemExporterResponse },
      paginatedComponent('FilesystemExporterResponse'),
      ...(exportsModule.components ?? []),
    ],
    operations: [...TYPES.flatMap(exporterOperations), ...exportsModule.operations],
  };
}

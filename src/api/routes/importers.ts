import { access, constants, stat } from 'node:fs/promises';
import path from 'node:path';

import { Type } from '@sinclair/typebox';
import { sql } from 'kysely';

import { NotFoundError, ValidationError } from '../../core/errors.js';
import { isUuid } from '../../core/ids.js';
import { dateTimeFilters, type FilterSet, identityFilters, nameFilters } from '../../plugin-api/filters.js';
import { listResponse } from '../../plugin-api/list.js';
import type { Operation, OperationModule, RequestContext } from '../../plugin-api/operations.js';
import { paginatedComponent } from '../../plugin-api/repository-version-operations.js';
import { checkUniqueName } from '../../plugin-api/typed/common.js';
import { allowedPath, resolvedPath } from '../../storage/allowed-paths.js';
import { PULP_IMPORT_TASK } from '../../tasking/import-export/pulp-import.js';
import {
  importerPrn,
  type ImporterRow,
  type ImportRow,
  PULP_IMPORTER,
  serializeImport,
  serializeImporter,
} from '../../tasking/import-export/records.js';

/*
 * `importers/core/pulp/` (synchronous CRUD), its `imports/` (POST dispatches pulp_import into a new task
 * group) and `importers/core/pulp/import-check/` (pulpcore/app/viewsets/importer.py, views/importer.py).
 */

const ro = { readOnly: true };
const mapping = Type.Record(Type.String(), Type.String(), {
  description: 'Mapping of repo names in an export file to the repo names in Pulp.',
});
const ImporterFields = {
  name: Type.String({ minLength: 1, description: 'Unique name of the Importer.' }),
  repo_mapping: Type.Optional(mapping),
};
const common = {
  pulp_href: Type.String({ format: 'uri', ...ro }),
  prn: Type.String({ ...ro }),
  pulp_created: Type.String({ format: 'date-time', ...ro }),
  pulp_last_updated: Type.String({ format: 'date-time', ...ro }),
};
const PulpImporterResponse = Type.Object({ ...common, name: ImporterFields.name, repo_mapping: mapping });
const PulpImportResponse = Type.Object({
  ...common,
  task: Type.String({ format: 'uri', description: 'A URI of the Task that ran the Import.' }),
  params: Type.Record(Type.String(), Type.Unknown(), {
    description: 'Any parameters that were used to create the import.',
  }),
});
const PulpImportBody = Type.Object({
  path: Type.Optional(Type.String({ minLength: 1, description: 'Path to export that will be imported.' })),
  toc: Type.Optional(
    Type.String({
      minLength: 1,
      description: 'Path to a table-of-contents file describing chunks to be validated, reassembled, and imported.',
    }),
  ),
  create_repositories: Type.Optional(
    Type.Boolean({ default: false, description: 'If True, missing repositories will be automatically created.' }),
  ),
});
const Evaluation = Type.Object({
  context: Type.String(),
  is_valid: Type.Boolean(),
  messages: Type.Array(Type.String()),
});
const PulpImportCheckBody = Type.Object({
  path: Type.Optional(Type.String({ minLength: 1 })),
  toc: Type.Optional(Type.String({ minLength: 1 })),
  repo_mapping: Type.Optional(Type.String({ minLength: 1 })),
});
const PulpImportCheckResponse = Type.Object({
  toc: Type.Optional(Type.Unsafe({ $ref: 'EvaluationResponse' })),
  path: Type.Optional(Type.Unsafe({ $ref: 'EvaluationResponse' })),
  repo_mapping: Type.Optional(Type.Unsafe({ $ref: 'EvaluationResponse' })),
});

const importerFilters: FilterSet = {
  filters: [...nameFilters('name', 'i.name'), ...identityFilters('i.pulp_id')],
  ordering: ['name', 'pulp_created', 'pulp_last_updated', 'pulp_id'],
};
const importFilters: FilterSet = {
  filters: [...identityFilters('x.pulp_id'), ...dateTimeFilters('pulp_created', 'x.pulp_created')],
  ordering: ['pulp_created', 'pulp_last_updated', 'pulp_id'],
};

async function loadImporter(ctx: RequestContext): Promise<ImporterRow> {
  const id = ctx.params.importer_pk ?? ctx.params.pulp_id ?? '';
  const row = isUuid(id)
    ? await ctx.services.db
        .selectFrom('importer')
        .selectAll()
        .where('pulp_id', '=', id)
        .where('pulp_type', '=', PULP_IMPORTER)
        .executeTakeFirst()
    : undefined;
  if (!row) throw new NotFoundError('No PulpImporter matches the given query.');
  return row;
}

/** Pulp's PulpImporter.repo_mapping setter: every destination must be an existing repository. */
async function checkMapping(ctx: RequestContext, m: Record<string, string>): Promise<void> {
  const names = [...new Set(Object.values(m))];
  if (names.length === 0) return;
  const found = await ctx.services.db.selectFrom('repository').select('name').where('name', 'in', names).execute();
  if (found.length !== names.length)
    throw new ValidationError([
      'Failed to find repositories from repo_mapping: Repository matching query does not exist.',
    ]);
}

async function checkImportPath(ctx: RequestContext, field: 'path' | 'toc', value: string): Promise<string> {
  const real = await allowedPath(value, ctx.services.settings.ALLOWED_IMPORT_PATHS);
  if (!real) throw new ValidationError({ [field]: [`${field} '${value}' is not an allowed import path`] });
  return real;
}

/** Pulp's _validate_file for import-check: allowed first, then the directory, the file, and (toc) write access. */
async function evaluateFile(ctx: RequestContext, field: 'path' | 'toc', file: string) {
  const real = await resolvedPath(file);
  if (!(await allowedPath(real, ctx.services.settings.ALLOWED_IMPORT_PATHS)))
    return { is_valid: false, messages: [`${path.dirname(real)} is not an allowed import path`] };
  const dir = path.dirname(real);
  if (!(await stat(dir).catch(() => null)))
    return { is_valid: false, messages: [`No such file or directory: '${dir}'`] };
  const info = await stat(real).catch(() => null);
  if (!info) return { is_valid: false, messages: [`file ${real} does not exist`] };
  const messages: string[] = [];
  const readable = await access(real, constants.R_OK).then(
    () => true,
    () => false,
  );
  if (!info.isFile()) messages.push(`${real} is not a file`);
  if (!readable) messages.push(`${real} exists but cannot be read`);
  let ok = info.isFile() && readable;
  if (
    field === 'toc' &&
    !(await access(dir, constants.W_OK).then(
      () => true,
      () => false,
    ))
  ) {
    ok = false;
    messages.push(`directory ${dir} must allow pulp write-access`);
  }
  return { is_valid: ok, messages };
}

function importerOperations(): Operation[] {
  const base = 'importers/core/pulp/';
  const tag = 'Importers: Pulp';
  const acc = (action: string) => ({ viewset: 'importers/core/pulp', action });
  const update = (partial: boolean): Operation => ({
    method: partial ? 'PATCH' : 'PUT',
    url: `${base}:pulp_id/`,
    pathKey: '{pulp_importer_href}',
    operationId: `importers_core_pulp_${partial ? 'partial_update' : 'update'}`,
    tag,
    summary: 'Update a pulp importer',
    body: partial
      ? {
          name: 'PatchedPulpImporter',
          schema: Type.Object({ name: Type.Optional(ImporterFields.name), repo_mapping: ImporterFields.repo_mapping }),
        }
      : { name: 'PulpImporter', schema: Type.Object(ImporterFields) },
    access: acc(partial ? 'partial_update' : 'update'),
    responses: { 200: { schema: 'PulpImporterResponse' } },
    async handle(ctx) {
      const row = await loadImporter(ctx);
      const set: Record<string, unknown> = {};
      if (ctx.body.name !== undefined) {
        await checkUniqueName(ctx, 'importer', ctx.body.name, row.pulp_id);
        set.name = ctx.body.name;
      }
      if (ctx.body.repo_mapping !== undefined) {
        await checkMapping(ctx, ctx.body.repo_mapping as Record<string, string>);
        set.repo_mapping = JSON.stringify(ctx.body.repo_mapping);
      } else if (!partial) set.repo_mapping = '{}';
      const updated = await ctx.services.db
        .updateTable('importer')
        .set({ ...set, pulp_last_updated: sql<string>`clock_timestamp()` })
        .where('pulp_id', '=', row.pulp_id)
        .returningAll()
        .executeTakeFirstOrThrow();
      return { status: 200, body: serializeImporter(ctx.services.apiPrefix, updated) };
    },
  });
  return [
    {
      method: 'GET',
      url: base,
      pathKey: base,
      operationId: 'importers_core_pulp_list',
      tag,
      summary: 'List pulp importers',
      filters: importerFilters,
      access: acc('list'),
      responses: { 200: { schema: 'PaginatedPulpImporterResponseList' } },
      handle: (ctx) =>
        listResponse(ctx, ctx.services.db.selectFrom('importer as i').selectAll('i'), {
          filterSet: importerFilters,
          tableAlias: 'i',
          serialize: (rows: ImporterRow[]) => rows.map((r) => serializeImporter(ctx.services.apiPrefix, r)),
        }),
    },
    {
      method: 'POST',
      url: base,
      pathKey: base,
      operationId: 'importers_core_pulp_create',
      tag,
      summary: 'Create a pulp importer',
      body: { name: 'PulpImporter', schema: Type.Object(ImporterFields) },
      access: acc('create'),
      responses: { 201: { schema: 'PulpImporterResponse' } },
      async handle(ctx) {
        await checkUniqueName(ctx, 'importer', ctx.body.name);
        const m = (ctx.body.repo_mapping as Record<string, string> | undefined) ?? {};
        await checkMapping(ctx, m);
        const row = await ctx.services.db
          .insertInto('importer')
          .values({ pulp_type: PULP_IMPORTER, name: String(ctx.body.name), repo_mapping: JSON.stringify(m) })
          .returningAll()
          .executeTakeFirstOrThrow();
        return { status: 201, body: serializeImporter(ctx.services.apiPrefix, row) };
      },
    },
    {
      method: 'GET',
      url: `${base}:pulp_id/`,
      pathKey: '{pulp_importer_href}',
      operationId: 'importers_core_pulp_read',
      tag,
      summary: 'Inspect a pulp importer',
      access: acc('retrieve'),
      responses: { 200: { schema: 'PulpImporterResponse' } },
      handle: async (ctx) => ({
        status: 200,
        body: serializeImporter(ctx.services.apiPrefix, await loadImporter(ctx)),
      }),
    },
    update(false),
    update(true),
    {
      method: 'DELETE',
      url: `${base}:pulp_id/`,
      pathKey: '{pulp_importer_href}',
      operationId: 'importers_core_pulp_delete',
      tag,
      summary: 'Delete a pulp importer',
      access: acc('destroy'),
      responses: { 204: {} },
      async handle(ctx) {
        const row = await loadImporter(ctx);
        await ctx.services.db.deleteFrom('importer').where('pulp_id', '=', row.pulp_id).execute();
        return { status: 204 };
      },
    },
  ];
}

function importOperations(): Operation[] {
  const base = 'importers/core/pulp/:importer_pk/imports/';
  const tag = 'Importers: Pulp Imports';
  const acc = (action: string) => ({ viewset: 'importers/core/pulp/imports', action });
  const one = async (ctx: RequestContext): Promise<ImportRow> => {
    const importer = await loadImporter(ctx);
    const id = ctx.params.pulp_id ?? '';
    const row = isUuid(id)
      ? await ctx.services.db
          .selectFrom('import')
          .selectAll()
          .where('pulp_id', '=', id)
          .where('importer_id', '=', importer.pulp_id)
          .executeTakeFirst()
      : undefined;
    if (!row) throw new NotFoundError('No PulpImport matches the given query.');
    return row;
  };
  return [
    {
      method: 'GET',
      url: base,
      pathKey: '{pulp_importer_href}imports/',
      operationId: 'importers_core_pulp_imports_list',
      tag,
      summary: 'List pulp imports',
      filters: importFilters,
      access: acc('list'),
      responses: { 200: { schema: 'PaginatedPulpImportResponseList' } },
      async handle(ctx) {
        const importer = await loadImporter(ctx);
        return listResponse(
          ctx,
          ctx.services.db.selectFrom('import as x').selectAll('x').where('x.importer_id', '=', importer.pulp_id),
          {
            filterSet: importFilters,
            tableAlias: 'x',
            serialize: (rows: ImportRow[]) => rows.map((r) => serializeImport(ctx.services.apiPrefix, r)),
          },
        );
      },
    },
    {
      method: 'POST',
      url: base,
      pathKey: '{pulp_importer_href}imports/',
      operationId: 'importers_core_pulp_imports_create',
      tag,
      summary: 'Create a Pulp Import',
      body: { name: 'PulpImport', schema: PulpImportBody },
      access: acc('create'),
      responses: { 202: { schema: 'TaskGroupOperationResponse' } },
      async handle(ctx) {
        const importer = await loadImporter(ctx);
        const {
          path: p,
          toc,
          create_repositories: create,
        } = ctx.body as {
          path?: string;
          toc?: string;
          create_repositories?: boolean;
        };
        const real = {
          path: p ? await checkImportPath(ctx, 'path', p) : undefined,
          toc: toc ? await checkImportPath(ctx, 'toc', toc) : undefined,
        };
        if (p && toc)
          throw new ValidationError({ non_field_errors: ["Only one of 'path' and 'toc' may be specified."] });
        if (!p && !toc) throw new ValidationError({ non_field_errors: ["One of 'path' or 'toc' must be specified."] });
        if (Object.keys(importer.repo_mapping).length > 0 && create)
          throw new ValidationError({
            non_field_errors: ["The option 'create_repositories' is not compatible with 'repo_mapping'."],
          });
        const { db } = ctx.services;
        const group = await db
          .insertInto('task_group')
          .values({ description: `Import of ${real.path ?? real.toc}` })
          .returning('pulp_id')
          .executeTakeFirstOrThrow();
        await ctx.services.dispatcher.dispatch(
          PULP_IMPORT_TASK,
          {
            importer_pk: importer.pulp_id,
            path: real.path ?? null,
            toc: real.toc ?? null,
            create_repositories: !!create,
          },
          {
            exclusiveResources: [importerPrn(importer.pulp_id)],
            taskGroup: group.pulp_id,
            loggingCid: ctx.correlationId,
            userId: ctx.user?.id ?? null,
          },
        );
        return { status: 202, body: { task_group: `${ctx.services.apiPrefix}task-groups/${group.pulp_id}/` } };
      },
    },
    {
      method: 'GET',
      url: `${base}:pulp_id/`,
      pathKey: '{pulp_pulp_import_href}',
      operationId: 'importers_core_pulp_imports_read',
      tag,
      summary: 'Inspect a pulp import',
      access: acc('retrieve'),
      responses: { 200: { schema: 'PulpImportResponse' } },
      handle: async (ctx) => ({ status: 200, body: serializeImport(ctx.services.apiPrefix, await one(ctx)) }),
    },
    {
      method: 'DELETE',
      url: `${base}:pulp_id/`,
      pathKey: '{pulp_pulp_import_href}',
      operationId: 'importers_core_pulp_imports_delete',
      tag,
      summary: 'Delete a pulp import',
      access: acc('destroy'),
      responses: { 204: {} },
      async handle(ctx) {
        const row = await one(ctx);
        await ctx.services.db.deleteFrom('import').where('pulp_id', '=', row.pulp_id).execute();
        return { status: 204 };
      },
    },
    {
      method: 'POST',
      url: 'importers/core/pulp/import-check/',
      pathKey: 'importers/core/pulp/import-check/',
      operationId: 'pulp_import_check_post',
      tag: 'Importers: Pulp Import-Check',
      summary: 'Validate the parameters to be used for a PulpImport call',
      body: { name: 'PulpImportCheck', schema: PulpImportCheckBody },
      access: { viewset: 'importers/core/pulp/import-check', action: 'post' },
      responses: { 200: { schema: 'PulpImportCheckResponse' } },
      async handle(ctx) {
        const b = ctx.body as { path?: string; toc?: string; repo_mapping?: string };
        if (b.path === undefined && b.toc === undefined && b.repo_mapping === undefined)
          throw new ValidationError({
            non_field_errors: ["One of 'path', 'toc', or 'repo_mapping' must be specified."],
          });
        const out: Record<string, unknown> = {};
        if (b.toc !== undefined) out.toc = { context: b.toc, ...(await evaluateFile(ctx, 'toc', b.toc)) };
        if (b.path !== undefined) out.path = { context: b.path, ...(await evaluateFile(ctx, 'path', b.path)) };
        if (b.repo_mapping !== undefined) {
          let valid = true;
          try {
            JSON.parse(b.repo_mapping);
          } catch {
            valid = false;
          }
          out.repo_mapping = { context: b.repo_mapping, is_valid: valid, messages: valid ? [] : ['invalid JSON'] };
        }
        return { status: 200, body: out };
      },
    },
  ];
}

export function importerRoutes(): OperationModule {
  return {
    components: [
      { name: 'PulpImporterResponse', schema: PulpImporterResponse },
      paginatedComponent('PulpImporterResponse'),
      { name: 'PulpImportResponse', schema: PulpImportResponse },
      paginatedComponent('PulpImportResponse'),
      { name: 'EvaluationResponse', schema: Evaluation },
      { name: 'PulpImportCheckResponse', schema: PulpImportCheckResponse },
    ],
    operations: [...importerOperations(), ...importOperations()],
  };
}

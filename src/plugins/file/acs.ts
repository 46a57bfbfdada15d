import { Type } from '@sinclair/typebox';
import { sql } from 'kysely';

import {
  formatTimestamp,
  type FilterSet,
  identityFilters,
  listResponse,
  nameFilters,
  NotFoundError,
  type Operation,
  paginatedComponent,
  type RequestContext,
  resolveReference,
  routeId,
  ValidationError,
} from '../../plugin-api/index.js';
import { deletePathRepositories, ON_DEMAND_ONLY, prunePaths, refreshOperation } from './acs-refresh.js';
import { fileDb, fileTrx } from './tables.js';

/*
 * `acs/file/file/`: pulp_file's FileAlternateContentSource (pulpcore's AlternateContentSource base): a name,
 * an on_demand file remote, and the paths below the remote's URL that a refresh indexes.
 */

type AcsRow = {
  pulp_id: string;
  pulp_created: string;
  pulp_last_updated: string;
  name: string;
  remote_id: string;
  paths: string[];
  last_refreshed: string | null;
};

const FILE_REMOTE = 'file.file';
const ro = { readOnly: true };
const fields = {
  name: Type.String({ minLength: 1, description: 'Name of Alternate Content Source.' }),
  paths: Type.Optional(
    Type.Array(Type.String({ minLength: 1 }), {
      description: 'List of paths that will be appended to the Remote url when searching for content.',
    }),
  ),
  remote: Type.String({ format: 'uri', description: 'The remote to provide alternate content source.' }),
};
const FileAlternateContentSourceResponse = Type.Object({
  pulp_href: Type.String({ format: 'uri', ...ro }),
  prn: Type.String({ ...ro }),
  pulp_created: Type.String({ format: 'date-time', ...ro }),
  pulp_last_updated: Type.String({ format: 'date-time', ...ro }),
  name: fields.name,
  last_refreshed: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
    description: 'Date of last refresh of AlternateContentSource.',
  }),
  paths: Type.Array(Type.String()),
  remote: fields.remote,
});

const filterSet: FilterSet = {
  filters: [...nameFilters('name', 'a.name'), ...identityFilters('a.pulp_id')],
  ordering: ['name', 'pulp_created', 'pulp_last_updated', 'last_refreshed', 'pulp_id'],
};

export function serializeAcs(prefix: string, r: AcsRow): Record<string, unknown> {
  return {
    pulp_href: `${prefix}acs/file/file/${r.pulp_id}/`,
    prn: `prn:file.filealternatecontentsource:${r.pulp_id}`,
    pulp_created: formatTimestamp(r.pulp_created),
    pulp_last_updated: formatTimestamp(r.pulp_last_updated),
    name: r.name,
    last_refreshed: formatTimestamp(r.last_refreshed),
    paths: r.paths,
    remote: `${prefix}remotes/file/file/${r.remote_id}/`,
  };
}

async function loadAcs(ctx: RequestContext): Promise<AcsRow> {
  const id = routeId(ctx, 'FileAlternateContentSource');
  const row = await fileDb(ctx.services.db)
    .selectFrom('file_acs')
    .selectAll()
    .where('pulp_id', '=', id)
    .executeTakeFirst();
  if (!row) throw new NotFoundError('No FileAlternateContentSource matches the given query.');
  return row;
}

/** pulpcore's ACS serializer: the remote must download on demand. */
async function checkRemote(ctx: RequestContext, value: unknown): Promise<string> {
  const id = await resolveReference(ctx, 'remote', value, 'remote', [FILE_REMOTE]);
  const r = await ctx.services.db
    .selectFrom('remote')
    .select('policy')
    .where('pulp_id', '=', id)
    .executeTakeFirstOrThrow();
  if (r.policy !== 'on_demand') throw new ValidationError({ remote: [ON_DEMAND_ONLY] });
  return id;
}

function checkPaths(value: unknown): string[] {
  const paths = (value as string[] | undefined) ?? [];
  const bad = paths.find((p) => p.startsWith('/') || p.split('/').includes('..'));
  if (bad !== undefined)
    throw new ValidationError({ paths: [`Path '${bad}' must be relative and stay below the remote URL.`] });
  return [...new Set(paths)];
}

export function acsOperations(): Operation[] {
  const base = 'acs/file/file/';
  const tag = 'Acs: File';
  const acc = (action: string) => ({ viewset: 'acs/file/file', action });
  const update = (partial: boolean): Operation => ({
    method: partial ? 'PATCH' : 'PUT',
    url: `${base}:pulp_id/`,
    pathKey: '{file_file_alternate_content_source_href}',
    operationId: `acs_file_file_${partial ? 'partial_update' : 'update'}`,
    tag,
    summary: 'Update a file alternate content source',
    body: partial
      ? {
          name: 'Patchedfile.FileAlternateContentSource',
          schema: Type.Object({
            name: Type.Optional(fields.name),
            paths: fields.paths,
            remote: Type.Optional(fields.remote),
          }),
        }
      : { name: 'file.FileAlternateContentSource', schema: Type.Object(fields) },
    access: acc(partial ? 'partial_update' : 'update'),
    responses: { 200: { schema: 'file.FileAlternateContentSourceResponse' } },
    async handle(ctx) {
      const row = await loadAcs(ctx);
      const set: Record<string, unknown> = {};
      if (ctx.body.name !== undefined) {
        await checkUniqueAcsName(ctx, ctx.body.name, row.pulp_id);
        set.name = ctx.body.name;
      }
      if (ctx.body.remote !== undefined) set.remote_id = await checkRemote(ctx, ctx.body.remote);
      if (ctx.body.paths !== undefined || !partial) set.paths = checkPaths(ctx.body.paths);
      const updated = await ctx.services.db.transaction().execute(async (trx) => {
        const r = await fileTrx(trx)
          .updateTable('file_acs')
          .set({ ...set, pulp_last_updated: sql<string>`clock_timestamp()` })
          .where('pulp_id', '=', row.pulp_id)
          .returningAll()
          .executeTakeFirstOrThrow();
        // A path taken out is no source any more, even before the next refresh.
        await prunePaths(trx, r.pulp_id, r.paths);
        return r;
      });
      return { status: 200, body: serializeAcs(ctx.services.apiPrefix, updated) };
    },
  });
  return [
    {
      method: 'GET',
      url: base,
      pathKey: base,
      operationId: 'acs_file_file_list',
      tag,
      summary: 'List file alternate content sources',
      filters: filterSet,
      access: acc('list'),
      responses: { 200: { schema: 'Paginatedfile.FileAlternateContentSourceResponseList' } },
      handle: (ctx) =>
        listResponse(ctx, fileDb(ctx.services.db).selectFrom('file_acs as a').selectAll('a'), {
          filterSet,
          tableAlias: 'a',
          serialize: (rows: AcsRow[]) => rows.map((r) => serializeAcs(ctx.services.apiPrefix, r)),
        }),
    },
    {
      method: 'POST',
      url: base,
      pathKey: base,
      operationId: 'acs_file_file_create',
      tag,
      summary: 'Create a file alternate content source',
      body: { name: 'file.FileAlternateContentSource', schema: Type.Object(fields) },
      access: acc('create'),
      responses: { 201: { schema: 'file.FileAlternateContentSourceResponse' } },
      async handle(ctx) {
        await checkUniqueAcsName(ctx, ctx.body.name);
        const remoteId = await checkRemote(ctx, ctx.body.remote);
        const row = await fileDb(ctx.services.db)
          .insertInto('file_acs')
          .values({ name: String(ctx.body.name), remote_id: remoteId, paths: checkPaths(ctx.body.paths) })
          .returningAll()
          .executeTakeFirstOrThrow();
        return { status: 201, body: serializeAcs(ctx.services.apiPrefix, row) };
      },
    },
    {
      method: 'GET',
      url: `${base}:pulp_id/`,
      pathKey: '{file_file_alternate_content_source_href}',
      operationId: 'acs_file_file_read',
      tag,
      summary: 'Inspect a file alternate content source',
      access: acc('retrieve'),
      responses: { 200: { schema: 'file.FileAlternateContentSourceResponse' } },
      handle: async (ctx) => ({ status: 200, body: serializeAcs(ctx.services.apiPrefix, await loadAcs(ctx)) }),
    },
    update(false),
    update(true),
    {
      method: 'DELETE',
      url: `${base}:pulp_id/`,
      pathKey: '{file_file_alternate_content_source_href}',
      operationId: 'acs_file_file_delete',
      tag,
      summary: 'Delete a file alternate content source',
      access: acc('destroy'),
      responses: { 204: {} },
      async handle(ctx) {
        const row = await loadAcs(ctx);
        await ctx.services.db.transaction().execute(async (trx) => {
          await deletePathRepositories(trx, row.pulp_id);
          await fileTrx(trx).deleteFrom('file_acs').where('pulp_id', '=', row.pulp_id).execute();
        });
        return { status: 204 };
      },
    },
    refreshOperation(loadAcs),
  ];
}

async function checkUniqueAcsName(ctx: RequestContext, name: unknown, exceptId?: string): Promise<void> {
  if (typeof name !== 'string') return;
  const hit = await fileDb(ctx.services.db)
    .selectFrom('file_acs')
    .select('pulp_id')
    .where('name', '=', name)
    .where('pulp_id', 'is distinct from', exceptId ?? null)
    .executeTakeFirst();
  if (hit) throw new ValidationError({ name: ['This field must be unique.'] });
}

export const acsComponents = [
  { name: 'file.FileAlternateContentSourceResponse', schema: FileAlternateContentSourceResponse },
  paginatedComponent('file.FileAlternateContentSourceResponse'),
];

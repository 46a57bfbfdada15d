import { type TObject, Type } from '@sinclair/typebox';
import { type Selectable, sql } from 'kysely';

import { NotFoundError, ValidationError } from '../../core/errors.js';
import { hrefPath, isUuid, parsePrn } from '../../core/ids.js';
import type { RepositoryTable } from '../../db/tables.js';
import { dispatchReply } from '../../plugin-api/dispatch-reply.js';
import { type FilterSet, identityFilters, labelSelectFilter, nameFilters } from '../../plugin-api/filters.js';
import { listResponse } from '../../plugin-api/list.js';
import type { Operation, RequestContext, Services } from '../../plugin-api/operations.js';
import {
  baseFields,
  BaseFieldsSchema,
  labelOperations,
  LabelsSchema,
  validateLabels,
} from '../../plugin-api/resource-fields.js';
import type { ResourceTypeDefinition } from '../../plugin-api/resource-types.js';
import { repositoryVersionOperations } from '../../plugin-api/repository-version-operations.js';
import { createInitialVersion } from '../../plugin-api/repository-versions.js';
import { resolveVersionReference } from '../../plugin-api/version-reference.js';
import { finalizeFileVersion } from './finalize.js';
import { publishVersion } from './publish.js';
import {
  checkUniqueName,
  dispatchGeneric,
  GENERAL_DELETE,
  GENERAL_UPDATE,
  lockName,
  resolveReference,
  routeId,
} from './common.js';

const ENDPOINT = 'repositories/file/file';
const TAG = 'Repositories: File';
const PLACEHOLDER = '{file_file_repository_href}';
const PRN_MODEL = 'file.filerepository';
export const SYNC_TASK = 'pulp_file.app.tasks.synchronizing.synchronize';
export const ADD_AND_REMOVE_TASK = 'pulpcore.app.tasks.repository.add_and_remove';

const nullable = <T extends import('@sinclair/typebox').TSchema>(t: T) => Type.Union([t, Type.Null()]);
const writable = {
  name: Type.String({ minLength: 1 }),
  description: Type.Optional(nullable(Type.String())),
  pulp_labels: Type.Optional(LabelsSchema),
  retain_repo_versions: Type.Optional(nullable(Type.Integer({ minimum: 1 }))),
  retain_checkpoints: Type.Optional(nullable(Type.Integer({ minimum: 1 }))),
  remote: Type.Optional(nullable(Type.String())),
  autopublish: Type.Optional(Type.Boolean({ default: false })),
  manifest: Type.Optional(nullable(Type.String({ default: 'PULP_MANIFEST' }))),
};
export const FileRepositorySchema = Type.Object(writable);
export const PatchedFileRepositorySchema = Type.Partial(Type.Object(writable));
export const FileRepositoryResponseSchema = Type.Object({
  ...BaseFieldsSchema,
  versions_href: Type.String({ readOnly: true }),
  latest_version_href: Type.String({ readOnly: true }),
  ...writable,
  last_sync_details: Type.Record(Type.String(), Type.Unknown(), { readOnly: true }),
}) as TObject;
const SyncSchema = Type.Object({
  remote: Type.Optional(Type.String()),
  mirror: Type.Optional(Type.Boolean({ default: false })),
  optimize: Type.Optional(Type.Boolean({ default: true })),
});
const ModifySchema = Type.Object({
  add_content_units: Type.Optional(Type.Array(Type.String())),
  remove_content_units: Type.Optional(Type.Array(Type.String())),
  base_version: Type.Optional(Type.String()),
  overwrite: Type.Optional(Type.Boolean({ default: true })),
});

type RepoRow = Selectable<RepositoryTable> & { latest: number | null };

function selectRepos(services: Services) {
  return services.db
    .selectFrom('repository')
    .selectAll('repository')
    .select((eb) =>
      eb
        .selectFrom('repository_version as lv')
        .select((e) => e.fn.max('lv.number').as('m'))
        .whereRef('lv.repository_id', '=', 'repository.pulp_id')
        .where('lv.complete', '=', true)
        .as('latest'),
    )
    .where('repository.pulp_type', '=', 'file.file')
    .where('repository.user_hidden', '=', false);
}

export function serializeRepository(services: Services, r: RepoRow): Record<string, unknown> {
  const href = `${services.apiPrefix}${ENDPOINT}/${r.pulp_id}/`;
  const detail = r.detail as { manifest?: string | null; autopublish?: boolean; last_sync_details?: unknown };
  return {
    ...baseFields(r, href, PRN_MODEL),
    versions_href: `${href}versions/`,
    pulp_labels: r.pulp_labels,
    latest_version_href: `${href}versions/${r.latest ?? 0}/`,
    name: r.name,
    description: r.description,
    retain_repo_versions: r.retain_repo_versions,
    retain_checkpoints: r.retain_checkpoints,
    remote: r.remote_id ? `${services.apiPrefix}remotes/file/file/${r.remote_id}/` : null,
    autopublish: detail.autopublish ?? false,
    manifest: detail.manifest === undefined ? 'PULP_MANIFEST' : detail.manifest,
    last_sync_details: detail.last_sync_details ?? {},
  };
}

/** Content hrefs or PRNs -> ids; 400 listing every reference that is not an existing unit. */
async function contentIds(ctx: RequestContext, field: string, refs: string[]): Promise<string[]> {
  const ids = refs.map((r) => {
    const prn = parsePrn(r);
    if (prn) return prn.pk;
    return /\/content\/[a-z0-9_]+\/[a-z0-9_]+\/([0-9a-f-]{36})\/$/.exec(hrefPath(r) ?? '')?.[1] ?? '';
  });
  const valid = ids.filter((id) => isUuid(id));
  const found = new Set<string>();
  for (let i = 0; i < valid.length; i += 5000) {
    const rows = await sql<{
      id: string;
    }>`SELECT pulp_id::text AS id FROM content WHERE pulp_id = ANY(${valid.slice(i, i + 5000)}::uuid[])`.execute(
      ctx.services.db,
    );
    for (const r of rows.rows) found.add(r.id);
  }
  const missing = refs.filter((_, i) => !found.has(ids[i] ?? ''));
  if (missing.length > 0)
    throw new ValidationError({ [field]: [`Could not find the following content units: ${missing.join(', ')}`] });
  return ids;
}

async function loadRepo(ctx: RequestContext): Promise<RepoRow> {
  const id = routeId(ctx, 'FileRepository', 'repository_pk');
  const row = await selectRepos(ctx.services).where('repository.pulp_id', '=', id).executeTakeFirst();
  if (!row) throw new NotFoundError('No FileRepository matches the given query.');
  return row;
}

/** Column values of a create/update body (`detail` keeps the plugin fields). */
async function repositoryColumns(
  ctx: RequestContext,
  body: Record<string, unknown>,
  current?: RepoRow,
): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const k of ['name', 'description', 'retain_repo_versions', 'retain_checkpoints'] as const)
    if (k in body) out[k] = body[k];
  if ('pulp_labels' in body) out.pulp_labels = JSON.stringify(validateLabels(body.pulp_labels));
  if ('remote' in body)
    out.remote_id =
      body.remote === null ? null : await resolveReference(ctx, 'remote', body.remote, 'remote', 'remotes/file/file');
  const detail: Record<string, unknown> = { manifest: 'PULP_MANIFEST', autopublish: false, ...(current?.detail ?? {}) };
  if ('autopublish' in body) detail.autopublish = body.autopublish;
  if ('manifest' in body) detail.manifest = body.manifest;
  out.detail = JSON.stringify(detail);
  return out;
}

const filterSet: FilterSet = {
  filters: [
    ...nameFilters('name', 'repository.name'),
    labelSelectFilter('repository.pulp_labels'),
    ...identityFilters('repository.pulp_id'),
  ],
  ordering: ['name', 'pulp_last_updated', 'description', 'next_version', 'retain_repo_versions', 'user_hidden'],
};

function updateOperation(method: 'PUT' | 'PATCH'): Operation {
  return {
    method,
    url: `${ENDPOINT}/:repository_pk/`,
    pathKey: PLACEHOLDER,
    operationId: method === 'PUT' ? 'repositories_file_file_update' : 'repositories_file_file_partial_update',
    tag: TAG,
    body: {
      name: method === 'PUT' ? 'file.FileRepository' : 'Patchedfile.FileRepository',
      schema: method === 'PUT' ? FileRepositorySchema : PatchedFileRepositorySchema,
    },
    responses: { 200: { schema: 'file.FileRepositoryResponse' }, 202: { schema: 'AsyncOperationResponse' } },
    access: { viewset: 'repositories/file/file', action: method === 'PUT' ? 'update' : 'partial_update' },
    async handle(ctx) {
      const row = await loadRepo(ctx);
      await checkUniqueName(ctx, 'repository', ctx.body.name, row.pulp_id);
      const data = await repositoryColumns(ctx, ctx.body, row);
      const before = serializeRepository(ctx.services, row);
      const after = { ...row, ...data, detail: JSON.parse(data.detail as string) as Record<string, unknown> };
      if ('pulp_labels' in data)
        after.pulp_labels = JSON.parse(data.pulp_labels as string) as Record<string, string | null>;
      if (JSON.stringify(serializeRepository(ctx.services, after)) === JSON.stringify(before))
        return { status: 200, body: before };
      return dispatchGeneric(
        ctx,
        GENERAL_UPDATE,
        'repository',
        { pulp_id: row.pulp_id, data, partial: method === 'PATCH' },
        {
          exclusiveResources: [lockName('repository', row.pulp_id)],
          immediate: true,
          deferred: true,
        },
      );
    },
  };
}

export function repositoryOperations(): Operation[] {
  const byId = `${ENDPOINT}/:repository_pk/`;
  return [
    {
      method: 'GET',
      url: `${ENDPOINT}/`,
      pathKey: `${ENDPOINT}/`,
      operationId: 'repositories_file_file_list',
      tag: TAG,
      filters: filterSet,
      responses: { 200: { schema: 'Paginatedfile.FileRepositoryResponseList' } },
      access: { viewset: 'repositories/file/file', action: 'list' },
      async handle(ctx) {
        return listResponse(ctx, selectRepos(ctx.services), {
          filterSet,
          tableAlias: 'repository',
          serialize: (rows: RepoRow[]) => rows.map((r) => serializeRepository(ctx.services, r)),
        });
      },
    },
    {
      method: 'POST',
      url: `${ENDPOINT}/`,
      pathKey: `${ENDPOINT}/`,
      operationId: 'repositories_file_file_create',
      tag: TAG,
      body: { name: 'file.FileRepository', schema: FileRepositorySchema },
      responses: { 201: { schema: 'file.FileRepositoryResponse' } },
      access: { viewset: 'repositories/file/file', action: 'create' },
      async handle(ctx) {
        await checkUniqueName(ctx, 'repository', ctx.body.name);
        const data = await repositoryColumns(ctx, ctx.body);
        const id = await ctx.services.db.transaction().execute(async (trx) => {
          const row = await trx
            .insertInto('repository')
            .values({ pulp_type: 'file.file', ...data } as never)
            .returning('pulp_id')
            .executeTakeFirstOrThrow();
          await createInitialVersion(trx, row.pulp_id);
          return row.pulp_id;
        });
        const row = await selectRepos(ctx.services).where('repository.pulp_id', '=', id).executeTakeFirstOrThrow();
        return { status: 201, body: serializeRepository(ctx.services, row) };
      },
    },
    {
      method: 'GET',
      url: byId,
      pathKey: PLACEHOLDER,
      operationId: 'repositories_file_file_read',
      tag: TAG,
      responses: { 200: { schema: 'file.FileRepositoryResponse' } },
      access: { viewset: 'repositories/file/file', action: 'retrieve' },
      async handle(ctx) {
        return { status: 200, body: serializeRepository(ctx.services, await loadRepo(ctx)) };
      },
    },
    updateOperation('PUT'),
    updateOperation('PATCH'),
    {
      method: 'DELETE',
      url: byId,
      pathKey: PLACEHOLDER,
      operationId: 'repositories_file_file_delete',
      tag: TAG,
      responses: { 202: { schema: 'AsyncOperationResponse' } },
      access: { viewset: 'repositories/file/file', action: 'destroy' },
      async handle(ctx) {
        const row = await loadRepo(ctx);
        return dispatchGeneric(
          ctx,
          GENERAL_DELETE,
          'repository',
          { pulp_id: row.pulp_id },
          { exclusiveResources: [lockName('repository', row.pulp_id)] },
        );
      },
    },
    {
      method: 'POST',
      url: `${byId}sync/`,
      pathKey: `${PLACEHOLDER}sync/`,
      operationId: 'repositories_file_file_sync',
      tag: TAG,
      body: { name: 'FileRepositorySyncURL', schema: SyncSchema },
      responses: { 202: { schema: 'AsyncOperationResponse' } },
      access: { viewset: 'repositories/file/file', action: 'sync' },
      async handle(ctx) {
        const repo = await loadRepo(ctx);
        const remoteId =
          ctx.body.remote !== undefined
            ? await resolveReference(ctx, 'remote', ctx.body.remote, 'remote', 'remotes/file/file')
            : repo.remote_id;
        if (!remoteId)
          throw new ValidationError({ remote: ['A remote must be specified, or the repository must have a remote.'] });
        const mirror = ctx.body.mirror === true;
        if (mirror && (repo.detail as { autopublish?: boolean }).autopublish) {
          throw new ValidationError(['Cannot use mirror mode with autopublished repository.']);
        }
        return dispatchReply(
          ctx,
          SYNC_TASK,
          { remote_pk: remoteId, repository_pk: repo.pulp_id, mirror, optimize: ctx.body.optimize !== false },
          {
            exclusiveResources: [lockName('repository', repo.pulp_id)],
            sharedResources: [lockName('remote', remoteId)],
          },
        );
      },
    },
    {
      method: 'POST',
      url: `${byId}modify/`,
      pathKey: `${PLACEHOLDER}modify/`,
      operationId: 'repositories_file_file_modify',
      tag: TAG,
      body: { name: 'RepositoryAddRemoveContent', schema: ModifySchema },
      responses: { 202: { schema: 'AsyncOperationResponse' } },
      access: { viewset: 'repositories/file/file', action: 'modify' },
      async handle(ctx) {
        const repo = await loadRepo(ctx);
        const removeRefs = (ctx.body.remove_content_units as string[] | undefined) ?? [];
        if (removeRefs.includes('*') && removeRefs.length > 1)
          throw new ValidationError({ remove_content_units: ["'*' must be the only item when present."] });
        const add = await contentIds(
          ctx,
          'add_content_units',
          (ctx.body.add_content_units as string[] | undefined) ?? [],
        );
        const remove = removeRefs.includes('*') ? ['*'] : await contentIds(ctx, 'remove_content_units', removeRefs);
        // As Pulp: the base version may belong to any repository (pulp-cli's --base-repository).
        const baseVersion =
          typeof ctx.body.base_version === 'string'
            ? (await resolveVersionReference(ctx.services.db, 'base_version', ctx.body.base_version)).versionId
            : null;
        return dispatchReply(
          ctx,
          ADD_AND_REMOVE_TASK,
          {
            repository_pk: repo.pulp_id,
            add_content_units: add,
            remove_content_units: remove,
            base_version_pk: baseVersion,
            overwrite: ctx.body.overwrite !== false,
          },
          { exclusiveResources: [lockName('repository', repo.pulp_id)] },
        );
      },
    },
    ...labelOperations({
      url: `${ENDPOINT}/:pulp_id/`,
      pathKey: PLACEHOLDER,
      opIdPrefix: 'repositories_file_file',
      tag: TAG,
      table: 'repository',
      pulpType: 'file.file',
      modelName: 'FileRepository',
      viewset: 'repositories/file/file',
    }),
    ...repositoryVersionOperations({
      typePath: ENDPOINT,
      pulpType: 'file.file',
      placeholder: PLACEHOLDER,
      versionPlaceholder: '{file_file_repository_version_href}',
      opIdPrefix: 'repositories_file_file',
      tag: 'Repositories: File Versions',
      viewset: 'repositories/file/file/versions',
    }),
  ];
}

export const repositoryComponents = [
  { name: 'file.FileRepository', schema: FileRepositorySchema },
  { name: 'Patchedfile.FileRepository', schema: PatchedFileRepositorySchema },
  { name: 'file.FileRepositoryResponse', schema: FileRepositoryResponseSchema },
  { name: 'FileRepositorySyncURL', schema: SyncSchema },
  { name: 'RepositoryAddRemoveContent', schema: ModifySchema },
];

export const fileRepositoryType: ResourceTypeDefinition = {
  kind: 'repository',
  pulpType: 'file.file',
  endpoint: ENDPOINT,
  prnModel: PRN_MODEL,
  modelName: 'FileRepository',
  contentTypes: ['file.file'],
  finalizeVersion: (trx, repositoryId, number, options) => finalizeFileVersion(trx, repositoryId, number, options),
  /** pulp_file's autopublish: the task that created the version publishes it too. */
  async afterVersion(ctx, repositoryId, version) {
    const repo = await ctx.services.db
      .selectFrom('repository')
      .select('detail')
      .where('pulp_id', '=', repositoryId)
      .executeTakeFirst();
    const detail = (repo?.detail ?? {}) as { autopublish?: boolean; manifest?: string | null };
    if (!detail.autopublish) return;
    const id = await publishVersion(ctx.services, version.pulp_id, {
      manifest: detail.manifest === undefined ? 'PULP_MANIFEST' : detail.manifest,
    });
    await ctx.addCreatedResource(`${ctx.services.apiPrefix}publications/file/file/${id}/`);
  },
  async serialize(services, ids) {
    if (ids.length === 0) return [];
    const rows = await selectRepos(services).where('repository.pulp_id', 'in', ids).execute();
    return rows.map((r) => serializeRepository(services, r as RepoRow));
  },
};

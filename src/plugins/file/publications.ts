import { type TObject, Type } from '@sinclair/typebox';
import { sql } from 'kysely';

import { NotFoundError, ValidationError } from '../../core/errors.js';
import { hrefPath } from '../../core/ids.js';
import { dispatchReply } from '../../plugin-api/dispatch-reply.js';
import { dateTimeFilters, exactFilter, type FilterSet, identityFilters } from '../../plugin-api/filters.js';
import { listResponse } from '../../plugin-api/list.js';
import type { Operation, RequestContext, Services } from '../../plugin-api/operations.js';
import { baseFields, BaseFieldsSchema } from '../../plugin-api/resource-fields.js';
import type { ResourceTypeDefinition } from '../../plugin-api/resource-types.js';
import { latestVersionNumber } from '../../plugin-api/repository-versions.js';
import { lockName, resolveReference, routeId } from './common.js';

const ENDPOINT = 'publications/file/file';
const TAG = 'Publications: File';
const PLACEHOLDER = '{file_file_publication_href}';
const PUBLISH = 'pulp_file.app.tasks.publishing.publish';

const nullable = <T extends import('@sinclair/typebox').TSchema>(t: T) => Type.Union([t, Type.Null()]);
export const FilePublicationSchema = Type.Object({
  repository: Type.Optional(Type.String()),
  repository_version: Type.Optional(Type.String()),
  manifest: Type.Optional(nullable(Type.String({ default: 'PULP_MANIFEST' }))),
  checkpoint: Type.Optional(Type.Boolean()),
});
export const FilePublicationResponseSchema = Type.Object({
  ...BaseFieldsSchema,
  repository_version: Type.String({ format: 'uri' }),
  repository: Type.String({ format: 'uri' }),
  distributions: Type.Array(Type.String({ format: 'uri' }), { readOnly: true }),
  manifest: nullable(Type.String()),
  checkpoint: Type.Boolean(),
}) as TObject;

interface PubRow {
  pulp_id: string;
  pulp_created: string;
  pulp_last_updated: string;
  checkpoint: boolean;
  detail: Record<string, unknown>;
  repository_id: string;
  number: number;
  distributions: string[] | null;
}

function selectPublications(services: Services) {
  return services.db
    .selectFrom('publication as p')
    .innerJoin('repository_version as v', 'v.pulp_id', 'p.repository_version_id')
    .select([
      'p.pulp_id',
      'p.pulp_created',
      'p.pulp_last_updated',
      'p.checkpoint',
      'p.detail',
      'v.repository_id',
      'v.number',
    ])
    .select(
      sql<
        string[] | null
      >`(SELECT array_agg(d.pulp_id::text ORDER BY d.pulp_created) FROM distribution d WHERE d.publication_id = p.pulp_id)`.as(
        'distributions',
      ),
    )
    .where('p.pulp_type', '=', 'file.file')
    .where('p.complete', '=', true);
}

function serializePublication(services: Services, r: PubRow): Record<string, unknown> {
  const repo = `${services.apiPrefix}repositories/file/file/${r.repository_id}/`;
  return {
    ...baseFields(r, `${services.apiPrefix}${ENDPOINT}/${r.pulp_id}/`, 'file.filepublication'),
    repository_version: `${repo}versions/${r.number}/`,
    repository: repo,
    distributions: (r.distributions ?? []).map((d) => `${services.apiPrefix}distributions/file/file/${d}/`),
    manifest: (r.detail as { manifest?: string | null }).manifest ?? null,
    checkpoint: r.checkpoint,
  };
}

export async function publicationById(services: Services, id: string): Promise<Record<string, unknown>> {
  const row = await selectPublications(services).where('p.pulp_id', '=', id).executeTakeFirstOrThrow();
  return serializePublication(services, row);
}

/** A version href (`<repo href>versions/<n>/`) -> version id, or a 400 on the field. */
export async function resolveVersion(
  ctx: RequestContext,
  field: string,
  value: unknown,
): Promise<{ id: string; repositoryId: string }> {
  const m = /repositories\/file\/file\/([0-9a-f-]{36})\/versions\/(\d+)\/$/.exec(hrefPath(String(value)) ?? '');
  if (!m) throw new ValidationError({ [field]: ['Invalid hyperlink - Object does not exist.'] });
  const v = await ctx.services.db
    .selectFrom('repository_version')
    .select(['pulp_id', 'repository_id'])
    .where('repository_id', '=', m[1]!)
    .where('number', '=', Number(m[2]))
    .where('complete', '=', true)
    .executeTakeFirst();
  if (!v) throw new ValidationError({ [field]: ['Invalid hyperlink - Object does not exist.'] });
  return { id: v.pulp_id, repositoryId: v.repository_id };
}

const filterSet: FilterSet = {
  filters: [
    ...dateTimeFilters('pulp_created', 'p.pulp_created'),
    ...identityFilters('p.pulp_id'),
    exactFilter('checkpoint', 'p.checkpoint', 'boolean'),
    {
      name: 'repository_version',
      type: 'string',
      apply: (v) => {
        const m = /repositories\/file\/file\/([0-9a-f-]{36})\/versions\/(\d+)\/$/.exec(
          hrefPath(v[v.length - 1] ?? '') ?? '',
        );
        if (!m) throw new ValidationError({ repository_version: ['Invalid hyperlink - Object does not exist.'] });
        return sql<boolean>`(v.repository_id = ${m[1]} AND v.number = ${Number(m[2])})`;
      },
    },
    {
      name: 'repository',
      type: 'string',
      apply: (v) => {
        const m = /([0-9a-f-]{36})\/?$/.exec(v[v.length - 1] ?? '');
        return m ? sql<boolean>`v.repository_id = ${m[1]}` : sql<boolean>`false`;
      },
    },
  ],
  ordering: ['pulp_created', 'pulp_last_updated'],
  orderingColumns: { pulp_created: 'p.pulp_created', pulp_last_updated: 'p.pulp_last_updated' },
};

export function publicationOperations(): Operation[] {
  const byId = `${ENDPOINT}/:pulp_id/`;
  const load = async (ctx: RequestContext) => {
    const row = await selectPublications(ctx.services)
      .where('p.pulp_id', '=', routeId(ctx, 'FilePublication'))
      .executeTakeFirst();
    if (!row) throw new NotFoundError('No FilePublication matches the given query.');
    return row;
  };
  return [
    {
      method: 'GET',
      url: `${ENDPOINT}/`,
      pathKey: `${ENDPOINT}/`,
      operationId: 'publications_file_file_list',
      tag: TAG,
      filters: filterSet,
      responses: { 200: { schema: 'Paginatedfile.FilePublicationResponseList' } },
      access: { viewset: 'publications/file/file', action: 'list' },
      async handle(ctx) {
        return listResponse(ctx, selectPublications(ctx.services), {
          filterSet,
          tableAlias: 'p',
          serialize: (rows: PubRow[]) => rows.map((r) => serializePublication(ctx.services, r)),
        });
      },
    },
    {
      method: 'POST',
      url: `${ENDPOINT}/`,
      pathKey: `${ENDPOINT}/`,
      operationId: 'publications_file_file_create',
      tag: TAG,
      body: { name: 'file.FilePublication', schema: FilePublicationSchema },
      responses: { 202: { schema: 'AsyncOperationResponse' } },
      access: { viewset: 'publications/file/file', action: 'create' },
      async handle(ctx) {
        const { repository, repository_version: version } = ctx.body;
        if ((repository === undefined) === (version === undefined)) {
          throw new ValidationError({
            non_field_errors: ["Either the 'repository' or 'repository_version' need to be specified but not both."],
          });
        }
        let versionId: string;
        let repositoryId: string;
        if (repository !== undefined) {
          repositoryId = await resolveReference(ctx, 'repository', repository, 'repository', 'repositories/file/file');
          const n = await latestVersionNumber(ctx.services.db, repositoryId);
          const v = await ctx.services.db
            .selectFrom('repository_version')
            .select('pulp_id')
            .where('repository_id', '=', repositoryId)
            .where('number', '=', n ?? 0)
            .executeTakeFirst();
          if (!v) throw new ValidationError({ repository: ['This repository has no version available to publish.'] });
          versionId = v.pulp_id;
        } else {
          ({ id: versionId, repositoryId } = await resolveVersion(ctx, 'repository_version', version));
        }
        return dispatchReply(
          ctx,
          PUBLISH,
          {
            repository_version_pk: versionId,
            manifest: ctx.body.manifest === undefined ? 'PULP_MANIFEST' : ctx.body.manifest,
            checkpoint: ctx.body.checkpoint === true,
          },
          { sharedResources: [lockName('repository', repositoryId)] },
        );
      },
    },
    {
      method: 'GET',
      url: byId,
      pathKey: PLACEHOLDER,
      operationId: 'publications_file_file_read',
      tag: TAG,
      responses: { 200: { schema: 'file.FilePublicationResponse' } },
      access: { viewset: 'publications/file/file', action: 'retrieve' },
      async handle(ctx) {
        return { status: 200, body: serializePublication(ctx.services, await load(ctx)) };
      },
    },
    {
      method: 'DELETE',
      url: byId,
      pathKey: PLACEHOLDER,
      operationId: 'publications_file_file_delete',
      tag: TAG,
      responses: { 204: {} },
      access: { viewset: 'publications/file/file', action: 'destroy' },
      async handle(ctx) {
        const row = await load(ctx);
        await ctx.services.db.transaction().execute(async (trx) => {
          await trx.deleteFrom('publication').where('pulp_id', '=', row.pulp_id).execute();
        });
        return { status: 204 };
      },
    },
  ];
}

export const publicationComponents = [
  { name: 'file.FilePublication', schema: FilePublicationSchema },
  { name: 'file.FilePublicationResponse', schema: FilePublicationResponseSchema },
];

export const filePublicationType: ResourceTypeDefinition = {
  kind: 'publication',
  pulpType: 'file.file',
  endpoint: ENDPOINT,
  prnModel: 'file.filepublication',
  modelName: 'FilePublication',
  async serialize(services, ids) {
    if (ids.length === 0) return [];
    const rows = await selectPublications(services).where('p.pulp_id', 'in', ids).execute();
    return rows.map((r) => serializePublication(services, r));
  },
};

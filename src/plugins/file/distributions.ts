import { type TObject, Type } from '@sinclair/typebox';
import { sql } from 'kysely';

import { NotFoundError, ValidationError } from '../../core/errors.js';
import { formatTimestamp, hrefPath, isUuid, parsePrn, pdrn } from '../../core/ids.js';
import { relativePathProblem } from '../../core/safe-path.js';
import {
  type Filter,
  type FilterSet,
  identityFilters,
  labelSelectFilter,
  nameFilters,
} from '../../plugin-api/filters.js';
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
import {
  checkUniqueName,
  dispatchGeneric,
  GENERAL_CREATE,
  GENERAL_DELETE,
  GENERAL_UPDATE,
  lockName,
  resolveReference,
  routeId,
} from './common.js';

const ENDPOINT = 'distributions/file/file';
const TAG = 'Distributions: File';
const PLACEHOLDER = '{file_file_distribution_href}';
const nullable = <T extends import('@sinclair/typebox').TSchema>(t: T) => Type.Union([t, Type.Null()]);

const writable = {
  base_path: Type.String({ minLength: 1 }),
  content_guard: Type.Optional(nullable(Type.String())),
  hidden: Type.Optional(Type.Boolean({ default: false })),
  pulp_labels: Type.Optional(LabelsSchema),
  name: Type.String({ minLength: 1 }),
  repository: Type.Optional(nullable(Type.String())),
  publication: Type.Optional(nullable(Type.String())),
  checkpoint: Type.Optional(Type.Boolean()),
};
export const FileDistributionSchema = Type.Object(writable);
export const PatchedFileDistributionSchema = Type.Partial(Type.Object(writable));
export const FileDistributionResponseSchema = Type.Object({
  ...BaseFieldsSchema,
  ...writable,
  base_url: Type.String({ readOnly: true }),
  content_guard_prn: nullable(Type.String({ readOnly: true })),
  no_content_change_since: nullable(Type.String({ readOnly: true })),
}) as TObject;

interface DistRow {
  pulp_id: string;
  pulp_created: string;
  pulp_last_updated: string;
  name: string;
  base_path: string;
  pulp_labels: Record<string, string | null>;
  hidden: boolean;
  content_guard_id: string | null;
  guard_type: string | null;
  repository_id: string | null;
  publication_id: string | null;
  detail: Record<string, unknown>;
}

function selectDistributions(services: Services) {
  return services.db
    .selectFrom('distribution as d')
    .leftJoin('content_guard as g', 'g.pulp_id', 'd.content_guard_id')
    .select([
      'd.pulp_id',
      'd.pulp_created',
      'd.pulp_last_updated',
      'd.name',
      'd.base_path',
      'd.pulp_labels',
      'd.hidden',
      'd.content_guard_id',
      'g.pulp_type as guard_type',
      'd.repository_id',
      'd.publication_id',
      'd.detail',
    ])
    .where('d.pulp_type', '=', 'file.file');
}

function serializeDistribution(services: Services, r: DistRow): Record<string, unknown> {
  const s = services.settings;
  const guardHref =
    r.content_guard_id && r.guard_type
      ? `${services.apiPrefix}contentguards/${r.guard_type.replace('.', '/')}/${r.content_guard_id}/`
      : null;
  return {
    ...baseFields(r, `${services.apiPrefix}${ENDPOINT}/${r.pulp_id}/`, 'file.filedistribution'),
    base_path: r.base_path,
    base_url: `${s.CONTENT_ORIGIN ?? ''}${s.CONTENT_PATH_PREFIX}${r.base_path}/`,
    content_guard: guardHref,
    content_guard_prn:
      r.content_guard_id && r.guard_type
        ? `prn:${r.guard_type.split('.')[0]}.${r.guard_type.split('.')[1]}contentguard:${r.content_guard_id}`
        : null,
    no_content_change_since: r.publication_id ? formatTimestamp(r.pulp_last_updated) : null,
    hidden: r.hidden,
    pulp_labels: r.pulp_labels,
    name: r.name,
    repository: r.repository_id ? `${services.apiPrefix}repositories/file/file/${r.repository_id}/` : null,
    publication: r.publication_id ? `${services.apiPrefix}publications/file/file/${r.publication_id}/` : null,
    checkpoint: (r.detail as { checkpoint?: boolean }).checkpoint ?? false,
  };
}

async function load(ctx: RequestContext): Promise<DistRow> {
  const row = await selectDistributions(ctx.services)
    .where('d.pulp_id', '=', routeId(ctx, 'FileDistribution'))
    .executeTakeFirst();
  if (!row) throw new NotFoundError('No FileDistribution matches the given query.');
  return row;
}

/** Validates a body (merged over the stored values for PATCH) into column values. */
async function distributionColumns(
  ctx: RequestContext,
  body: Record<string, unknown>,
  current?: DistRow,
): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  if ('name' in body) out.name = body.name;
  if ('hidden' in body) out.hidden = body.hidden;
  if ('pulp_labels' in body) out.pulp_labels = validateLabels(body.pulp_labels);
  if ('base_path' in body) {
    const bp = body.base_path as string;
    const problem = relativePathProblem(bp);
    if (problem)
      throw new ValidationError({ base_path: [`The path ${JSON.stringify(bp)} is not in canonical form: ${problem}`] });
    const clash = await sql<{ name: string; base_path: string }>`SELECT name, base_path FROM distribution
      WHERE pulp_id IS DISTINCT FROM ${current?.pulp_id ?? null}::uuid
        AND (base_path = ${bp} OR starts_with(base_path, ${`${bp}/`}) OR starts_with(${bp}, base_path || '/')) LIMIT 1`.execute(
      ctx.services.db,
    );
    const c = clash.rows[0];
    if (c?.base_path === bp) throw new ValidationError({ base_path: ['This field must be unique.'] });
    if (c) throw new ValidationError({ base_path: { base_path: `Overlaps with existing distribution '${c.name}'` } });
    out.base_path = bp;
  }
  if ('content_guard' in body)
    out.content_guard_id = body.content_guard === null ? null : await resolveGuard(ctx, body.content_guard);
  if ('repository' in body)
    out.repository_id =
      body.repository === null
        ? null
        : await resolveReference(ctx, 'repository', body.repository, 'repository', 'repositories/file/file');
  if ('publication' in body) {
    out.publication_id =
      body.publication === null
        ? null
        : await resolveReference(ctx, 'publication', body.publication, 'publication', 'publications/file/file');
  }
  const repo = 'repository_id' in out ? out.repository_id : current?.repository_id;
  const pub = 'publication_id' in out ? out.publication_id : current?.publication_id;
  if (repo && pub)
    throw new ValidationError({
      non_field_errors: ["Only one of the attributes 'repository' and 'publication' may be used simultaneously."],
    });
  const checkpoint =
    'checkpoint' in body
      ? body.checkpoint === true
      : ((current?.detail as { checkpoint?: boolean } | undefined)?.checkpoint ?? false);
  if (checkpoint && !repo)
    throw new ValidationError({ non_field_errors: ["The 'checkpoint' attribute may only be used with 'repository'."] });
  if ('checkpoint' in body) out.detail = { ...(current?.detail ?? {}), checkpoint };
  return out;
}

async function resolveGuard(ctx: RequestContext, value: unknown): Promise<string> {
  const v = String(value);
  const id =
    parsePrn(v)?.pk ?? /\/contentguards\/[a-z0-9_]+\/[a-z0-9_]+\/([0-9a-f-]{36})\/$/.exec(hrefPath(v) ?? '')?.[1] ?? '';
  if (!isUuid(id)) throw new ValidationError({ content_guard: ['Invalid hyperlink - Object does not exist.'] });
  const g = await ctx.services.db
    .selectFrom('content_guard')
    .select('pulp_id')
    .where('pulp_id', '=', id)
    .executeTakeFirst();
  if (!g) throw new ValidationError({ content_guard: ['Invalid hyperlink - Object does not exist.'] });
  return id;
}

const repoFilter = (name: string): Filter => ({
  name,
  type: name.endsWith('__in') ? 'string-list' : 'string',
  apply: (v) => {
    const ids = v
      .flatMap((x) => x.split(','))
      .map((x) => parsePrn(x)?.pk ?? /([0-9a-f-]{36})\/?$/.exec(x)?.[1] ?? '')
      .filter(isUuid);
    return ids.length === 0 ? sql<boolean>`false` : sql<boolean>`d.repository_id = ANY(${ids}::uuid[])`;
  },
});

const filterSet: FilterSet = {
  filters: [
    ...nameFilters('name', 'd.name'),
    ...nameFilters('base_path', 'd.base_path').filter((f) =>
      ['base_path', 'base_path__contains', 'base_path__icontains', 'base_path__in'].includes(f.name),
    ),
    repoFilter('repository'),
    repoFilter('repository__in'),
    labelSelectFilter('d.pulp_labels'),
    ...identityFilters('d.pulp_id'),
  ],
  ordering: ['name', 'base_path', 'pulp_last_updated'],
  orderingColumns: {
    name: 'd.name',
    base_path: 'd.base_path',
    pulp_created: 'd.pulp_created',
    pulp_last_updated: 'd.pulp_last_updated',
  },
};

const BASE_PATH_LOCK = pdrn('distribution.base_path');
const DISTRIBUTIONS_LOCK = pdrn('distributions');

function updateOperation(method: 'PUT' | 'PATCH'): Operation {
  return {
    method,
    url: `${ENDPOINT}/:pulp_id/`,
    pathKey: PLACEHOLDER,
    tag: TAG,
    operationId: method === 'PUT' ? 'distributions_file_file_update' : 'distributions_file_file_partial_update',
    body: {
      name: method === 'PUT' ? 'file.FileDistribution' : 'Patchedfile.FileDistribution',
      schema: method === 'PUT' ? FileDistributionSchema : PatchedFileDistributionSchema,
    },
    responses: { 200: { schema: 'file.FileDistributionResponse' }, 202: { schema: 'AsyncOperationResponse' } },
    access: { viewset: 'distributions/file/file', action: method === 'PUT' ? 'update' : 'partial_update' },
    async handle(ctx) {
      const row = await load(ctx);
      await checkUniqueName(ctx, 'distribution', ctx.body.name, row.pulp_id);
      const data = await distributionColumns(ctx, ctx.body, row);
      const changed = Object.entries(data).some(
        ([k, v]) => JSON.stringify(v) !== JSON.stringify((row as unknown as Record<string, unknown>)[k]),
      );
      if (!changed) return { status: 200, body: serializeDistribution(ctx.services, row) };
      const exclusive = [lockName('distribution', row.pulp_id)];
      if ('base_path' in data && data.base_path !== row.base_path) exclusive.push(BASE_PATH_LOCK);
      return dispatchGeneric(
        ctx,
        GENERAL_UPDATE,
        'distribution',
        { pulp_id: row.pulp_id, data },
        { exclusiveResources: exclusive, sharedResources: [DISTRIBUTIONS_LOCK], immediate: true, deferred: true },
      );
    },
  };
}

export function distributionOperations(): Operation[] {
  const byId = `${ENDPOINT}/:pulp_id/`;
  return [
    {
      method: 'GET',
      url: `${ENDPOINT}/`,
      pathKey: `${ENDPOINT}/`,
      operationId: 'distributions_file_file_list',
      tag: TAG,
      filters: filterSet,
      responses: { 200: { schema: 'Paginatedfile.FileDistributionResponseList' } },
      access: { viewset: 'distributions/file/file', action: 'list' },
      async handle(ctx) {
        return listResponse(ctx, selectDistributions(ctx.services), {
          filterSet,
          tableAlias: 'd',
          serialize: (rows: DistRow[]) => rows.map((r) => serializeDistribution(ctx.services, r)),
        });
      },
    },
    {
      method: 'POST',
      url: `${ENDPOINT}/`,
      pathKey: `${ENDPOINT}/`,
      operationId: 'distributions_file_file_create',
      tag: TAG,
      body: { name: 'file.FileDistribution', schema: FileDistributionSchema },
      responses: { 202: { schema: 'AsyncOperationResponse' } },
      access: { viewset: 'distributions/file/file', action: 'create' },
      async handle(ctx) {
        await checkUniqueName(ctx, 'distribution', ctx.body.name);
        const data = await distributionColumns(ctx, ctx.body);
        return dispatchGeneric(
          ctx,
          GENERAL_CREATE,
          'distribution',
          { data },
          { exclusiveResources: [BASE_PATH_LOCK], sharedResources: [DISTRIBUTIONS_LOCK] },
        );
      },
    },
    {
      method: 'GET',
      url: byId,
      pathKey: PLACEHOLDER,
      operationId: 'distributions_file_file_read',
      tag: TAG,
      responses: { 200: { schema: 'file.FileDistributionResponse' } },
      access: { viewset: 'distributions/file/file', action: 'retrieve' },
      async handle(ctx) {
        return { status: 200, body: serializeDistribution(ctx.services, await load(ctx)) };
      },
    },
    updateOperation('PUT'),
    updateOperation('PATCH'),
    {
      method: 'DELETE',
      url: byId,
      pathKey: PLACEHOLDER,
      operationId: 'distributions_file_file_delete',
      tag: TAG,
      responses: { 202: { schema: 'AsyncOperationResponse' } },
      access: { viewset: 'distributions/file/file', action: 'destroy' },
      async handle(ctx) {
        const row = await load(ctx);
        return dispatchGeneric(
          ctx,
          GENERAL_DELETE,
          'distribution',
          { pulp_id: row.pulp_id },
          {
            exclusiveResources: [lockName('distribution', row.pulp_id)],
            sharedResources: [DISTRIBUTIONS_LOCK],
            immediate: true,
            deferred: true,
          },
        );
      },
    },
    ...labelOperations({
      url: byId,
      pathKey: PLACEHOLDER,
      opIdPrefix: 'distributions_file_file',
      tag: TAG,
      table: 'distribution',
      pulpType: 'file.file',
      modelName: 'FileDistribution',
      viewset: 'distributions/file/file',
    }),
  ];
}

export const distributionComponents = [
  { name: 'file.FileDistribution', schema: FileDistributionSchema },
  { name: 'Patchedfile.FileDistribution', schema: PatchedFileDistributionSchema },
  { name: 'file.FileDistributionResponse', schema: FileDistributionResponseSchema },
];

export const fileDistributionType: ResourceTypeDefinition = {
  kind: 'distribution',
  pulpType: 'file.file',
  endpoint: ENDPOINT,
  prnModel: 'file.filedistribution',
  modelName: 'FileDistribution',
  affectsContentApp: true,
  async serialize(services, ids) {
    if (ids.length === 0) return [];
    const rows = await selectDistributions(services).where('d.pulp_id', 'in', ids).execute();
    return rows.map((r) => serializeDistribution(services, r));
  },
};

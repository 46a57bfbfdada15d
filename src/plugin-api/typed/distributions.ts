import { type TObject, type TProperties, type TSchema, Type } from '@sinclair/typebox';

import { NotFoundError, ValidationError } from '../../core/errors.js';
import { formatTimestamp, hrefPath } from '../../core/ids.js';
import type { Filter } from '../filters.js';
import { listResponse } from '../list.js';
import type { ComponentSchema, Operation, RequestContext, Services } from '../operations.js';
import { baseFields, BaseFieldsSchema, labelOperations, LabelsSchema, validateLabels } from '../resource-fields.js';
import { type ResourceTypeDefinition, typedHref, typedPrn } from '../resource-types.js';
import {
  changedFrom,
  checkUniqueName,
  dispatchGeneric,
  GENERAL_CREATE,
  GENERAL_DELETE,
  GENERAL_UPDATE,
  lockName,
  resolveReference,
  routeId,
} from './common.js';
import {
  basePathProblem,
  distributionFilterSet,
  BASE_PATH_LOCK,
  DISTRIBUTIONS_LOCK,
  resolveGuard,
} from './distribution-fields.js';
import { type TypeNames, type TypeNaming, typeNames } from './naming.js';

export interface DistributionRow {
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
  repository_type: string | null;
  repository_version_id: string | null;
  version_number: number | null;
  version_repository_id: string | null;
  version_repository_type: string | null;
  publication_id: string | null;
  publication_type: string | null;
  remote_id: string | null;
  remote_type: string | null;
  detail: Record<string, unknown>;
}

export interface DistributionTypeSpec extends TypeNaming {
  /** Repository types its `repository` may name. */
  repositoryTypes: string[];
  /** Publication types its `publication` may name; absent: the type has no `publication` field. */
  publicationTypes?: string[];
  /** Remote types its `remote` may name (pull-through); absent: no `remote` field. */
  remoteTypes?: string[];
  /** Whether it has `repository_version` (pulp_container). */
  repositoryVersion?: boolean;
  /** Whether it has `checkpoint` (core 3.74; types that serve publications). */
  checkpoint?: boolean;
  /** Plugin fields stored in `detail`, with defaults. */
  fields?: TProperties;
  /** Read-only plugin fields with their values. */
  readOnlyFields?: TProperties;
  serializeExtra?(services: Services, row: DistributionRow): Record<string, unknown>;
  /** `base_url` (default: CONTENT_ORIGIN + CONTENT_PATH_PREFIX + base_path + '/'); null leaves the field out. */
  baseUrl?: ((services: Services, row: DistributionRow) => string) | null;
  /** Extra checks of the merged values; returns field errors. */
  validate?(merged: Record<string, unknown>): Record<string, string[]> | undefined;
  filters?: Filter[];
  extraOperations?(distribution: TypedDistribution): Operation[];
}

export interface TypedDistribution {
  names: TypeNames;
  resourceType: ResourceTypeDefinition;
  components: ComponentSchema[];
  operations(): Operation[];
  serialize(services: Services, row: DistributionRow): Record<string, unknown>;
  load(ctx: RequestContext): Promise<DistributionRow>;
  byIds(services: Services, ids: string[]): Promise<DistributionRow[]>;
  /** Validated column values of a body (create when `current` is absent); used by plugin operations that create. */
  columns(
    ctx: RequestContext,
    body: Record<string, unknown>,
    current?: DistributionRow,
  ): Promise<Record<string, unknown>>;
}

const nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

function defaultsOf(fields: TProperties): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, s] of Object.entries(fields)) if (s.default !== undefined) out[k] = s.default;
  return out;
}

/** A distribution type's REST endpoints (CRUD as tasks, labels) with Pulp's base distribution fields. */
export function defineDistributionType(spec: DistributionTypeSpec): TypedDistribution {
  const names = typeNames('distribution', spec);
  const { pulpType, model, endpoint, placeholder, tag, component, opIdPrefix, prnModel } = names;
  const extra = spec.fields ?? {};
  const defaults = defaultsOf(extra);
  const writable: TProperties = {
    base_path: Type.String({ minLength: 1 }),
    content_guard: Type.Optional(nullable(Type.String())),
    hidden: Type.Optional(Type.Boolean({ default: false })),
    pulp_labels: Type.Optional(LabelsSchema),
    name: Type.String({ minLength: 1 }),
    repository: Type.Optional(nullable(Type.String())),
    ...(spec.repositoryVersion ? { repository_version: Type.Optional(nullable(Type.String())) } : {}),
    ...(spec.publicationTypes ? { publication: Type.Optional(nullable(Type.String())) } : {}),
    ...(spec.remoteTypes ? { remote: Type.Optional(nullable(Type.String())) } : {}),
    ...(spec.checkpoint ? { checkpoint: Type.Optional(Type.Boolean()) } : {}),
    ...extra,
  };
  const requestSchema = Type.Object(writable);
  const patchedSchema = Type.Partial(Type.Object(writable));
  const responseSchema = Type.Object({
    ...BaseFieldsSchema,
    ...writable,
    ...(spec.baseUrl === null ? {} : { base_url: Type.String({ readOnly: true }) }),
    content_guard_prn: nullable(Type.String({ readOnly: true })),
    no_content_change_since: nullable(Type.String({ readOnly: true })),
    ...(spec.readOnlyFields ?? {}),
  }) as TObject;

  function select(services: Services) {
    return services.db
      .selectFrom('distribution as d')
      .leftJoin('content_guard as g', 'g.pulp_id', 'd.content_guard_id')
      .leftJoin('repository as r', 'r.pulp_id', 'd.repository_id')
      .leftJoin('repository_version as rv', 'rv.pulp_id', 'd.repository_version_id')
      .leftJoin('repository as vr', 'vr.pulp_id', 'rv.repository_id')
      .leftJoin('publication as p', 'p.pulp_id', 'd.publication_id')
      .leftJoin('remote as rm', 'rm.pulp_id', 'd.remote_id')
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
        'r.pulp_type as repository_type',
        'd.repository_version_id',
        'rv.number as version_number',
        'rv.repository_id as version_repository_id',
        'vr.pulp_type as version_repository_type',
        'd.publication_id',
        'p.pulp_type as publication_type',
        'd.remote_id',
        'rm.pulp_type as remote_type',
        'd.detail',
      ])
      .where('d.pulp_type', '=', pulpType);
  }

  function serialize(services: Services, r: DistributionRow): Record<string, unknown> {
    const s = services.settings;
    const prefix = services.apiPrefix;
    const detail = { ...defaults, ...(r.detail ?? {}) };
    const out: Record<string, unknown> = {
      ...baseFields(r, `${prefix}${endpoint}/${r.pulp_id}/`, prnModel),
      base_path: r.base_path,
    };
    if (spec.baseUrl !== null)
      out.base_url = spec.baseUrl
        ? spec.baseUrl(services, r)
        : `${s.CONTENT_ORIGIN ?? ''}${s.CONTENT_PATH_PREFIX}${r.base_path}/`;
    out.content_guard =
      r.content_guard_id && r.guard_type ? typedHref(r.guard_type, 'contentguard', r.content_guard_id, prefix) : null;
    out.content_guard_prn =
      r.content_guard_id && r.guard_type ? typedPrn(r.guard_type, 'contentguard', r.content_guard_id) : null;
    out.no_content_change_since = r.publication_id ? formatTimestamp(r.pulp_last_updated) : null;
    out.hidden = r.hidden;
    out.pulp_labels = r.pulp_labels;
    out.name = r.name;
    out.repository = r.repository_id
      ? typedHref(r.repository_type ?? spec.repositoryTypes[0] ?? '', 'repository', r.repository_id, prefix)
      : null;
    if (spec.repositoryVersion)
      out.repository_version =
        r.repository_version_id && r.version_repository_id
          ? `${typedHref(r.version_repository_type ?? '', 'repository', r.version_repository_id, prefix)}versions/${r.version_number}/`
          : null;
    if (spec.publicationTypes)
      out.publication = r.publication_id
        ? typedHref(r.publication_type ?? spec.publicationTypes[0] ?? '', 'publication', r.publication_id, prefix)
        : null;
    if (spec.remoteTypes)
      out.remote = r.remote_id
        ? typedHref(r.remote_type ?? spec.remoteTypes[0] ?? '', 'remote', r.remote_id, prefix)
        : null;
    if (spec.checkpoint) out.checkpoint = (r.detail as { checkpoint?: boolean }).checkpoint ?? false;
    for (const k of Object.keys(extra)) out[k] = detail[k] ?? null;
    Object.assign(out, spec.serializeExtra?.(services, r) ?? {});
    return out;
  }

  async function load(ctx: RequestContext): Promise<DistributionRow> {
    const row = await select(ctx.services).where('d.pulp_id', '=', routeId(ctx, model)).executeTakeFirst();
    if (!row) throw new NotFoundError(`No ${model} matches the given query.`);
    return row;
  }

  async function byIds(services: Services, ids: string[]): Promise<DistributionRow[]> {
    if (ids.length === 0) return [];
    return await select(services).where('d.pulp_id', 'in', ids).execute();
  }

  async function resolveVersion(ctx: RequestContext, value: unknown): Promise<string> {
    const m = /\/([0-9a-f-]{36})\/versions\/(\d+)\/$/.exec(hrefPath(String(value)) ?? '');
    const v = m
      ? await ctx.services.db
          .selectFrom('repository_version as v')
          .innerJoin('repository as r', 'r.pulp_id', 'v.repository_id')
          .select('v.pulp_id')
          .where('v.repository_id', '=', m[1]!)
          .where('v.number', '=', Number(m[2]))
          .where('r.pulp_type', 'in', spec.repositoryTypes)
          .executeTakeFirst()
      : undefined;
    if (!v) throw new ValidationError({ repository_version: ['Invalid hyperlink - Object does not exist.'] });
    return v.pulp_id;
  }

  async function columns(
    ctx: RequestContext,
    body: Record<string, unknown>,
    current?: DistributionRow,
  ): Promise<Record<string, unknown>> {
    const out: Record<string, unknown> = {};
    if ('name' in body) out.name = body.name;
    if ('hidden' in body) out.hidden = body.hidden;
    if ('pulp_labels' in body) out.pulp_labels = validateLabels(body.pulp_labels);
    if ('base_path' in body) {
      const problem = await basePathProblem(ctx, body.base_path as string, current?.pulp_id ?? null);
      if (problem) throw new ValidationError(problem);
      out.base_path = body.base_path;
    }
    if ('content_guard' in body)
      out.content_guard_id = body.content_guard === null ? null : await resolveGuard(ctx, body.content_guard);
    if ('repository' in body)
      out.repository_id =
        body.repository === null
          ? null
          : await resolveReference(ctx, 'repository', body.repository, 'repository', spec.repositoryTypes);
    if (spec.repositoryVersion && 'repository_version' in body)
      out.repository_version_id =
        body.repository_version === null ? null : await resolveVersion(ctx, body.repository_version);
    if (spec.publicationTypes && 'publication' in body)
      out.publication_id =
        body.publication === null
          ? null
          : await resolveReference(ctx, 'publication', body.publication, 'publication', spec.publicationTypes);
    if (spec.remoteTypes && 'remote' in body)
      out.remote_id =
        body.remote === null ? null : await resolveReference(ctx, 'remote', body.remote, 'remote', spec.remoteTypes);
    const pick = (col: 'repository_id' | 'publication_id' | 'repository_version_id') =>
      col in out ? out[col] : current?.[col];
    const pointers = [pick('repository_id'), pick('publication_id'), pick('repository_version_id')].filter(Boolean);
    if (pointers.length > 1) {
      const fields = [
        'repository',
        spec.publicationTypes ? 'publication' : null,
        spec.repositoryVersion ? 'repository_version' : null,
      ]
        .filter(Boolean)
        .map((f) => `'${f}'`);
      throw new ValidationError({
        non_field_errors: [`Only one of the attributes ${fields.join(' and ')} may be used simultaneously.`],
      });
    }
    const detail: Record<string, unknown> = { ...defaults, ...(current?.detail ?? {}) };
    let detailChanged = !current;
    if (spec.checkpoint) {
      const checkpoint =
        'checkpoint' in body
          ? body.checkpoint === true
          : ((current?.detail as { checkpoint?: boolean })?.checkpoint ?? false);
      if (checkpoint && !pick('repository_id'))
        throw new ValidationError({
          non_field_errors: ["The 'checkpoint' attribute may only be used with 'repository'."],
        });
      if ('checkpoint' in body) {
        detail.checkpoint = checkpoint;
        detailChanged = true;
      }
    }
    for (const k of Object.keys(extra))
      if (k in body) {
        detail[k] = body[k];
        detailChanged = true;
      }
    const errors = spec.validate?.({ ...(current ?? {}), ...detail, ...body });
    if (errors && Object.keys(errors).length > 0) throw new ValidationError(errors);
    if (detailChanged) out.detail = detail;
    return out;
  }

  const filterSet = distributionFilterSet(spec.filters ?? []);
  const access = (action: string) => ({ viewset: endpoint, action });
  const lock = (id: string) => lockName(pulpType, 'distribution', id);

  function updateOperation(method: 'PUT' | 'PATCH'): Operation {
    return {
      method,
      url: `${endpoint}/:pulp_id/`,
      pathKey: placeholder,
      tag,
      operationId: `${opIdPrefix}_${method === 'PUT' ? 'update' : 'partial_update'}`,
      body: {
        name: method === 'PUT' ? component : `Patched${component}`,
        schema: method === 'PUT' ? requestSchema : patchedSchema,
      },
      responses: { 200: { schema: `${component}Response` }, 202: { schema: 'AsyncOperationResponse' } },
      access: access(method === 'PUT' ? 'update' : 'partial_update'),
      async handle(ctx) {
        const row = await load(ctx);
        await checkUniqueName(ctx, 'distribution', ctx.body.name, row.pulp_id);
        const data = await columns(ctx, ctx.body, row);
        const changed = Object.entries(data).some(([k, v]) =>
          changedFrom({ v }, { v: (row as unknown as Record<string, unknown>)[k] }),
        );
        if (!changed) return { status: 200, body: serialize(ctx.services, row) };
        const exclusive = [lock(row.pulp_id)];
        if ('base_path' in data && data.base_path !== row.base_path) exclusive.push(BASE_PATH_LOCK);
        return dispatchGeneric(
          ctx,
          GENERAL_UPDATE,
          'distribution',
          pulpType,
          { pulp_id: row.pulp_id, data },
          { exclusiveResources: exclusive, sharedResources: [DISTRIBUTIONS_LOCK], immediate: true, deferred: true },
        );
      },
    };
  }

  const resourceType: ResourceTypeDefinition = {
    kind: 'distribution',
    pulpType,
    endpoint,
    prnModel,
    modelName: model,
    async serialize(services, ids) {
      return (await byIds(services, ids)).map((r) => serialize(services, r));
    },
  };

  const typed: TypedDistribution = {
    names,
    resourceType,
    serialize,
    load,
    byIds,
    columns,
    components: [
      { name: component, schema: requestSchema },
      { name: `Patched${component}`, schema: patchedSchema },
      { name: `${component}Response`, schema: responseSchema },
    ],
    operations(): Operation[] {
      const byId = `${endpoint}/:pulp_id/`;
      return [
        {
          method: 'GET',
          url: `${endpoint}/`,
          pathKey: `${endpoint}/`,
          operationId: `${opIdPrefix}_list`,
          tag,
          filters: filterSet,
          responses: { 200: { schema: `Paginated${component}ResponseList` } },
          access: access('list'),
          async handle(ctx) {
            return listResponse(ctx, select(ctx.services), {
              filterSet,
              tableAlias: 'd',
              serialize: (rows) => rows.map((r) => serialize(ctx.services, r as DistributionRow)),
            });
          },
        },
        {
          method: 'POST',
          url: `${endpoint}/`,
          pathKey: `${endpoint}/`,
          operationId: `${opIdPrefix}_create`,
          tag,
          body: { name: component, schema: requestSchema },
          responses: { 202: { schema: 'AsyncOperationResponse' } },
          access: access('create'),
          async handle(ctx) {
            await checkUniqueName(ctx, 'distribution', ctx.body.name);
            const data = await columns(ctx, ctx.body);
            return dispatchGeneric(
              ctx,
              GENERAL_CREATE,
              'distribution',
              pulpType,
              { data },
              { exclusiveResources: [BASE_PATH_LOCK], sharedResources: [DISTRIBUTIONS_LOCK] },
            );
          },
        },
        {
          method: 'GET',
          url: byId,
          pathKey: placeholder,
          operationId: `${opIdPrefix}_read`,
          tag,
          responses: { 200: { schema: `${component}Response` } },
          access: access('retrieve'),
          async handle(ctx) {
            return { status: 200, body: serialize(ctx.services, await load(ctx)) };
          },
        },
        updateOperation('PUT'),
        updateOperation('PATCH'),
        {
          method: 'DELETE',
          url: byId,
          pathKey: placeholder,
          operationId: `${opIdPrefix}_delete`,
          tag,
          responses: { 202: { schema: 'AsyncOperationResponse' } },
          access: access('destroy'),
          async handle(ctx) {
            const row = await load(ctx);
            return dispatchGeneric(
              ctx,
              GENERAL_DELETE,
              'distribution',
              pulpType,
              { pulp_id: row.pulp_id },
              {
                exclusiveResources: [lock(row.pulp_id)],
                sharedResources: [DISTRIBUTIONS_LOCK],
                immediate: true,
                deferred: true,
              },
            );
          },
        },
        ...labelOperations({
          url: byId,
          pathKey: placeholder,
          opIdPrefix,
          tag,
          table: 'distribution',
          pulpType,
          modelName: model,
          viewset: endpoint,
        }),
        ...(spec.extraOperations?.(typed) ?? []),
      ];
    },
  };
  return typed;
}

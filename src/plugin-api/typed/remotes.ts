import { type TObject, type TProperties, type TSchema, Type } from '@sinclair/typebox';
import type { Selectable } from 'kysely';

import { NotFoundError, ValidationError } from '../../core/errors.js';
import type { RemoteTable } from '../../db/tables.js';
import {
  dateTimeFilters,
  exactFilter,
  type Filter,
  type FilterSet,
  identityFilters,
  labelSelectFilter,
  nameFilters,
} from '../filters.js';
import { listResponse } from '../list.js';
import type { ComponentSchema, Operation, RequestContext, Services } from '../operations.js';
import { REMOTE_SECRET_FIELDS, remoteBaseFields } from '../remote-fields.js';
import { baseFields, BaseFieldsSchema, labelOperations, LabelsSchema, validateLabels } from '../resource-fields.js';
import type { ResourceTypeDefinition } from '../resource-types.js';
import {
  changedFrom,
  checkUniqueName,
  dispatchGeneric,
  GENERAL_DELETE,
  GENERAL_UPDATE,
  lockName,
  routeId,
} from './common.js';
import { type TypeNames, type TypeNaming, typeNames } from './naming.js';

export type RemotePolicy = 'immediate' | 'on_demand' | 'streamed';
export type RemoteRow = Selectable<RemoteTable>;

export interface RemoteTypeSpec extends TypeNaming {
  /** Plugin fields, stored in the row's `detail`; each schema's `default` fills what a create leaves out. */
  fields?: TProperties;
  /** Policies the type offers (default all three) and the default (`immediate`, as pulp_file). */
  policies?: RemotePolicy[];
  defaultPolicy?: RemotePolicy;
  /** Extra validation over the merged object (current values plus the body); returns field errors. */
  validate?(merged: Record<string, unknown>): Record<string, string[]> | undefined;
  filters?: Filter[];
  /** Operations beyond CRUD and labels (e.g. pulp_python's `from_bandersnatch`). */
  extraOperations?(remote: TypedRemote): Operation[];
}

export interface TypedRemote {
  names: TypeNames;
  resourceType: ResourceTypeDefinition;
  components: ComponentSchema[];
  operations(): Operation[];
  serialize(services: Services, row: RemoteRow): Record<string, unknown>;
  /** The row of the route's remote, or Pulp's 404. */
  load(ctx: RequestContext): Promise<RemoteRow>;
  /** Validates a create body into column values (used by `create` and by plugin operations that create). */
  columns(body: Record<string, unknown>, current?: RemoteRow): Record<string, unknown>;
}

const nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const timeout = () => Type.Optional(nullable(Type.Number({ minimum: 0 })));

/** Keeps only the PEM certificate blocks, as Pulp does; 400 when there is none. */
function cleanPem(field: string, value: unknown): string | null {
  if (value === null || value === undefined || value === '') return null;
  const blocks = (typeof value === 'string' ? value : '').match(
    /-----BEGIN [A-Z0-9 ]+-----[\s\S]+?-----END [A-Z0-9 ]+-----/g,
  );
  if (!blocks) throw new ValidationError({ [field]: ['Invalid PEM: no certificate found.'] });
  return `${blocks.join('\n')}\n`;
}

function detailDefaults(fields: TProperties): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, s] of Object.entries(fields)) if (s.default !== undefined) out[k] = s.default;
  return out;
}

/**
 * A remote type's REST endpoints (list, create, read, update, partial update, delete, labels) with every
 * field of Pulp's base remote serializer plus the plugin's own fields, Pulp's filters and task names.
 */
export function defineRemoteType(spec: RemoteTypeSpec): TypedRemote {
  const names = typeNames('remote', spec);
  const { pulpType, model, endpoint, placeholder, tag, component, opIdPrefix, prnModel } = names;
  const policies = spec.policies ?? ['immediate', 'on_demand', 'streamed'];
  const defaultPolicy = spec.defaultPolicy ?? 'immediate';
  const extra = spec.fields ?? {};
  const writable: TProperties = {
    name: Type.String({ minLength: 1 }),
    url: Type.String({ minLength: 1 }),
    ca_cert: Type.Optional(nullable(Type.String())),
    client_cert: Type.Optional(nullable(Type.String())),
    client_key: Type.Optional(nullable(Type.String({ writeOnly: true }))),
    tls_validation: Type.Optional(Type.Boolean()),
    proxy_url: Type.Optional(nullable(Type.String())),
    proxy_username: Type.Optional(nullable(Type.String({ writeOnly: true }))),
    proxy_password: Type.Optional(nullable(Type.String({ writeOnly: true }))),
    username: Type.Optional(nullable(Type.String({ writeOnly: true }))),
    password: Type.Optional(nullable(Type.String({ writeOnly: true }))),
    pulp_labels: Type.Optional(LabelsSchema),
    download_concurrency: Type.Optional(nullable(Type.Integer({ minimum: 1 }))),
    max_retries: Type.Optional(nullable(Type.Integer({ minimum: 0 }))),
    policy: Type.Optional(
      Type.Union(
        policies.map((p) => Type.Literal(p)),
        { default: defaultPolicy },
      ),
    ),
    total_timeout: timeout(),
    connect_timeout: timeout(),
    sock_connect_timeout: timeout(),
    sock_read_timeout: timeout(),
    headers: Type.Optional(Type.Array(Type.Record(Type.String(), Type.String()))),
    rate_limit: Type.Optional(nullable(Type.Integer({ minimum: 0 }))),
    ...extra,
  };
  const baseKeys = Object.keys(writable).filter((k) => !(k in extra));
  const requestSchema = Type.Object(writable);
  const patchedSchema = Type.Partial(Type.Object(writable));
  const responseSchema = Type.Object({
    ...BaseFieldsSchema,
    ...Object.fromEntries(
      Object.entries(writable)
        .filter(([k]) => !(REMOTE_SECRET_FIELDS as readonly string[]).includes(k))
        .map(([k, s]) => [k, k in extra && s.writeOnly ? undefined : s])
        .filter(([, s]) => s !== undefined),
    ),
    hidden_fields: Type.Array(Type.Object({ name: Type.String(), is_set: Type.Boolean() }), { readOnly: true }),
  }) as TObject;
  const defaults = detailDefaults(extra);

  function serialize(services: Services, r: RemoteRow): Record<string, unknown> {
    const detail = { ...defaults, ...(r.detail ?? {}) };
    const own = Object.fromEntries(
      Object.keys(extra)
        .filter((k) => !(extra[k] as TSchema).writeOnly)
        .map((k) => [k, detail[k] ?? null]),
    );
    return {
      ...baseFields(r, `${services.apiPrefix}${endpoint}/${r.pulp_id}/`, prnModel),
      ...remoteBaseFields(r),
      ...own,
    };
  }

  function columns(body: Record<string, unknown>, current?: RemoteRow): Record<string, unknown> {
    const merged: Record<string, unknown> = { ...(current ?? {}), ...(current?.detail ?? {}), ...body };
    const errors: Record<string, string[]> = {};
    const url = typeof merged.url === 'string' ? merged.url : '';
    try {
      const u = new URL(url);
      if (u.username || u.password) errors.url = ['The remote url must not contain credentials.'];
      else if (!['http:', 'https:'].includes(u.protocol)) errors.url = ['The URL scheme must be http or https.'];
    } catch {
      errors.url = ['Enter a valid URL.'];
    }
    const proxy = merged.proxy_url as string | null | undefined;
    if (proxy && proxy.includes('@'))
      errors.proxy_url = ['Proxy credentials must be specified with proxy_username and proxy_password.'];
    if (!!merged.proxy_username !== !!merged.proxy_password)
      errors.non_field_errors = ['proxy credentials must be specified together'];
    else if (merged.proxy_username && !proxy) errors.non_field_errors = ['proxy credentials require a proxy_url'];
    if (body.headers === null) errors.headers = ['This field may not be null.'];
    Object.assign(errors, spec.validate?.(merged) ?? {});
    if (Object.keys(errors).length > 0) throw new ValidationError(errors);
    const out: Record<string, unknown> = {};
    for (const key of baseKeys) if (key in body) out[key] = body[key];
    if (!current && !('policy' in body)) out.policy = defaultPolicy;
    if ('ca_cert' in body) out.ca_cert = cleanPem('ca_cert', body.ca_cert);
    if ('client_cert' in body) out.client_cert = cleanPem('client_cert', body.client_cert);
    if ('pulp_labels' in body) out.pulp_labels = JSON.stringify(validateLabels(body.pulp_labels));
    if ('headers' in body) out.headers = JSON.stringify(body.headers);
    const detailKeys = Object.keys(extra).filter((k) => k in body);
    if (detailKeys.length > 0 || !current) {
      const detail: Record<string, unknown> = { ...defaults, ...(current?.detail ?? {}) };
      for (const k of detailKeys) detail[k] = body[k];
      out.detail = JSON.stringify(detail);
    }
    return out;
  }

  async function load(ctx: RequestContext): Promise<RemoteRow> {
    const row = await ctx.services.db
      .selectFrom('remote')
      .selectAll()
      .where('pulp_id', '=', routeId(ctx, model))
      .where('pulp_type', '=', pulpType)
      .executeTakeFirst();
    if (!row) throw new NotFoundError(`No ${model} matches the given query.`);
    return row;
  }

  const filterSet: FilterSet = {
    filters: [
      ...nameFilters('name', 'remote.name'),
      ...dateTimeFilters('pulp_last_updated', 'remote.pulp_last_updated'),
      labelSelectFilter('remote.pulp_labels'),
      ...identityFilters('remote.pulp_id'),
      exactFilter('policy', 'remote.policy'),
      ...(spec.filters ?? []),
    ],
    ordering: ['name', 'pulp_last_updated', 'url', 'policy'],
  };
  const access = (action: string) => ({ viewset: endpoint, action });

  function updateOperation(method: 'PUT' | 'PATCH'): Operation {
    return {
      method,
      url: `${endpoint}/:pulp_id/`,
      pathKey: placeholder,
      operationId: `${opIdPrefix}_${method === 'PUT' ? 'update' : 'partial_update'}`,
      tag,
      body: {
        name: method === 'PUT' ? component : `Patched${component}`,
        schema: method === 'PUT' ? requestSchema : patchedSchema,
      },
      responses: { 200: { schema: `${component}Response` }, 202: { schema: 'AsyncOperationResponse' } },
      access: access(method === 'PUT' ? 'update' : 'partial_update'),
      async handle(ctx) {
        const row = await load(ctx);
        await checkUniqueName(ctx, 'remote', ctx.body.name, row.pulp_id);
        const data = columns(ctx.body, row);
        const after = { ...row } as Record<string, unknown>;
        for (const [k, v] of Object.entries(data))
          after[k] = ['headers', 'pulp_labels', 'detail'].includes(k) && typeof v === 'string' ? JSON.parse(v) : v;
        const before = serialize(ctx.services, row);
        const secretsChanged = REMOTE_SECRET_FIELDS.some((k) => k in data && data[k] !== row[k]);
        if (!secretsChanged && !changedFrom(before, serialize(ctx.services, after as RemoteRow)))
          return { status: 200, body: before };
        return dispatchGeneric(
          ctx,
          GENERAL_UPDATE,
          'remote',
          pulpType,
          { pulp_id: row.pulp_id, data, partial: method === 'PATCH' },
          { exclusiveResources: [lockName(pulpType, 'remote', row.pulp_id)], immediate: true, deferred: true },
        );
      },
    };
  }

  const resourceType: ResourceTypeDefinition = {
    kind: 'remote',
    pulpType,
    endpoint,
    prnModel,
    modelName: model,
    async serialize(services, ids) {
      if (ids.length === 0) return [];
      const rows = await services.db.selectFrom('remote').selectAll().where('pulp_id', 'in', ids).execute();
      return rows.map((r) => serialize(services, r));
    },
  };

  const typed: TypedRemote = {
    names,
    resourceType,
    serialize,
    load,
    columns,
    components: [
      { name: component, schema: requestSchema },
      { name: `Patched${component}`, schema: patchedSchema },
      { name: `${component}Response`, schema: responseSchema },
    ],
    operations(): Operation[] {
      const ops: Operation[] = [
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
            const query = ctx.services.db.selectFrom('remote').selectAll().where('remote.pulp_type', '=', pulpType);
            return listResponse(ctx, query, {
              filterSet,
              tableAlias: 'remote',
              serialize: (rows: RemoteRow[]) => rows.map((r) => serialize(ctx.services, r)),
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
          responses: { 201: { schema: `${component}Response` } },
          access: access('create'),
          async handle(ctx) {
            await checkUniqueName(ctx, 'remote', ctx.body.name);
            const data = columns(ctx.body);
            const row = await ctx.services.db
              .insertInto('remote')
              .values({ pulp_type: pulpType, ...(data as { name: string; url: string }) })
              .returningAll()
              .executeTakeFirstOrThrow();
            return { status: 201, body: serialize(ctx.services, row) };
          },
        },
        {
          method: 'GET',
          url: `${endpoint}/:pulp_id/`,
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
          url: `${endpoint}/:pulp_id/`,
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
              'remote',
              pulpType,
              { pulp_id: row.pulp_id },
              { exclusiveResources: [lockName(pulpType, 'remote', row.pulp_id)] },
            );
          },
        },
        ...labelOperations({
          url: `${endpoint}/:pulp_id/`,
          pathKey: placeholder,
          opIdPrefix,
          tag,
          table: 'remote',
          pulpType,
          modelName: model,
          viewset: endpoint,
        }),
        ...(spec.extraOperations?.(typed) ?? []),
      ];
      return ops;
    },
  };
  return typed;
}

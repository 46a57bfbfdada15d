import { type TObject, Type } from '@sinclair/typebox';
import type { Selectable } from 'kysely';

import { NotFoundError, ValidationError } from '../../core/errors.js';
import type { RemoteTable } from '../../db/tables.js';
import {
  dateTimeFilters,
  exactFilter,
  type FilterSet,
  identityFilters,
  labelSelectFilter,
  nameFilters,
} from '../../plugin-api/filters.js';
import { listResponse } from '../../plugin-api/list.js';
import type { Operation, RequestContext, Services } from '../../plugin-api/operations.js';
import { REMOTE_SECRET_FIELDS, remoteBaseFields } from '../../plugin-api/remote-fields.js';
import {
  baseFields,
  BaseFieldsSchema,
  labelOperations,
  LabelsSchema,
  validateLabels,
} from '../../plugin-api/resource-fields.js';
import type { ResourceTypeDefinition } from '../../plugin-api/resource-types.js';
import { checkUniqueName, dispatchGeneric, GENERAL_DELETE, GENERAL_UPDATE, lockName, routeId } from './common.js';

const ENDPOINT = 'remotes/file/file';
const TAG = 'Remotes: File';
const PLACEHOLDER = '{file_file_remote_href}';
const PRN_MODEL = 'file.fileremote';
const SECRETS = REMOTE_SECRET_FIELDS;

const nullable = <T extends import('@sinclair/typebox').TSchema>(t: T) => Type.Union([t, Type.Null()]);
const timeout = () => Type.Optional(nullable(Type.Number({ minimum: 0 })));

const writable = {
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
  policy: Type.Optional(Type.Union([Type.Literal('immediate'), Type.Literal('on_demand'), Type.Literal('streamed')])),
  total_timeout: timeout(),
  connect_timeout: timeout(),
  sock_connect_timeout: timeout(),
  sock_read_timeout: timeout(),
  headers: Type.Optional(Type.Array(Type.Record(Type.String(), Type.String()))),
  rate_limit: Type.Optional(nullable(Type.Integer({ minimum: 0 }))),
};

export const FileRemoteSchema = Type.Object(writable);
export const PatchedFileRemoteSchema = Type.Partial(Type.Object(writable));
export const FileRemoteResponseSchema = Type.Object({
  ...BaseFieldsSchema,
  ...Object.fromEntries(Object.entries(writable).filter(([k]) => !(SECRETS as readonly string[]).includes(k))),
  hidden_fields: Type.Array(Type.Object({ name: Type.String(), is_set: Type.Boolean() }), { readOnly: true }),
}) as TObject;

type RemoteRow = Selectable<RemoteTable>;

export function serializeRemote(services: Services, r: RemoteRow): Record<string, unknown> {
  return {
    ...baseFields(r, `${services.apiPrefix}${ENDPOINT}/${r.pulp_id}/`, PRN_MODEL),
    ...remoteBaseFields(r),
  };
}

/** Keeps only the PEM certificate blocks, as Pulp does; 400 when there is none. */
function cleanPem(field: string, value: unknown): string | null {
  if (value === null || value === undefined || value === '') return null;
  const blocks = (typeof value === 'string' ? value : '').match(
    /-----BEGIN [A-Z0-9 ]+-----[\s\S]+?-----END [A-Z0-9 ]+-----/g,
  );
  if (!blocks) throw new ValidationError({ [field]: ['Invalid PEM: no certificate found.'] });
  return `${blocks.join('\n')}\n`;
}

/** Validates a create/update body into column values (merged over `current` for PATCH). */
export function remoteColumns(body: Record<string, unknown>, current?: RemoteRow): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...(current ?? {}), ...body };
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
  if (Object.keys(errors).length > 0) throw new ValidationError(errors);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(writable)) if (key in body) out[key] = body[key];
  if ('ca_cert' in body) out.ca_cert = cleanPem('ca_cert', body.ca_cert);
  if ('client_cert' in body) out.client_cert = cleanPem('client_cert', body.client_cert);
  if ('pulp_labels' in body) out.pulp_labels = JSON.stringify(validateLabels(body.pulp_labels));
  if ('headers' in body) out.headers = JSON.stringify(body.headers);
  return out;
}

async function loadRemote(ctx: RequestContext): Promise<RemoteRow> {
  const id = routeId(ctx, 'FileRemote');
  const row = await ctx.services.db
    .selectFrom('remote')
    .selectAll()
    .where('pulp_id', '=', id)
    .where('pulp_type', '=', 'file.file')
    .executeTakeFirst();
  if (!row) throw new NotFoundError('No FileRemote matches the given query.');
  return row;
}

const filterSet: FilterSet = {
  filters: [
    ...nameFilters('name', 'remote.name'),
    ...dateTimeFilters('pulp_last_updated', 'remote.pulp_last_updated'),
    labelSelectFilter('remote.pulp_labels'),
    ...identityFilters('remote.pulp_id'),
    exactFilter('policy', 'remote.policy'),
  ],
  ordering: ['name', 'pulp_last_updated', 'url', 'policy'],
};

function updateOperation(method: 'PUT' | 'PATCH'): Operation {
  return {
    method,
    url: `${ENDPOINT}/:pulp_id/`,
    pathKey: PLACEHOLDER,
    operationId: method === 'PUT' ? 'remotes_file_file_update' : 'remotes_file_file_partial_update',
    tag: TAG,
    body: {
      name: method === 'PUT' ? 'file.FileRemote' : 'Patchedfile.FileRemote',
      schema: method === 'PUT' ? FileRemoteSchema : PatchedFileRemoteSchema,
    },
    responses: { 200: { schema: 'file.FileRemoteResponse' }, 202: { schema: 'AsyncOperationResponse' } },
    access: { viewset: 'remotes/file/file', action: method === 'PUT' ? 'update' : 'partial_update' },
    async handle(ctx) {
      const row = await loadRemote(ctx);
      await checkUniqueName(ctx, 'remote', ctx.body.name, row.pulp_id);
      const data = remoteColumns(ctx.body, row);
      const changed = Object.entries(data).some(
        ([k, v]) =>
          JSON.stringify(
            typeof v === 'string' && k !== 'name' && (k === 'headers' || k === 'pulp_labels') ? JSON.parse(v) : v,
          ) !== JSON.stringify(row[k as keyof RemoteRow]),
      );
      if (!changed) return { status: 200, body: serializeRemote(ctx.services, row) };
      return dispatchGeneric(
        ctx,
        GENERAL_UPDATE,
        'remote',
        { pulp_id: row.pulp_id, data, partial: method === 'PATCH' },
        {
          exclusiveResources: [lockName('remote', row.pulp_id)],
          immediate: true,
          deferred: true,
        },
      );
    },
  };
}

export function remoteOperations(): Operation[] {
  return [
    {
      method: 'GET',
      url: `${ENDPOINT}/`,
      pathKey: `${ENDPOINT}/`,
      operationId: 'remotes_file_file_list',
      tag: TAG,
      filters: filterSet,
      responses: { 200: { schema: 'Paginatedfile.FileRemoteResponseList' } },
      access: { viewset: 'remotes/file/file', action: 'list' },
      async handle(ctx) {
        const query = ctx.services.db.selectFrom('remote').selectAll().where('remote.pulp_type', '=', 'file.file');
        return listResponse(ctx, query, {
          filterSet,
          tableAlias: 'remote',
          serialize: (rows: RemoteRow[]) => rows.map((r) => serializeRemote(ctx.services, r)),
        });
      },
    },
    {
      method: 'POST',
      url: `${ENDPOINT}/`,
      pathKey: `${ENDPOINT}/`,
      operationId: 'remotes_file_file_create',
      tag: TAG,
      body: { name: 'file.FileRemote', schema: FileRemoteSchema },
      responses: { 201: { schema: 'file.FileRemoteResponse' } },
      access: { viewset: 'remotes/file/file', action: 'create' },
      async handle(ctx) {
        await checkUniqueName(ctx, 'remote', ctx.body.name);
        const data = remoteColumns(ctx.body);
        const row = await ctx.services.db
          .insertInto('remote')
          .values({ pulp_type: 'file.file', ...(data as { name: string; url: string }) })
          .returningAll()
          .executeTakeFirstOrThrow();
        return { status: 201, body: serializeRemote(ctx.services, row) };
      },
    },
    {
      method: 'GET',
      url: `${ENDPOINT}/:pulp_id/`,
      pathKey: PLACEHOLDER,
      operationId: 'remotes_file_file_read',
      tag: TAG,
      responses: { 200: { schema: 'file.FileRemoteResponse' } },
      access: { viewset: 'remotes/file/file', action: 'retrieve' },
      async handle(ctx) {
        return { status: 200, body: serializeRemote(ctx.services, await loadRemote(ctx)) };
      },
    },
    updateOperation('PUT'),
    updateOperation('PATCH'),
    {
      method: 'DELETE',
      url: `${ENDPOINT}/:pulp_id/`,
      pathKey: PLACEHOLDER,
      operationId: 'remotes_file_file_delete',
      tag: TAG,
      responses: { 202: { schema: 'AsyncOperationResponse' } },
      access: { viewset: 'remotes/file/file', action: 'destroy' },
      async handle(ctx) {
        const row = await loadRemote(ctx);
        return dispatchGeneric(
          ctx,
          GENERAL_DELETE,
          'remote',
          { pulp_id: row.pulp_id },
          { exclusiveResources: [lockName('remote', row.pulp_id)] },
        );
      },
    },
    ...labelOperations({
      url: `${ENDPOINT}/:pulp_id/`,
      pathKey: PLACEHOLDER,
      opIdPrefix: 'remotes_file_file',
      tag: TAG,
      table: 'remote',
      pulpType: 'file.file',
      modelName: 'FileRemote',
      viewset: 'remotes/file/file',
    }),
  ];
}

export const remoteComponents = [
  { name: 'file.FileRemote', schema: FileRemoteSchema },
  { name: 'Patchedfile.FileRemote', schema: PatchedFileRemoteSchema },
  { name: 'file.FileRemoteResponse', schema: FileRemoteResponseSchema },
];

export const fileRemoteType: ResourceTypeDefinition = {
  kind: 'remote',
  pulpType: 'file.file',
  endpoint: ENDPOINT,
  prnModel: PRN_MODEL,
  modelName: 'FileRemote',
  async serialize(services, ids) {
    if (ids.length === 0) return [];
    const rows = await services.db.selectFrom('remote').selectAll().where('pulp_id', 'in', ids).execute();
    return rows.map((r) => serializeRemote(services, r));
  },
};

import { Type } from '@sinclair/typebox';

import { NotFoundError } from '../../core/errors.js';
import { formatTimestamp, isUuid } from '../../core/ids.js';
import type { SigningServiceTable } from '../../db/tables.js';
import { exactFilter, type FilterSet, identityFilters } from '../../plugin-api/filters.js';
import { listResponse } from '../../plugin-api/list.js';
import type { OperationModule } from '../../plugin-api/operations.js';
import { paginatedComponent } from '../../plugin-api/repository-version-operations.js';

type Row = Pick<SigningServiceTable, 'name' | 'public_key' | 'pubkey_fingerprint' | 'script'> & {
  pulp_id: string;
  pulp_created: string;
  pulp_last_updated: string;
};

const SigningServiceResponse = Type.Object({
  pulp_href: Type.String({ format: 'uri', readOnly: true }),
  prn: Type.String({ readOnly: true }),
  pulp_created: Type.String({ format: 'date-time', readOnly: true }),
  pulp_last_updated: Type.String({ format: 'date-time', readOnly: true }),
  name: Type.String({ description: 'A unique name used to recognize a script.' }),
  public_key: Type.String({ description: 'The value of a public key used for the repository verification.' }),
  pubkey_fingerprint: Type.String({ description: 'The fingerprint of the public key.' }),
  script: Type.String({ description: 'An absolute path to a script which is going to be used for the signing.' }),
});

const filterSet: FilterSet = {
  filters: [exactFilter('name', 's.name'), ...identityFilters('s.pulp_id')],
  ordering: ['name', 'pulp_last_updated', 'pulp_id'],
};

function serialize(prefix: string, r: Row): Record<string, unknown> {
  return {
    pulp_href: `${prefix}signing-services/${r.pulp_id}/`,
    prn: `prn:core.signingservice:${r.pulp_id}`,
    pulp_created: formatTimestamp(r.pulp_created),
    pulp_last_updated: formatTimestamp(r.pulp_last_updated),
    name: r.name,
    public_key: r.public_key,
    pubkey_fingerprint: r.pubkey_fingerprint,
    script: r.script,
  };
}

const COLUMNS = [
  's.pulp_id',
  's.pulp_created',
  's.pulp_last_updated',
  's.name',
  's.public_key',
  's.pubkey_fingerprint',
  's.script',
] as const;

/** `signing-services/`: read-only; services are added by `pulpcore-manager add-signing-service`. */
export function signingServiceRoutes(): OperationModule {
  const tag = 'Signing-Services';
  const access = (action: string) => ({ viewset: 'signing-services', action });
  return {
    components: [
      { name: 'SigningServiceResponse', schema: SigningServiceResponse },
      paginatedComponent('SigningServiceResponse'),
    ],
    operations: [
      {
        method: 'GET',
        url: 'signing-services/',
        pathKey: 'signing-services/',
        operationId: 'signing_services_list',
        tag,
        summary: 'List signing services',
        filters: filterSet,
        access: access('list'),
        responses: { 200: { schema: 'PaginatedSigningServiceResponseList' } },
        handle: (ctx) =>
          listResponse(ctx, ctx.services.db.selectFrom('signing_service as s').select([...COLUMNS]), {
            filterSet,
            tableAlias: 's',
            serialize: (rows: Row[]) => rows.map((r) => serialize(ctx.services.apiPrefix, r)),
          }),
      },
      {
        method: 'GET',
        url: 'signing-services/:pulp_id/',
        pathKey: '{signing_service_href}',
        operationId: 'signing_services_read',
        tag,
        summary: 'Inspect a signing service',
        access: access('retrieve'),
        responses: { 200: { schema: 'SigningServiceResponse' } },
        async handle(ctx) {
          const id = ctx.params.pulp_id ?? '';
          const row = isUuid(id)
            ? await ctx.services.db
                .selectFrom('signing_service as s')
                .select([...COLUMNS])
                .where('s.pulp_id', '=', id)
                .executeTakeFirst()
            : undefined;
          if (!row) throw new NotFoundError('No SigningService matches the given query.');
          return { status: 200, body: serialize(ctx.services.apiPrefix, row) };
        },
      },
    ],
  };
}

import { type TObject, Type } from '@sinclair/typebox';
import { type Generated, type Selectable, sql } from 'kysely';

import {
  baseFields,
  BaseFieldsSchema,
  dispatchReply,
  identityFilters,
  listResponse,
  lockName,
  nameFilters,
  NotFoundError,
  pluginDb,
  routeId,
  ValidationError,
  type ComponentSchema,
  type Database,
  type FilterSet,
  type Operation,
  type Services,
  type TaskContext,
} from '../../plugin-api/index.js';
import { DISTRIBUTION_TYPE, PUSH_REPOSITORY_TYPE } from './resource-names.js';

const ENDPOINT = 'pulp_container/namespaces';
const TAG = 'Pulp_Container/Namespaces';
const PLACEHOLDER = '{container_container_namespace_href}';
const PRN_MODEL = 'container.containernamespace';
/** pulpcore's task deleting several objects at once, which pulp_container's namespace delete dispatches. */
export const MULTI_DELETE_TASK = 'pulpcore.app.tasks.base.general_multi_delete';
// pulp_container's namespace name: one path component of a repository name.
const NAME = /^[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*$/;

interface NamespaceTables {
  container_namespace: {
    pulp_id: Generated<string>;
    pulp_created: Generated<string>;
    pulp_last_updated: Generated<string>;
    name: string;
  };
}
const ndb = (db: Database) => pluginDb<NamespaceTables>(db);
type NamespaceRow = Selectable<NamespaceTables['container_namespace']>;

const RequestSchema = Type.Object({ name: Type.String({ minLength: 1, maxLength: 255 }) });
const ResponseSchema = Type.Object({ ...BaseFieldsSchema, name: Type.String() }) as TObject;
export const namespaceComponents: ComponentSchema[] = [
  { name: 'container.ContainerNamespace', schema: RequestSchema },
  { name: 'container.ContainerNamespaceResponse', schema: ResponseSchema },
];

const filterSet: FilterSet = {
  filters: [...nameFilters('name', 'n.name'), ...identityFilters('n.pulp_id')],
  ordering: ['name', 'pulp_last_updated'],
  orderingColumns: { name: 'n.name', pulp_created: 'n.pulp_created', pulp_last_updated: 'n.pulp_last_updated' },
};

const select = (services: Services) => ndb(services.db).selectFrom('container_namespace as n').selectAll('n');
const serialize = (services: Services, r: NamespaceRow) => ({
  ...baseFields(r, `${services.apiPrefix}${ENDPOINT}/${r.pulp_id}/`, PRN_MODEL),
  name: r.name,
});

/** Namespace delete: its distributions, their push repositories, then the namespace (one task). */
export async function deleteNamespace(ctx: TaskContext): Promise<void> {
  const args = ctx.args as { namespace_pk: string };
  await ctx.services.db.transaction().execute(async (trx) => {
    const dists = await sql<{ pulp_id: string; repository_id: string | null; repo_type: string | null }>`
      SELECT d.pulp_id, d.repository_id, r.pulp_type AS repo_type FROM distribution d
      LEFT JOIN repository r ON r.pulp_id = d.repository_id
      WHERE d.pulp_type = ${DISTRIBUTION_TYPE} AND d.detail->>'namespace_id' = ${args.namespace_pk}`.execute(trx);
    const pushRepos = dists.rows.filter((d) => d.repo_type === PUSH_REPOSITORY_TYPE).map((d) => d.repository_id!);
    await sql`DELETE FROM distribution WHERE pulp_id = ANY(${dists.rows.map((d) => d.pulp_id)}::uuid[])`.execute(trx);
    if (pushRepos.length > 0) await sql`DELETE FROM repository WHERE pulp_id = ANY(${pushRepos}::uuid[])`.execute(trx);
    await sql`DELETE FROM container_namespace WHERE pulp_id = ${args.namespace_pk}`.execute(trx);
  });
}

async function load(services: Services, id: string): Promise<NamespaceRow> {
  const row = await select(services).where('n.pulp_id', '=', id).executeTakeFirst();
  if (!row) throw new NotFoundError('No ContainerNamespace matches the given query.');
  return row;
}

/** `pulp_container/namespaces/`: list, create (synchronous, as Pulp's), read, delete (a task). */
export function namespaceOperations(): Operation[] {
  const access = (action: string) => ({ viewset: ENDPOINT, action });
  return [
    {
      method: 'GET',
      url: `${ENDPOINT}/`,
      pathKey: `${ENDPOINT}/`,
      operationId: 'pulp_container_namespaces_list',
      tag: TAG,
      filters: filterSet,
      responses: { 200: { schema: 'Paginatedcontainer.ContainerNamespaceResponseList' } },
      access: access('list'),
      handle: (ctx) =>
        listResponse(ctx, select(ctx.services), {
          filterSet,
          tableAlias: 'n',
          serialize: (rows: NamespaceRow[]) => rows.map((r) => serialize(ctx.services, r)),
        }),
    },
    {
      method: 'POST',
      url: `${ENDPOINT}/`,
      pathKey: `${ENDPOINT}/`,
      operationId: 'pulp_container_namespaces_create',
      tag: TAG,
      body: { name: 'container.ContainerNamespace', schema: RequestSchema },
      responses: { 201: { schema: 'container.ContainerNamespaceResponse' } },
      access: access('create'),
      async handle(ctx) {
        const name = String(ctx.body.name);
        if (!NAME.test(name))
          throw new ValidationError({ name: ['The provided namespace name contains forbidden characters.'] });
        const row = await ndb(ctx.services.db)
          .insertInto('container_namespace')
          .values({ name })
          .onConflict((oc) => oc.column('name').doNothing())
          .returningAll()
          .executeTakeFirst();
        if (!row) throw new ValidationError({ name: ['container namespace with this name already exists.'] });
        return { status: 201, body: serialize(ctx.services, row) };
      },
    },
    {
      method: 'GET',
      url: `${ENDPOINT}/:pulp_id/`,
      pathKey: PLACEHOLDER,
      operationId: 'pulp_container_namespaces_read',
      tag: TAG,
      responses: { 200: { schema: 'container.ContainerNamespaceResponse' } },
      access: access('retrieve'),
      async handle(ctx) {
        return {
          status: 200,
          body: serialize(ctx.services, await load(ctx.services, routeId(ctx, 'ContainerNamespace'))),
        };
      },
    },
    {
      method: 'DELETE',
      url: `${ENDPOINT}/:pulp_id/`,
      pathKey: PLACEHOLDER,
      operationId: 'pulp_container_namespaces_delete',
      tag: TAG,
      responses: { 202: { schema: 'AsyncOperationResponse' } },
      access: access('destroy'),
      async handle(ctx) {
        const ns = await load(ctx.services, routeId(ctx, 'ContainerNamespace'));
        return dispatchReply(
          ctx,
          MULTI_DELETE_TASK,
          { namespace_pk: ns.pulp_id },
          {
            exclusiveResources: [
              `prn:${PRN_MODEL}:${ns.pulp_id}`,
              lockName(DISTRIBUTION_TYPE, 'distribution', ns.pulp_id),
            ],
          },
        );
      },
    },
  ];
}

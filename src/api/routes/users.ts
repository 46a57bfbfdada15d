import { Type } from '@sinclair/typebox';
import { sql } from 'kysely';

import { NotFoundError, ValidationError } from '../../core/errors.js';
import { exactFilter, type Filter, type FilterSet, nameFilters } from '../../plugin-api/filters.js';
import { listResponse } from '../../plugin-api/list.js';
import type { OperationModule, RequestContext, Services } from '../../plugin-api/operations.js';
import { forgetCredentials, serializeUsers, storedPassword, type UserRow } from '../rbac/user-fields.js';

const TAG = 'Users';
const USERNAME = Type.String({ minLength: 1, maxLength: 150, pattern: '^[\\w.@+-]+$' });
const NAME150 = Type.String({ maxLength: 150 });

const UserBody = Type.Object(
  {
    username: USERNAME,
    password: Type.Optional(Type.Union([Type.String({ writeOnly: true }), Type.Null()])),
    first_name: Type.Optional(NAME150),
    last_name: Type.Optional(NAME150),
    email: Type.Optional(Type.String({ maxLength: 254 })),
    is_staff: Type.Optional(Type.Boolean({ default: false })),
    is_active: Type.Optional(Type.Boolean({ default: true })),
  },
  { additionalProperties: false },
);

export const UserResponse = Type.Object({
  pulp_href: Type.String({ format: 'uri', readOnly: true }),
  prn: Type.String({ readOnly: true }),
  id: Type.Integer({ readOnly: true }),
  username: Type.String(),
  first_name: Type.String(),
  last_name: Type.String(),
  email: Type.String(),
  is_staff: Type.Boolean(),
  is_active: Type.Boolean(),
  date_joined: Type.String({ format: 'date-time', readOnly: true }),
  groups: Type.Array(Type.Object({ name: Type.String(), pulp_href: Type.String(), prn: Type.String() }), {
    readOnly: true,
  }),
  hidden_fields: Type.Array(Type.Object({ name: Type.String(), is_set: Type.Boolean() }), { readOnly: true }),
});

function pick(filters: Filter[], names: string[]): Filter[] {
  return filters.filter((f) => names.includes(f.name));
}

const textLookups = (name: string) =>
  pick(nameFilters(name, `u.${name}`), [
    name,
    `${name}__iexact`,
    `${name}__in`,
    `${name}__contains`,
    `${name}__icontains`,
  ]);

const filterSet: FilterSet = {
  filters: [
    ...textLookups('username'),
    ...textLookups('first_name'),
    ...textLookups('last_name'),
    ...textLookups('email'),
    exactFilter('is_active', 'u.is_active', 'boolean'),
    exactFilter('is_staff', 'u.is_staff', 'boolean'),
  ],
  ordering: ['id', 'username', 'first_name', 'last_name', 'email', 'is_active', 'is_staff', 'date_joined'],
  defaultOrdering: ['-date_joined'],
};

function userId(ctx: RequestContext): number {
  const id = Number(ctx.params.id);
  if (!Number.isInteger(id) || id < 1 || id > 2_147_483_647)
    throw new NotFoundError('No User matches the given query.');
  return id;
}

async function loadUser(services: Services, id: number): Promise<UserRow> {
  const row = await services.db.selectFrom('auth_user').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw new NotFoundError('No User matches the given query.');
  return row;
}

async function render(services: Services, row: UserRow) {
  return (await serializeUsers(services.db, services.apiPrefix, [row]))[0];
}

async function uniqueUsername(services: Services, username: string, except?: number) {
  let q = services.db.selectFrom('auth_user').select('id').where('username', '=', username);
  if (except !== undefined) q = q.where('id', '!=', except);
  if (await q.executeTakeFirst())
    throw new ValidationError({ username: ['A user with that username already exists.'] });
}

async function update(ctx: RequestContext) {
  const { services } = ctx;
  const id = userId(ctx);
  const current = await loadUser(services, id);
  const b = ctx.body;
  const values: Record<string, unknown> = {};
  for (const k of ['username', 'first_name', 'last_name', 'email', 'is_staff', 'is_active'] as const)
    if (k in b) values[k] = b[k];
  if (typeof values.username === 'string') await uniqueUsername(services, values.username, id);
  if ('password' in b)
    values.password = await storedPassword(b.password as string | null, {
      username: (values.username as string | undefined) ?? current.username,
    });
  if (Object.keys(values).length > 0) {
    await services.db.transaction().execute(async (trx) => {
      await trx.updateTable('auth_user').set(values).where('id', '=', id).execute();
      if ('password' in values || values.is_active === false)
        await trx.deleteFrom('core_session').where('user_id', '=', id).execute();
      // RBAC content guards authenticate users (and content apps cache verified credentials): a deactivated
      // user or an old password must stop working for downloads at once.
    });
    forgetCredentials(services.extensions);
  }
  return { status: 200, body: await render(services, await loadUser(services, id)) };
}

/** `/users/`: admin-only management of local users (Pulp's default: no access policy, so admins only). */
export function userRoutes(): OperationModule {
  const object = '{auth_user_href}';
  return {
    components: [
      { name: 'User', schema: UserBody },
      { name: 'UserResponse', schema: UserResponse },
    ],
    operations: [
      {
        method: 'GET',
        url: 'users/',
        pathKey: 'users/',
        operationId: 'users_list',
        tag: TAG,
        summary: 'List users',
        filters: filterSet,
        responses: { 200: { schema: 'PaginatedUserResponseList' } },
        handle: (ctx) =>
          listResponse(
            ctx,
            ctx.services.db
              .selectFrom(
                sql<
                  UserRow & { pulp_id: number; pulp_created: string }
                >`(SELECT *, id AS pulp_id, date_joined AS pulp_created FROM auth_user)`.as('u'),
              )
              .selectAll(),
            {
              filterSet,
              tableAlias: 'u',
              serialize: (rows: UserRow[]) => serializeUsers(ctx.services.db, ctx.services.apiPrefix, rows),
            },
          ),
      },
      {
        method: 'POST',
        url: 'users/',
        pathKey: 'users/',
        operationId: 'users_create',
        tag: TAG,
        summary: 'Create a user',
        body: { name: 'User', schema: UserBody },
        responses: { 201: { schema: 'UserResponse' } },
        async handle(ctx) {
          const { services } = ctx;
          const b = ctx.body;
          const username = b.username as string;
          await uniqueUsername(services, username);
          const password = await storedPassword((b.password ?? null) as string | null, { username });
          const row = await services.db
            .insertInto('auth_user')
            .values({
              username,
              password,
              first_name: (b.first_name as string | undefined) ?? '',
              last_name: (b.last_name as string | undefined) ?? '',
              email: (b.email as string | undefined) ?? '',
              is_staff: (b.is_staff as boolean | undefined) ?? false,
              is_active: (b.is_active as boolean | undefined) ?? true,
            })
            .returningAll()
            .executeTakeFirstOrThrow();
          return { status: 201, body: await render(services, row) };
        },
      },
      {
        method: 'GET',
        url: 'users/:id/',
        pathKey: object,
        operationId: 'users_read',
        tag: TAG,
        summary: 'Inspect a user',
        responses: { 200: { schema: 'UserResponse' } },
        handle: async (ctx) => ({
          status: 200,
          body: await render(ctx.services, await loadUser(ctx.services, userId(ctx))),
        }),
      },
      {
        method: 'PUT',
        url: 'users/:id/',
        pathKey: object,
        operationId: 'users_update',
        tag: TAG,
        summary: 'Update a user',
        body: { name: 'User', schema: UserBody },
        responses: { 200: { schema: 'UserResponse' } },
        handle: update,
      },
      {
        method: 'PATCH',
        url: 'users/:id/',
        pathKey: object,
        operationId: 'users_partial_update',
        tag: TAG,
        summary: 'Update a user',
        body: { name: 'PatchedUser', schema: UserBody },
        responses: { 200: { schema: 'UserResponse' } },
        handle: update,
      },
      {
        method: 'DELETE',
        url: 'users/:id/',
        pathKey: object,
        operationId: 'users_delete',
        tag: TAG,
        summary: 'Delete a user',
        responses: { 204: { description: 'No response body' } },
        async handle(ctx) {
          const id = userId(ctx);
          const deleted = await ctx.services.db.transaction().execute(async (trx) => {
            const r = await trx.deleteFrom('auth_user').where('id', '=', id).executeTakeFirst();
            return Number(r.numDeletedRows);
          });
          if (deleted === 0) throw new NotFoundError('No User matches the given query.');
          forgetCredentials(ctx.services.extensions);
          return { status: 204 };
        },
      },
    ],
  };
}

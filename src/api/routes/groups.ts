import { Type } from '@sinclair/typebox';
import { sql } from 'kysely';

import { NotFoundError, ValidationError } from '../../core/errors.js';
import { type Filter, type FilterSet, nameFilters, numberFilters } from '../../plugin-api/filters.js';
import { listArray, listResponse } from '../../plugin-api/list.js';
import type { OperationModule, RequestContext, Services } from '../../plugin-api/operations.js';
import { roleOperations } from '../../plugin-api/rbac-roles-actions.js';
import { forgetCredentials, groupHref } from '../rbac/user-fields.js';

const TAG = 'Groups';
const GroupBody = Type.Object({ name: Type.String({ minLength: 1, maxLength: 150 }) }, { additionalProperties: false });
const GroupResponse = Type.Object({
  name: Type.String(),
  pulp_href: Type.String({ format: 'uri', readOnly: true }),
  prn: Type.String({ readOnly: true }),
  id: Type.Integer({ readOnly: true }),
});
const GroupUserBody = Type.Object({ username: Type.String({ minLength: 1, maxLength: 150 }) });
const GroupUserResponse = Type.Object({
  username: Type.String(),
  pulp_href: Type.String({ readOnly: true }),
  prn: Type.String({ readOnly: true }),
});

const pick = (filters: Filter[], names: string[]) => filters.filter((f) => names.includes(f.name));
const filterSet: FilterSet = {
  filters: [
    ...pick(numberFilters('id', 'g.id', false), ['id']),
    {
      name: 'id__in',
      type: 'string-list',
      apply: (v) => {
        const ids = v
          .flatMap((x) => x.split(','))
          .map((x) => x.trim())
          .filter(Boolean);
        if (ids.some((x) => !/^\d{1,9}$/.test(x))) throw new ValidationError({ id__in: ['Enter a number.'] });
        return sql<boolean>`g.id = ANY(${ids.map(Number)})`;
      },
    },
    ...pick(nameFilters('name', 'g.name'), ['name', 'name__iexact', 'name__in', 'name__contains', 'name__icontains']),
  ],
  ordering: ['id', 'name'],
  defaultOrdering: ['-id'],
};

function groupId(ctx: RequestContext): number {
  const id = Number(ctx.params.id);
  if (!Number.isInteger(id) || id < 1 || id > 2_147_483_647)
    throw new NotFoundError('No Group matches the given query.');
  return id;
}

async function loadGroup(services: Services, id: number) {
  const row = await services.db.selectFrom('auth_group').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw new NotFoundError('No Group matches the given query.');
  return row;
}

const renderGroup = (prefix: string, g: { id: number; name: string }) => ({
  name: g.name,
  pulp_href: groupHref(prefix, g.id),
  prn: `prn:core.group:${g.id}`,
  id: g.id,
});

async function uniqueName(services: Services, name: string, except?: number) {
  let q = services.db.selectFrom('auth_group').select('id').where('name', '=', name);
  if (except !== undefined) q = q.where('id', '!=', except);
  if (await q.executeTakeFirst()) throw new ValidationError({ name: ['group with this name already exists.'] });
}

async function updateGroup(ctx: RequestContext) {
  const id = groupId(ctx);
  await loadGroup(ctx.services, id);
  if (typeof ctx.body.name === 'string') {
    await uniqueName(ctx.services, ctx.body.name, id);
    await ctx.services.db.updateTable('auth_group').set({ name: ctx.body.name }).where('id', '=', id).execute();
  }
  return { status: 200, body: renderGroup(ctx.services.apiPrefix, await loadGroup(ctx.services, id)) };
}

/** `/groups/`, `/groups/<id>/users/` and the groups' roles actions. */
export function groupRoutes(): OperationModule {
  const object = '{group_href}';
  return {
    components: [
      { name: 'Group', schema: GroupBody },
      { name: 'GroupResponse', schema: GroupResponse },
      { name: 'GroupUser', schema: GroupUserBody },
      { name: 'GroupUserResponse', schema: GroupUserResponse },
    ],
    operations: [
      {
        method: 'GET',
        url: 'groups/',
        pathKey: 'groups/',
        operationId: 'groups_list',
        tag: TAG,
        summary: 'List groups',
        filters: filterSet,
        responses: { 200: { schema: 'PaginatedGroupResponseList' } },
        handle: (ctx) =>
          listResponse(
            ctx,
            ctx.services.db
              .selectFrom(
                sql<{
                  id: number;
                  name: string;
                  pulp_id: number;
                  pulp_created: number;
                }>`(SELECT *, id AS pulp_id, id AS pulp_created FROM auth_group)`.as('g'),
              )
              .selectAll(),
            {
              filterSet,
              tableAlias: 'g',
              serialize: (rows: Array<{ id: number; name: string }>) =>
                rows.map((g) => renderGroup(ctx.services.apiPrefix, g)),
            },
          ),
      },
      {
        method: 'POST',
        url: 'groups/',
        pathKey: 'groups/',
        operationId: 'groups_create',
        tag: TAG,
        summary: 'Create a group',
        body: { name: 'Group', schema: GroupBody },
        responses: { 201: { schema: 'GroupResponse' } },
        async handle(ctx) {
          const name = ctx.body.name as string;
          await uniqueName(ctx.services, name);
          const row = await ctx.services.db
            .insertInto('auth_group')
            .values({ name })
            .returningAll()
            .executeTakeFirstOrThrow();
          return { status: 201, body: renderGroup(ctx.services.apiPrefix, row) };
        },
      },
      {
        method: 'GET',
        url: 'groups/:id/',
        pathKey: object,
        operationId: 'groups_read',
        tag: TAG,
        summary: 'Inspect a group',
        responses: { 200: { schema: 'GroupResponse' } },
        handle: async (ctx) => ({
          status: 200,
          body: renderGroup(ctx.services.apiPrefix, await loadGroup(ctx.services, groupId(ctx))),
        }),
      },
      {
        method: 'PUT',
        url: 'groups/:id/',
        pathKey: object,
        operationId: 'groups_update',
        tag: TAG,
        summary: 'Update a group',
        body: { name: 'Group', schema: GroupBody },
        responses: { 200: { schema: 'GroupResponse' } },
        handle: updateGroup,
      },
      {
        method: 'PATCH',
        url: 'groups/:id/',
        pathKey: object,
        operationId: 'groups_partial_update',
        tag: TAG,
        summary: 'Update a group',
        body: { name: 'PatchedGroup', schema: GroupBody },
        responses: { 200: { schema: 'GroupResponse' } },
        handle: updateGroup,
      },
      {
        method: 'DELETE',
        url: 'groups/:id/',
        pathKey: object,
        operationId: 'groups_delete',
        tag: TAG,
        summary: 'Delete a group',
        responses: { 204: { description: 'No response body' } },
        async handle(ctx) {
          const id = groupId(ctx);
          const deleted = await ctx.services.db.transaction().execute(async (trx) => {
            const r = await trx.deleteFrom('auth_group').where('id', '=', id).executeTakeFirst();
            await trx
              .deleteFrom('core_userrole')
              .where('content_type', '=', 'core.group')
              .where('object_id', '=', String(id))
              .execute();
            await trx
              .deleteFrom('core_grouprole')
              .where('content_type', '=', 'core.group')
              .where('object_id', '=', String(id))
              .execute();
            return Number(r.numDeletedRows);
          });
          if (deleted === 0) throw new NotFoundError('No Group matches the given query.');
          return { status: 204 };
        },
      },
      ...roleOperations({ url: 'groups/:id/', pathKey: object, operationId: 'groups', tag: TAG, model: 'core.group' }),
      {
        method: 'GET',
        url: 'groups/:id/users/',
        pathKey: `${object}users/`,
        operationId: 'groups_users_list',
        tag: 'Groups: Users',
        summary: 'List users of a group',
        responses: { 200: { schema: 'PaginatedGroupUserResponseList' } },
        async handle(ctx) {
          const id = groupId(ctx);
          await loadGroup(ctx.services, id);
          const rows = await ctx.services.db
            .selectFrom('auth_user_groups')
            .innerJoin('auth_user', 'auth_user.id', 'auth_user_groups.user_id')
            .select(['auth_user.id', 'auth_user.username'])
            .where('auth_user_groups.group_id', '=', id)
            .orderBy('auth_user.username')
            .execute();
          const prefix = ctx.services.apiPrefix;
          return listArray(
            ctx,
            rows.map((u) => ({
              username: u.username,
              pulp_href: `${groupHref(prefix, id)}users/${u.id}/`,
              prn: `prn:auth.user:${u.id}`,
            })),
          );
        },
      },
      {
        method: 'POST',
        url: 'groups/:id/users/',
        pathKey: `${object}users/`,
        operationId: 'groups_users_create',
        tag: 'Groups: Users',
        summary: 'Add a user to a group',
        body: { name: 'GroupUser', schema: GroupUserBody, allowUnknown: true },
        responses: { 201: { schema: 'GroupUserResponse' } },
        async handle(ctx) {
          const id = groupId(ctx);
          await loadGroup(ctx.services, id);
          const username = ctx.body.username as string;
          const user = await ctx.services.db
            .selectFrom('auth_user')
            .select(['id', 'username'])
            .where('username', '=', username)
            .executeTakeFirst();
          if (!user) throw new ValidationError([`Could not find user ${username}`]);
          await ctx.services.db.transaction().execute(async (trx) => {
            await trx
              .insertInto('auth_user_groups')
              .values({ user_id: user.id, group_id: id })
              .onConflict((oc) => oc.doNothing())
              .execute();
          });
          forgetCredentials(ctx.services.extensions);
          return {
            status: 201,
            body: {
              username: user.username,
              pulp_href: `${groupHref(ctx.services.apiPrefix, id)}users/${user.id}/`,
              prn: `prn:auth.user:${user.id}`,
            },
          };
        },
      },
      {
        method: 'DELETE',
        url: 'groups/:id/users/:user_id/',
        pathKey: '{groups_user_href}',
        operationId: 'groups_users_delete',
        tag: 'Groups: Users',
        summary: 'Remove a user from a group',
        responses: { 204: { description: 'No response body' } },
        async handle(ctx) {
          const id = groupId(ctx);
          const uid = Number(ctx.params.user_id);
          if (!Number.isInteger(uid) || uid < 1 || uid > 2_147_483_647)
            throw new NotFoundError('No User matches the given query.');
          const removed = await ctx.services.db.transaction().execute(async (trx) => {
            const r = await trx
              .deleteFrom('auth_user_groups')
              .where('group_id', '=', id)
              .where('user_id', '=', uid)
              .executeTakeFirst();
            return Number(r.numDeletedRows);
          });
          if (removed === 0) throw new NotFoundError('No User matches the given query.');
          return { status: 204 };
        },
      },
    ],
  };
}

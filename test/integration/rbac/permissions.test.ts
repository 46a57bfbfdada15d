import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { TestApi } from '../../helpers/api.js';
import { type ApiWithTasks, createApiWithTasks } from '../../helpers/task-runner.js';
import { call, createUser, grant } from './helpers.js';
import { fileDb } from '../../../src/plugins/file/tables.js';

let t: ApiWithTasks;
let api: TestApi;
type User = Awaited<ReturnType<typeof createUser>>;
let creator: User;
let viewer: User;
let stranger: User;
let adminRepo: string;
let adminRemote: string;

async function rolesOn(userId: number): Promise<string[]> {
  const rows = await api.database.db
    .selectFrom('core_userrole')
    .innerJoin('core_role', 'core_role.pulp_id', 'core_userrole.role_id')
    .select(['core_role.name', 'core_userrole.object_id'])
    .where('core_userrole.user_id', '=', userId)
    .execute();
  return rows.map((r) => `${r.name}@${r.object_id ?? 'global'}`);
}

const idOf = (href: string) => href.split('/').filter(Boolean).pop() as string;

beforeAll(async () => {
  t = await createApiWithTasks();
  api = t.api;
  creator = await createUser(api, 'creator');
  viewer = await createUser(api, 'viewer');
  stranger = await createUser(api, 'stranger');
  adminRepo = (await call(api, api.adminAuth, 'POST', 'repositories/file/file/', { name: 'admin-repo' })).json()
    .pulp_href;
  adminRemote = (
    await call(api, api.adminAuth, 'POST', 'remotes/file/file/', {
      name: 'admin-remote',
      url: 'http://127.0.0.1:1/PULP_MANIFEST',
    })
  ).json().pulp_href;
  await grant(api, creator.id, 'file.filerepository_creator', null);
  await grant(api, creator.id, 'file.fileremote_creator', null);
  await grant(api, creator.id, 'file.filepublication_creator', null);
});

afterAll(async () => {
  await api.close();
});

describe('file repositories by role', () => {
  it('a user without roles sees no repositories, cannot create one, and gets 404 for others by href', async () => {
    const list = await call(api, stranger.auth, 'GET', 'repositories/file/file/');
    expect(list.statusCode).toBe(200);
    expect(list.json().count).toBe(0);
    expect((await call(api, api.adminAuth, 'GET', 'repositories/file/file/')).json().count).toBeGreaterThan(0);
    expect((await call(api, stranger.auth, 'POST', 'repositories/file/file/', { name: 'nope' })).statusCode).toBe(403);
    for (const [method, url, body] of [
      ['GET', adminRepo],
      ['PATCH', adminRepo, { description: 'x' }],
      ['DELETE', adminRepo],
      ['POST', `${adminRepo}sync/`, { remote: adminRemote }],
      ['GET', `${adminRepo}versions/`],
    ] as const) {
      const res = await call(api, stranger.auth, method, url, body);
      expect([403, 404], `${method} ${url}`).toContain(res.statusCode);
      if (method !== 'GET' || !url.endsWith('versions/')) expect(res.statusCode, `${method} ${url}`).toBe(404);
    }
    expect((await call(api, stranger.auth, 'GET', 'repositories/')).json().count).toBe(0);
  });

  it('a creator becomes owner of what it creates, and of the tasks it dispatches', async () => {
    const res = await call(api, creator.auth, 'POST', 'repositories/file/file/', { name: 'creator-repo' });
    expect(res.statusCode).toBe(201);
    const repo = res.json().pulp_href as string;
    expect(await rolesOn(creator.id)).toContain(`file.filerepository_owner@${idOf(repo)}`);
    const list = await call(api, creator.auth, 'GET', 'repositories/file/file/');
    expect(list.json().results.map((r: { name: string }) => r.name)).toEqual(['creator-repo']);
    const update = await call(api, creator.auth, 'PATCH', repo, { description: 'mine' });
    expect(update.statusCode).toBe(202);
    const task = update.json().task as string;
    expect(await rolesOn(creator.id)).toContain(`core.task_owner@${idOf(task)}`);
    expect((await call(api, creator.auth, 'GET', task)).statusCode).toBe(200);
    expect((await call(api, stranger.auth, 'GET', task)).statusCode).toBe(404);
    expect((await call(api, stranger.auth, 'GET', 'tasks/')).json().count).toBe(0);
    expect(
      (await call(api, creator.auth, 'GET', 'tasks/')).json().results.map((x: { pulp_href: string }) => x.pulp_href),
    ).toEqual([task]);
    await t.runTasks();
    expect((await call(api, creator.auth, 'GET', repo)).json().description).toBe('mine');
    // The creator role does not extend to other users' repositories.
    expect((await call(api, creator.auth, 'GET', adminRepo)).statusCode).toBe(404);
  });

  it('a viewer reads but cannot change, delete, sync or manage roles', async () => {
    const repo = (await call(api, creator.auth, 'POST', 'repositories/file/file/', { name: 'shared-repo' })).json()
      .pulp_href as string;
    await grant(api, viewer.id, 'file.filerepository_viewer', repo);
    expect((await call(api, viewer.auth, 'GET', repo)).statusCode).toBe(200);
    expect(
      (await call(api, viewer.auth, 'GET', 'repositories/file/file/'))
        .json()
        .results.map((r: { name: string }) => r.name),
    ).toEqual(['shared-repo']);
    expect((await call(api, viewer.auth, 'GET', `${repo}versions/`)).statusCode).toBe(200);
    expect((await call(api, viewer.auth, 'PATCH', repo, { description: 'hijack' })).statusCode).toBe(403);
    expect((await call(api, viewer.auth, 'DELETE', repo)).statusCode).toBe(403);
    expect((await call(api, viewer.auth, 'POST', `${repo}modify/`, { add_content_units: [] })).statusCode).toBe(403);
    expect((await call(api, viewer.auth, 'POST', `${repo}set_label/`, { key: 'k', value: 'v' })).statusCode).toBe(403);
    expect(
      (
        await call(api, viewer.auth, 'POST', `users/${viewer.id}/roles/`, {
          role: 'file.filerepository_owner',
          content_object: repo,
        })
      ).statusCode,
    ).toBe(403);
    expect(await rolesOn(viewer.id)).toEqual([`file.filerepository_viewer@${idOf(repo)}`]);
  });

  it('naming a remote the user may not view is refused, its own remote is accepted', async () => {
    expect(
      (
        await call(api, creator.auth, 'POST', 'repositories/file/file/', {
          name: 'with-foreign-remote',
          remote: adminRemote,
        })
      ).statusCode,
    ).toBe(403);
    const remote = await call(api, creator.auth, 'POST', 'remotes/file/file/', {
      name: 'creator-remote',
      url: 'http://127.0.0.1:1/PULP_MANIFEST',
    });
    expect(remote.statusCode).toBe(201);
    expect(await rolesOn(creator.id)).toContain(`file.fileremote_owner@${idOf(remote.json().pulp_href)}`);
    expect(
      (
        await call(api, creator.auth, 'POST', 'repositories/file/file/', {
          name: 'with-own-remote',
          remote: remote.json().pulp_href,
        })
      ).statusCode,
    ).toBe(201);
    expect((await call(api, stranger.auth, 'GET', remote.json().pulp_href)).statusCode).toBe(404);
    expect((await call(api, stranger.auth, 'GET', 'remotes/')).json().count).toBe(0);
  });

  it('objects a task creates belong to the user who dispatched it', async () => {
    const repo = (await call(api, creator.auth, 'POST', 'repositories/file/file/', { name: 'to-publish' })).json()
      .pulp_href as string;
    const res = await call(api, creator.auth, 'POST', 'publications/file/file/', { repository: repo });
    expect(res.statusCode).toBe(202);
    await t.runTasks();
    const task = await t.task(res.json().task);
    expect(task.state).toBe('completed');
    const publication = (task.created_resources as string[])[0] as string;
    expect(await rolesOn(creator.id)).toContain(`file.filepublication_owner@${idOf(publication)}`);
    expect((await call(api, creator.auth, 'GET', publication)).statusCode).toBe(200);
    expect((await call(api, stranger.auth, 'GET', publication)).statusCode).toBe(404);
    expect((await call(api, stranger.auth, 'POST', 'publications/file/file/', { repository: repo })).statusCode).toBe(
      403,
    );
  });
});

describe('roles actions on file endpoints and tasks', () => {
  it('the owner of a repository shares it with add_role; a viewer cannot pass it on', async () => {
    const repo = (await call(api, creator.auth, 'POST', 'repositories/file/file/', { name: 'roles-repo' })).json()
      .pulp_href as string;
    const add = await call(api, creator.auth, 'POST', `${repo}add_role/`, {
      role: 'file.filerepository_viewer',
      users: ['stranger'],
    });
    expect(add.statusCode).toBe(201);
    expect(add.json()).toEqual({ role: 'file.filerepository_viewer', users: ['stranger'], groups: [] });
    expect((await call(api, stranger.auth, 'GET', repo)).statusCode).toBe(200);
    expect((await call(api, stranger.auth, 'GET', `${repo}my_permissions/`)).json()).toEqual({
      permissions: ['file.view_filerepository'],
    });
    expect((await call(api, stranger.auth, 'GET', `${repo}list_roles/`)).statusCode).toBe(403);
    expect(
      (
        await call(api, stranger.auth, 'POST', `${repo}add_role/`, {
          role: 'file.filerepository_owner',
          users: ['stranger'],
        })
      ).statusCode,
    ).toBe(403);
    const roles = (await call(api, creator.auth, 'GET', `${repo}list_roles/`)).json().roles;
    expect(roles).toEqual([
      { role: 'file.filerepository_owner', users: ['creator'], groups: [] },
      { role: 'file.filerepository_viewer', users: ['stranger'], groups: [] },
    ]);
    expect(
      (
        await call(api, creator.auth, 'POST', `${repo}remove_role/`, {
          role: 'file.filerepository_viewer',
          users: ['stranger'],
        })
      ).statusCode,
    ).toBe(201);
    expect((await call(api, stranger.auth, 'GET', repo)).statusCode).toBe(404);
  });

  it('task owners see their permissions on the task', async () => {
    const repo = (await call(api, creator.auth, 'POST', 'repositories/file/file/', { name: 'task-perms-repo' })).json()
      .pulp_href as string;
    const task = (await call(api, creator.auth, 'PATCH', repo, { description: 'd' })).json().task as string;
    const perms = await call(api, creator.auth, 'GET', `${task}my_permissions/`);
    expect(perms.json().permissions.sort()).toEqual([
      'core.change_task',
      'core.delete_task',
      'core.manage_roles_task',
      'core.view_task',
      'core.view_task_profile_artifacts',
    ]);
    expect((await call(api, stranger.auth, 'GET', `${task}my_permissions/`)).statusCode).toBe(404);
    await t.runTasks();
  });
});

describe('content and versions follow repository visibility', () => {
  it('lists only content in repositories the user may view', async () => {
    const db = api.database.db;
    const repo = (await call(api, creator.auth, 'POST', 'repositories/file/file/', { name: 'content-repo' })).json()
      .pulp_href as string;
    const add = async (repoHref: string, name: string) => {
      const c = await db
        .insertInto('content')
        .values({ pulp_type: 'file.file', pulp_labels: '{}' })
        .returning('pulp_id')
        .executeTakeFirstOrThrow();
      await fileDb(db)
        .insertInto('file_content')
        .values({ content_id: c.pulp_id, relative_path: name, digest: 'a'.repeat(64) })
        .execute();
      await db
        .insertInto('repository_content')
        .values({ repository_id: idOf(repoHref), content_id: c.pulp_id, version_added: 0 })
        .execute();
      return c.pulp_id;
    };
    const mine = await add(repo, 'mine.txt');
    const theirs = await add(adminRepo, 'theirs.txt');
    expect((await call(api, creator.auth, 'GET', `content/file/files/${mine}/`)).statusCode).toBe(200);
    expect((await call(api, creator.auth, 'GET', `content/file/files/${theirs}/`)).statusCode).toBe(404);
    expect((await call(api, stranger.auth, 'GET', `content/file/files/${mine}/`)).statusCode).toBe(404);
    const files = await call(api, creator.auth, 'GET', 'content/file/files/');
    expect(files.statusCode).toBe(200);
    expect(files.json().results.map((r: { relative_path: string }) => r.relative_path)).toEqual(['mine.txt']);
    const generic = await call(api, creator.auth, 'GET', 'content/');
    expect(generic.json().results.map((r: { pulp_href: string }) => idOf(r.pulp_href))).toEqual([mine]);
    expect((await call(api, stranger.auth, 'GET', 'content/file/files/')).json().count).toBe(0);
    expect((await call(api, api.adminAuth, 'GET', 'content/file/files/')).json().count).toBeGreaterThanOrEqual(2);
    const versions = await call(api, creator.auth, 'GET', 'repository_versions/');
    expect(versions.statusCode).toBe(200);
    const repos = new Set(
      versions.json().results.map((v: { pulp_href: string }) => v.pulp_href.split('/versions/')[0]),
    );
    expect(repos.has(adminRepo.replace(/\/$/, ''))).toBe(false);
    expect((await call(api, stranger.auth, 'GET', 'repository_versions/')).json().count).toBe(0);
  });
});

describe('group roles', () => {
  it('a global role given to a group applies to its members and stops when they leave', async () => {
    const member = await createUser(api, 'member');
    const group = (await call(api, api.adminAuth, 'POST', 'groups/', { name: 'repo-makers' })).json();
    const role = await call(api, api.adminAuth, 'POST', `${group.pulp_href}roles/`, {
      role: 'file.filerepository_creator',
      content_object: null,
    });
    expect(role.statusCode).toBe(201);
    expect(role.json().pulp_href).toMatch(new RegExp(`^${group.pulp_href}roles/[0-9a-f-]{36}/$`));
    expect((await call(api, member.auth, 'POST', 'repositories/file/file/', { name: 'by-member-1' })).statusCode).toBe(
      403,
    );
    await call(api, api.adminAuth, 'POST', `${group.pulp_href}users/`, { username: 'member' });
    expect((await call(api, member.auth, 'POST', 'repositories/file/file/', { name: 'by-member-2' })).statusCode).toBe(
      201,
    );
    expect(
      (await call(api, api.adminAuth, 'GET', `${group.pulp_href}roles/`))
        .json()
        .results.map((r: { role: string }) => r.role),
    ).toEqual(['file.filerepository_creator']);
    await call(api, api.adminAuth, 'DELETE', `${group.pulp_href}users/${member.id}/`);
    expect((await call(api, member.auth, 'POST', 'repositories/file/file/', { name: 'by-member-3' })).statusCode).toBe(
      403,
    );
  });
});

describe('task purge', () => {
  it('purges only the tasks the user may delete', async () => {
    const repo = (await call(api, creator.auth, 'POST', 'repositories/file/file/', { name: 'purge-repo' })).json()
      .pulp_href as string;
    const task = (await call(api, creator.auth, 'PATCH', repo, { description: 'p' })).json().task as string;
    await t.runTasks();
    const purge = await call(api, stranger.auth, 'POST', 'tasks/purge/', { finished_before: '2100-01-01T00:00:00Z' });
    expect(purge.statusCode).toBe(202);
    await t.runTasks();
    expect((await t.task(purge.json().task)).state).toBe('completed');
    expect((await call(api, api.adminAuth, 'GET', task)).statusCode).toBe(200);
    const own = await call(api, creator.auth, 'POST', 'tasks/purge/', { finished_before: '2100-01-01T00:00:00Z' });
    await t.runTasks();
    expect((await t.task(own.json().task)).state).toBe('completed');
    expect((await call(api, api.adminAuth, 'GET', task)).statusCode).toBe(404);
  });
});

describe('content guards and roles actions by role', () => {
  it('the guard owner manages roles on it; others can neither see it nor grant themselves access', async () => {
    await grant(api, creator.id, 'core.rbaccontentguard_creator', null);
    const res = await call(api, creator.auth, 'POST', 'contentguards/core/rbac/', { name: 'creator-guard' });
    expect(res.statusCode).toBe(201);
    const guard = res.json().pulp_href as string;
    expect(res.json().users).toEqual([]);
    expect(
      (await call(api, creator.auth, 'GET', guard)).json().users.map((u: { username: string }) => u.username),
    ).toEqual(['creator']);
    const roles = await call(api, creator.auth, 'GET', `${guard}list_roles/`);
    expect(roles.json()).toEqual({
      roles: [
        { role: 'core.rbaccontentguard_downloader', users: ['creator'], groups: [] },
        { role: 'core.rbaccontentguard_owner', users: ['creator'], groups: [] },
      ],
    });
    expect((await call(api, stranger.auth, 'GET', guard)).statusCode).toBe(404);
    expect(
      (
        await call(api, stranger.auth, 'POST', `${guard}add_role/`, {
          role: 'core.rbaccontentguard_downloader',
          users: ['stranger'],
        })
      ).statusCode,
    ).toBe(404);
    expect(
      (
        await call(api, creator.auth, 'POST', `${guard}add_role/`, {
          role: 'core.rbaccontentguard_viewer',
          users: ['viewer'],
        })
      ).statusCode,
    ).toBe(201);
    expect((await call(api, viewer.auth, 'GET', guard)).statusCode).toBe(200);
    expect(
      (
        await call(api, viewer.auth, 'POST', `${guard}add_role/`, {
          role: 'core.rbaccontentguard_downloader',
          users: ['viewer'],
        })
      ).statusCode,
    ).toBe(403);
    expect((await call(api, viewer.auth, 'PATCH', guard, { description: 'x' })).statusCode).toBe(403);
    expect((await call(api, viewer.auth, 'GET', `${guard}my_permissions/`)).json()).toEqual({
      permissions: ['core.view_rbaccontentguard'],
    });
    const wrongRole = await call(api, creator.auth, 'POST', `${guard}add_role/`, {
      role: 'core.task_owner',
      users: ['viewer'],
    });
    expect(wrongRole.json()).toEqual({
      non_field_errors: ['The role does not contain any permission for that object.'],
    });
    const twice = await call(api, creator.auth, 'POST', `${guard}add_role/`, {
      role: 'core.rbaccontentguard_viewer',
      users: ['viewer'],
    });
    expect(twice.json()).toEqual({ non_field_errors: ["The role is already assigned to user 'viewer'."] });
    const notThere = await call(api, creator.auth, 'POST', `${guard}remove_role/`, {
      role: 'core.rbaccontentguard_downloader',
      users: ['viewer'],
    });
    expect(notThere.json()).toEqual({ non_field_errors: ["The role is not assigned to user 'viewer'."] });
    expect((await call(api, stranger.auth, 'GET', 'contentguards/core/rbac/')).json().count).toBe(0);
    expect((await call(api, viewer.auth, 'GET', 'contentguards/core/rbac/')).json().count).toBe(1);
  });

  it('admin-only endpoints refuse plain users', async () => {
    for (const [method, url] of [
      ['GET', 'users/'],
      ['GET', 'roles/'],
      ['GET', 'access_policies/'],
      ['GET', 'workers/'],
      ['GET', 'artifacts/'],
      ['POST', 'orphans/cleanup/'],
      ['GET', 'contentguards/certguard/x509/'],
    ] as const) {
      const res = await call(api, creator.auth, method, url, method === 'POST' ? {} : undefined);
      expect(res.statusCode, `${method} ${url}`).toBe(403);
    }
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createTestApi, type TestApi } from '../../helpers/api.js';
import { basic, call, createUser, grant, USER_PASSWORD } from './helpers.js';

let api: TestApi;
let alice: { id: number; auth: string; href: string };

beforeAll(async () => {
  api = await createTestApi();
  alice = await createUser(api, 'alice');
});
afterAll(async () => {
  await api.close();
});

describe('users', () => {
  it('creates a user with a hashed password that is never returned', async () => {
    const res = await call(api, api.adminAuth, 'POST', 'users/', {
      username: 'bob',
      password: 'Very-secret-42',
      email: 'bob@example.com',
    });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body).toMatchObject({
      username: 'bob',
      email: 'bob@example.com',
      is_staff: false,
      is_active: true,
      groups: [],
      hidden_fields: [{ name: 'password', is_set: true }],
    });
    expect(body.pulp_href).toBe(`/pulp/api/v3/users/${body.id}/`);
    expect(body.prn).toBe(`prn:auth.user:${body.id}`);
    expect(res.body).not.toContain('Very-secret-42');
    expect(body).not.toHaveProperty('password');
    const row = await api.database.db
      .selectFrom('auth_user')
      .select('password')
      .where('id', '=', body.id)
      .executeTakeFirstOrThrow();
    expect(row.password).toMatch(/^pbkdf2_sha256\$\d+\$/);
    // The new credentials work.
    expect((await call(api, basic('bob', 'Very-secret-42'), 'GET', 'login/')).json()).toMatchObject({
      username: 'bob',
    });
  });

  it('refuses weak passwords and duplicate usernames with field errors', async () => {
    const weak = await call(api, api.adminAuth, 'POST', 'users/', { username: 'carol', password: '1234' });
    expect(weak.statusCode).toBe(400);
    expect(weak.json().password).toEqual(
      expect.arrayContaining([
        'This password is too short. It must contain at least 8 characters.',
        'This password is entirely numeric.',
      ]),
    );
    const dup = await call(api, api.adminAuth, 'POST', 'users/', { username: 'alice', password: 'Another-good-1' });
    expect(dup.statusCode).toBe(400);
    expect(dup.json()).toEqual({ username: ['A user with that username already exists.'] });
  });

  it('stops accepting an old password at once after a change, and a deactivated user at once', async () => {
    const u = await createUser(api, 'dave');
    expect((await call(api, u.auth, 'GET', 'login/')).statusCode).toBe(200);
    const patch = await call(api, api.adminAuth, 'PATCH', `users/${u.id}/`, { password: 'Brand-new-pass-9' });
    expect(patch.statusCode).toBe(200);
    expect((await call(api, u.auth, 'GET', 'login/')).statusCode).toBe(401);
    const fresh = basic('dave', 'Brand-new-pass-9');
    expect((await call(api, fresh, 'GET', 'login/')).statusCode).toBe(200);
    await call(api, api.adminAuth, 'PATCH', `users/${u.id}/`, { is_active: false });
    expect((await call(api, fresh, 'GET', 'login/')).statusCode).toBe(401);
  });

  it('is for admins only: a plain user gets 403 on every users operation', async () => {
    expect((await call(api, alice.auth, 'GET', 'users/')).statusCode).toBe(403);
    expect((await call(api, alice.auth, 'GET', alice.href)).statusCode).toBe(403);
    expect((await call(api, alice.auth, 'PATCH', alice.href, { is_staff: true })).statusCode).toBe(403);
    expect(
      (await call(api, alice.auth, 'POST', 'users/', { username: 'mallory', password: 'Whatever-123' })).statusCode,
    ).toBe(403);
    const row = await api.database.db
      .selectFrom('auth_user')
      .select(['is_staff', 'is_superuser'])
      .where('id', '=', alice.id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ is_staff: false, is_superuser: false });
  });

  it('keeps answering 401 to repeated wrong passwords and never locks the real user out', async () => {
    const u = await createUser(api, 'guessed');
    for (let i = 0; i < 25; i++)
      expect((await call(api, basic('guessed', `wrong-${i}`), 'GET', 'login/')).statusCode).toBe(401);
    const ok = await call(api, u.auth, 'GET', 'login/');
    expect(ok.statusCode).toBe(200);
    expect(ok.json().username).toBe('guessed');
  });

  it('filters and lists users for admins', async () => {
    const res = await call(api, api.adminAuth, 'GET', 'users/?username__icontains=ALI');
    expect(res.statusCode).toBe(200);
    expect(res.json().results.map((u: { username: string }) => u.username)).toEqual(['alice']);
    expect((await call(api, api.adminAuth, 'GET', 'users/?nonsense=1')).statusCode).toBe(400);
  });
});

describe('groups', () => {
  it('manages groups and their members; memberships show on the user', async () => {
    const g = await call(api, api.adminAuth, 'POST', 'groups/', { name: 'editors' });
    expect(g.statusCode).toBe(201);
    const group = g.json();
    expect(group).toMatchObject({
      name: 'editors',
      pulp_href: `/pulp/api/v3/groups/${group.id}/`,
      prn: `prn:core.group:${group.id}`,
    });
    const add = await call(api, api.adminAuth, 'POST', `${group.pulp_href}users/`, { username: 'alice' });
    expect(add.statusCode).toBe(201);
    expect(add.json()).toEqual({
      username: 'alice',
      pulp_href: `${group.pulp_href}users/${alice.id}/`,
      prn: `prn:auth.user:${alice.id}`,
    });
    const members = await call(api, api.adminAuth, 'GET', `${group.pulp_href}users/`);
    expect(members.json().results.map((m: { username: string }) => m.username)).toEqual(['alice']);
    const user = await call(api, api.adminAuth, 'GET', alice.href);
    expect(user.json().groups).toEqual([{ name: 'editors', pulp_href: group.pulp_href, prn: group.prn }]);
    expect((await call(api, api.adminAuth, 'POST', `${group.pulp_href}users/`, { username: 'nobody' })).json()).toEqual(
      ['Could not find user nobody'],
    );
    expect((await call(api, api.adminAuth, 'DELETE', `${group.pulp_href}users/${alice.id}/`)).statusCode).toBe(204);
    expect((await call(api, api.adminAuth, 'GET', `${group.pulp_href}users/`)).json().count).toBe(0);
  });

  it('lets a user with core.group_creator create a group and own it, but not see other groups', async () => {
    const creator = await createUser(api, 'groupmaker');
    expect((await call(api, creator.auth, 'POST', 'groups/', { name: 'nope' })).statusCode).toBe(403);
    await grant(api, creator.id, 'core.group_creator', null);
    const other = (await call(api, api.adminAuth, 'POST', 'groups/', { name: 'secret-group' })).json();
    const mine = await call(api, creator.auth, 'POST', 'groups/', { name: 'makers' });
    expect(mine.statusCode).toBe(201);
    const list = await call(api, creator.auth, 'GET', 'groups/');
    expect(list.json().results.map((g: { name: string }) => g.name)).toEqual(['makers']);
    expect((await call(api, creator.auth, 'GET', other.pulp_href)).statusCode).toBe(404);
    expect(
      (await call(api, creator.auth, 'POST', `${other.pulp_href}users/`, { username: 'groupmaker' })).statusCode,
    ).toBe(403);
    // Owner of its group: may add members and manage its roles.
    expect(
      (await call(api, creator.auth, 'POST', `${mine.json().pulp_href}users/`, { username: 'alice' })).statusCode,
    ).toBe(201);
    const perms = await call(api, creator.auth, 'GET', `${mine.json().pulp_href}my_permissions/`);
    expect(perms.json().permissions.sort()).toEqual([
      'core.add_group',
      'core.change_group',
      'core.delete_group',
      'core.manage_roles_group',
      'core.view_group',
    ]);
  });
});

describe('roles', () => {
  it('ships locked built-in roles with Pulp names that nobody can change or delete', async () => {
    const res = await call(api, api.adminAuth, 'GET', 'roles/?name=file.filerepository_owner');
    expect(res.statusCode).toBe(200);
    const role = res.json().results[0];
    expect(role).toMatchObject({ name: 'file.filerepository_owner', locked: true });
    expect(role.permissions).toEqual([
      'file.change_filerepository',
      'file.delete_filerepository',
      'file.manage_roles_filerepository',
      'file.modify_filerepository',
      'file.repair_filerepository',
      'file.sync_filerepository',
      'file.view_filerepository',
    ]);
    for (const name of [
      'core.task_owner',
      'core.rbaccontentguard_downloader',
      'file.filerepository_viewer',
      'file.filerepository_creator',
      'file.fileremote_owner',
      'core.upload_owner',
    ]) {
      expect((await call(api, api.adminAuth, 'GET', `roles/?name=${name}`)).json().count, name).toBe(1);
    }
    const patch = await call(api, api.adminAuth, 'PATCH', role.pulp_href, { permissions: ['core.view_task'] });
    expect(patch.statusCode).toBe(403);
    expect(patch.json()).toEqual({ detail: 'The role is locked.' });
    expect((await call(api, api.adminAuth, 'DELETE', role.pulp_href)).statusCode).toBe(403);
    const after = await call(api, api.adminAuth, 'GET', role.pulp_href);
    expect(after.json().permissions).toEqual(role.permissions);
  });

  it('creates custom roles from known permissions only', async () => {
    const bad = await call(api, api.adminAuth, 'POST', 'roles/', {
      name: 'x',
      permissions: ['file.view_filerepository', 'core.fly', 'nodot'],
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toEqual({
      permissions: [
        "Permission 'core.fly' does not exist.",
        "Permission 'nodot' is not in the format '<app_label>.<codename>'.",
      ],
    });
    const ok = await call(api, api.adminAuth, 'POST', 'roles/', {
      name: 'repo-reader',
      description: 'reads',
      permissions: ['file.view_filerepository'],
    });
    expect(ok.statusCode).toBe(201);
    expect(ok.json()).toMatchObject({
      name: 'repo-reader',
      locked: false,
      permissions: ['file.view_filerepository'],
      prn: expect.stringMatching(/^prn:core\.role:/),
    });
    const filtered = await call(
      api,
      api.adminAuth,
      'GET',
      'roles/?contains_permission=file.view_filerepository&locked=false',
    );
    expect(filtered.json().results.map((r: { name: string }) => r.name)).toEqual(['repo-reader']);
    const patched = await call(api, api.adminAuth, 'PATCH', ok.json().pulp_href, { description: 'reads repositories' });
    expect(patched.json().description).toBe('reads repositories');
    expect((await call(api, api.adminAuth, 'DELETE', ok.json().pulp_href)).statusCode).toBe(204);
  });

  it('assigns roles to users globally or on one object, and refuses roles without a permission for that object', async () => {
    const u = await createUser(api, 'assignee');
    const guard = (await call(api, api.adminAuth, 'POST', 'contentguards/core/rbac/', { name: 'assign-guard' })).json();
    const missing = await call(api, api.adminAuth, 'POST', `users/${u.id}/roles/`, { role: 'core.task_viewer' });
    expect(missing.statusCode).toBe(400);
    const wrong = await call(api, api.adminAuth, 'POST', `users/${u.id}/roles/`, {
      role: 'core.task_viewer',
      content_object: guard.pulp_href,
    });
    expect(wrong.json()).toEqual({
      non_field_errors: ["The role 'core.task_viewer' does not carry any permission for that object."],
    });
    const ok = await call(api, api.adminAuth, 'POST', `users/${u.id}/roles/`, {
      role: 'core.rbaccontentguard_downloader',
      content_object: guard.pulp_href,
    });
    expect(ok.statusCode).toBe(201);
    expect(ok.json()).toMatchObject({
      role: 'core.rbaccontentguard_downloader',
      content_object: guard.pulp_href,
      permissions: ['core.download_rbaccontentguard'],
      domain: null,
    });
    expect(ok.json().pulp_href).toMatch(new RegExp(`^/pulp/api/v3/users/${u.id}/roles/[0-9a-f-]{36}/$`));
    const again = await call(api, api.adminAuth, 'POST', `users/${u.id}/roles/`, {
      role: 'core.rbaccontentguard_downloader',
      content_object: guard.pulp_href,
    });
    expect(again.json()).toEqual({ non_field_errors: ['The role is already assigned to this user.'] });
    const bogus = await call(api, api.adminAuth, 'POST', `users/${u.id}/roles/`, {
      role: 'core.rbaccontentguard_downloader',
      content_object: '/pulp/api/v3/contentguards/core/rbac/00000000-0000-0000-0000-000000000000/',
    });
    expect(bogus.statusCode).toBe(400);
    const global = await call(api, api.adminAuth, 'POST', `users/${u.id}/roles/`, {
      role: 'core.task_viewer',
      content_object: null,
    });
    expect(global.json().content_object).toBeNull();
    const list = await call(api, api.adminAuth, 'GET', `users/${u.id}/roles/?role__startswith=core.task`);
    expect(list.json().results.map((r: { role: string }) => r.role)).toEqual(['core.task_viewer']);
    const byObject = await call(
      api,
      api.adminAuth,
      'GET',
      `users/${u.id}/roles/?content_object=${encodeURIComponent(guard.pulp_href)}`,
    );
    expect(byObject.json().count).toBe(1);
    expect((await call(api, api.adminAuth, 'DELETE', global.json().pulp_href)).statusCode).toBe(204);
    // The guard's RO users list shows the downloader.
    expect(
      (await call(api, api.adminAuth, 'GET', guard.pulp_href))
        .json()
        .users.map((x: { username: string }) => x.username),
    ).toEqual(expect.arrayContaining(['assignee']));
  });

  it('never lets a user escalate by giving itself a role', async () => {
    const self = await createUser(api, 'climber');
    const res = await call(api, self.auth, 'POST', `users/${self.id}/roles/`, {
      role: 'core.task_viewer',
      content_object: null,
    });
    expect(res.statusCode).toBe(403);
    const viaGroup = await call(api, self.auth, 'POST', 'groups/', { name: 'climbers' });
    expect(viaGroup.statusCode).toBe(403);
    const roleEdit = await call(api, self.auth, 'POST', 'roles/', { name: 'mine', permissions: ['core.view_task'] });
    expect(roleEdit.statusCode).toBe(403);
    const rows = await api.database.db
      .selectFrom('core_userrole')
      .select('pulp_id')
      .where('user_id', '=', self.id)
      .execute();
    expect(rows).toEqual([]);
  });
});

describe('access policies', () => {
  it('lists the shipped policies, accepts a customization that takes effect, and resets it', async () => {
    const list = await call(api, api.adminAuth, 'GET', 'access_policies/?viewset_name=tasks');
    expect(list.statusCode).toBe(200);
    const policy = list.json().results[0];
    expect(policy).toMatchObject({
      viewset_name: 'tasks',
      customized: false,
      queryset_scoping: { function: 'scope_queryset' },
    });
    expect(policy.creation_hooks).toEqual([
      { function: 'add_roles_for_object_creator', parameters: { roles: 'core.task_owner' } },
    ]);
    expect(policy.permissions_assignment).toEqual(policy.creation_hooks);

    const u = await createUser(api, 'policy-user');
    expect((await call(api, u.auth, 'GET', 'tasks/')).statusCode).toBe(200);
    const deny = await call(api, api.adminAuth, 'PATCH', policy.pulp_href, {
      statements: [{ action: ['list'], principal: 'admin', effect: 'allow' }],
    });
    expect(deny.statusCode).toBe(200);
    expect(deny.json().customized).toBe(true);
    expect((await call(api, u.auth, 'GET', 'tasks/')).statusCode).toBe(403);
    const bad = await call(api, api.adminAuth, 'PATCH', policy.pulp_href, {
      statements: [{ action: 'list', principal: '*', effect: 'maybe' }],
    });
    expect(bad.statusCode).toBe(400);
    const reset = await call(api, api.adminAuth, 'POST', `${policy.pulp_href}reset/`);
    expect(reset.statusCode).toBe(200);
    expect(reset.json()).toMatchObject({ customized: false, statements: policy.statements });
    expect((await call(api, u.auth, 'GET', 'tasks/')).statusCode).toBe(200);
    expect((await call(api, u.auth, 'GET', 'access_policies/')).statusCode).toBe(403);
  });
});

describe('login sessions', () => {
  it('starts a session cookie, needs the CSRF token for unsafe methods, and logs out', async () => {
    const u = await createUser(api, 'sessionuser');
    const login = await call(api, u.auth, 'POST', 'login/');
    expect(login.statusCode).toBe(201);
    expect(login.json()).toEqual({ pulp_href: u.href, prn: `prn:auth.user:${u.id}`, username: 'sessionuser' });
    const cookies = login.cookies as Array<{ name: string; value: string }>;
    const session = cookies.find((c) => c.name === 'sessionid')?.value ?? '';
    const csrf = cookies.find((c) => c.name === 'csrftoken')?.value ?? '';
    expect(session).not.toBe('');
    const cookie = `sessionid=${session}; csrftoken=${csrf}`;
    const who = await api.app.inject({ method: 'GET', url: '/pulp/api/v3/login/', headers: { cookie } });
    expect(who.json().username).toBe('sessionuser');
    const noCsrf = await api.app.inject({
      method: 'PATCH',
      url: '/pulp/api/v3/login/',
      headers: { cookie },
      payload: { first_name: 'S' },
    });
    expect(noCsrf.statusCode).toBe(403);
    expect(noCsrf.json()).toEqual({ detail: 'CSRF Failed: CSRF token missing.' });
    const wrongCsrf = await api.app.inject({
      method: 'PATCH',
      url: '/pulp/api/v3/login/',
      headers: { cookie, 'x-csrftoken': 'x'.repeat(48) },
      payload: { first_name: 'S' },
    });
    expect(wrongCsrf.statusCode).toBe(403);
    const withCsrf = await api.app.inject({
      method: 'PATCH',
      url: '/pulp/api/v3/login/',
      headers: { cookie, 'x-csrftoken': csrf },
      payload: { first_name: 'Sam' },
    });
    expect(withCsrf.statusCode).toBe(200);
    expect(withCsrf.json()).toMatchObject({ username: 'sessionuser', first_name: 'Sam' });
    const pw = await api.app.inject({
      method: 'PATCH',
      url: '/pulp/api/v3/login/',
      headers: { cookie, 'x-csrftoken': csrf },
      payload: { old_password: 'wrong', new_password: 'Another-Pass-77' },
    });
    expect(pw.json()).toEqual({ non_field_errors: ['Old password is incorrect.'] });
    const pwOk = await api.app.inject({
      method: 'PATCH',
      url: '/pulp/api/v3/login/',
      headers: { cookie, 'x-csrftoken': csrf },
      payload: { old_password: USER_PASSWORD, new_password: 'Another-Pass-77' },
    });
    expect(pwOk.statusCode).toBe(200);
    const out = await api.app.inject({
      method: 'DELETE',
      url: '/pulp/api/v3/login/',
      headers: { cookie, 'x-csrftoken': csrf },
    });
    expect(out.statusCode).toBe(204);
    expect((await api.app.inject({ method: 'GET', url: '/pulp/api/v3/login/', headers: { cookie } })).statusCode).toBe(
      401,
    );
    expect(
      (await api.app.inject({ method: 'GET', url: '/pulp/api/v3/login/', headers: { cookie: 'sessionid=forged' } }))
        .statusCode,
    ).toBe(401);
  });
});

/* eslint-disable @typescript-eslint/no-explicit-any */
import { pino } from 'pino';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type ContentApp, startContentApp } from '../../../src/content/server.js';
import { FixtureServer } from '../../helpers/fixture-server.js';
import { type ApiWithTasks, createApiWithTasks } from '../../helpers/task-runner.js';
import widget from '../../fixtures/widget-plugin/index.js';

// A plugin that lives outside src/ and was edited into nothing: a content type with its own table, a remote
// with sync, a publication served by the content app, an access policy with roles and a guard type.

const API = '/pulp/api/v3/';
let t: ApiWithTasks;
let server: FixtureServer;
let content: ContentApp;

async function call(method: string, url: string, body?: unknown, auth?: string) {
  const res = await t.api.app.inject({
    method: method as 'GET',
    url,
    headers: { authorization: auth ?? t.api.adminAuth, ...(body ? { 'content-type': 'application/json' } : {}) },
    payload: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.statusCode, body: res.body ? (JSON.parse(res.body) as Record<string, any>) : {} };
}

async function finish(reply: { status: number; body: Record<string, any> }): Promise<Record<string, any>> {
  expect(reply.status).toBe(202);
  await t.runTasks();
  return t.task(reply.body.task as string);
}

const serial = async () =>
  Number((await sql<{ s: string }>`SELECT serial AS s FROM content_serial`.execute(t.api.database.db)).rows[0]!.s);

async function get(p: string, headers: Record<string, string> = {}) {
  const res = await fetch(`http://127.0.0.1:${content.port}/pulp/content/${p}`, { headers });
  return { status: res.status, body: await res.text() };
}

beforeAll(async () => {
  t = await createApiWithTasks({}, [widget]);
  server = await new FixtureServer({ files: new Map([['widgets.txt', 'alpha\nbeta\n']]) }).start();
  content = await startContentApp({
    settings: t.api.settings,
    db: t.api.database.db,
    logger: pino({ level: 'silent' }),
    storage: t.api.services.storage,
    heartbeat: false,
    plugins: t.api.registry,
  });
});
afterAll(async () => {
  await content?.close();
  await server?.stop();
  await t?.api.close();
});

describe('a plugin built only on plugin-api', () => {
  it('syncs, publishes and is served by the content app, behind its own guard type', async () => {
    const remote = await call('POST', `${API}remotes/widget/widget/`, { name: 'w', url: server.url('widgets.txt') });
    expect(remote.status).toBe(201);
    expect(remote.body.pulp_href).toMatch(/\/remotes\/widget\/widget\/[0-9a-f-]{36}\/$/);
    const repo = await call('POST', `${API}repositories/widget/widget/`, { name: 'w', remote: remote.body.pulp_href });
    expect(repo.status).toBe(201);
    const synced = await finish(await call('POST', `${repo.body.pulp_href}sync/`, {}));
    expect(synced.state).toBe('completed');
    expect(synced.name).toBe('widget.sync');
    expect(synced.reserved_resources_record).toEqual(
      expect.arrayContaining([`prn:widget.widgetrepository:${repo.body.pulp_href.split('/').at(-2)}`]),
    );
    const version = await call('GET', `${repo.body.pulp_href}versions/1/`);
    expect(version.body.content_summary.added['widget.widget'].count).toBe(2);

    const published = await finish(
      await call('POST', `${API}publications/widget/widget/`, { repository: repo.body.pulp_href }),
    );
    expect(published.state).toBe('completed');
    const pubHref = published.created_resources[0] as string;
    const dist = await finish(
      await call('POST', `${API}distributions/widget/widget/`, {
        name: 'w',
        base_path: 'widgets',
        publication: pubHref,
      }),
    );
    expect(dist.state).toBe('completed');
    expect(await get('widgets/widgets/alpha.txt')).toEqual({ status: 200, body: 'widget alpha\n' });

    const guard = await call('POST', `${API}contentguards/widget/password/`, { name: 'pw', password: 's3cret' });
    expect(guard.status).toBe(201);
    const distHref = dist.created_resources[0] as string;
    const before = await serial();
    expect((await finish(await call('PATCH', distHref, { content_guard: guard.body.pulp_href }))).state).toBe(
      'completed',
    );
    expect(await serial()).toBeGreaterThan(before);
    // Seen at once: the content app answers with the new guard on the very next request.
    expect((await get('widgets/widgets/beta.txt')).status).toBe(403);
    expect(await get('widgets/widgets/beta.txt', { 'x-widget-password': 's3cret' })).toEqual({
      status: 200,
      body: 'widget beta\n',
    });
    expect((await get('widgets/widgets/beta.txt', { 'x-widget-password': 'wrong' })).status).toBe(403);
  });

  it('reports its version, documents its operations and ships its access policy and roles', async () => {
    const status = await call('GET', `${API}status/`);
    expect(status.body.versions).toContainEqual(
      expect.objectContaining({ component: 'widget', version: '1.2.3', package: 'pulp-widget' }),
    );
    const doc = await t.api.app.inject({ method: 'GET', url: `${API}docs/api.json` });
    const ops = new Set<string>();
    for (const item of Object.values(JSON.parse(doc.body).paths as Record<string, Record<string, any>>))
      for (const op of Object.values(item)) if (op?.operationId) ops.add(op.operationId as string);
    for (const id of [
      'repositories_widget_widget_sync',
      'remotes_widget_widget_create',
      'publications_widget_widget_create',
      'distributions_widget_widget_partial_update',
      'contentguards_widget_password_create',
    ])
      expect(ops).toContain(id);
    const policy = await call('GET', `${API}access_policies/?viewset_name=repositories/widget/widget`);
    expect(policy.body.count).toBe(1);
    const role = await call('GET', `${API}roles/?name=widget.widgetrepository_owner`);
    expect(role.body.results[0].permissions).toContain('widget.sync_widgetrepository');
  });

  it("enforces the plugin's access policy for other users", async () => {
    const user = await call('POST', `${API}users/`, { username: 'wuser', password: 'a-long-password-1' });
    expect(user.status).toBe(201);
    const auth = `Basic ${Buffer.from('wuser:a-long-password-1').toString('base64')}`;
    const list = await call('GET', `${API}repositories/widget/widget/`, undefined, auth);
    expect(list.status).toBe(200);
    expect(list.body.count).toBe(0);
    expect((await call('POST', `${API}repositories/widget/widget/`, { name: 'mine' }, auth)).status).toBe(403);
    await call('POST', `${user.body.pulp_href}roles/`, {
      role: 'widget.widgetrepository_creator',
      content_object: null,
    });
    const mine = await call('POST', `${API}repositories/widget/widget/`, { name: 'mine' }, auth);
    expect(mine.status).toBe(201);
    // The creation hook made the creator the owner: it now sees its own repository, and only that one.
    const after = await call('GET', `${API}repositories/widget/widget/`, undefined, auth);
    expect(after.body.results.map((r: { name: string }) => r.name)).toEqual(['mine']);
  });
});

describe('invariants held by the database', () => {
  it('refuses nested base paths created concurrently (both passed the API check)', async () => {
    const a = await call('POST', `${API}distributions/widget/widget/`, { name: 'n1', base_path: 'nest' });
    const b = await call('POST', `${API}distributions/widget/widget/`, { name: 'n2', base_path: 'nest/inner' });
    expect([a.status, b.status]).toEqual([202, 202]);
    await t.runTasks();
    const states = [await t.task(a.body.task as string), await t.task(b.body.task as string)];
    expect(states.map((s) => s.state).sort()).toEqual(['completed', 'failed']);
    const failed = states.find((s) => s.state === 'failed')!;
    expect((failed.error as { description: string }).description).toMatch(/overlaps with existing distribution 'n1'/);
    const rows = await sql<{ n: string }>`SELECT count(*) AS n FROM distribution WHERE base_path LIKE 'nest%'`.execute(
      t.api.database.db,
    );
    expect(Number(rows.rows[0]!.n)).toBe(1);
  });

  it('bumps the content serial for publications, distributions, guards and roles without any caller doing it', async () => {
    const db = t.api.database.db;
    const cases: Array<[string, () => Promise<unknown>]> = [
      ['guard change', () => call('PATCH', `${API}contentguards/widget/password/?name=pw`, {})],
      [
        'role removed',
        () =>
          sql`DELETE FROM core_userrole WHERE role_id IN (SELECT pulp_id FROM core_role WHERE name = 'widget.widgetrepository_creator')`.execute(
            db,
          ),
      ],
      ['distribution changed', () => sql`UPDATE distribution SET hidden = NOT hidden WHERE name = 'w'`.execute(db)],
      ['publication deleted', () => sql`DELETE FROM publication WHERE pulp_type = 'widget.widget'`.execute(db)],
    ];
    for (const [what, change] of cases) {
      const before = await serial();
      if (what === 'guard change') {
        const g = await call('GET', `${API}contentguards/widget/password/?name=pw`);
        expect((await call('PATCH', g.body.results[0].pulp_href as string, { description: 'changed' })).status).toBe(
          200,
        );
      } else await change();
      expect(await serial(), what).toBe(before + 1);
    }
    // Many rows in one transaction: one bump.
    const before = await serial();
    await db.transaction().execute(async (trx) => {
      await sql`UPDATE distribution SET hidden = NOT hidden`.execute(trx);
      await sql`UPDATE distribution SET hidden = NOT hidden`.execute(trx);
    });
    expect(await serial()).toBe(before + 1);
  });
});

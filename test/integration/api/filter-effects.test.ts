/* eslint-disable @typescript-eslint/no-explicit-any -- walking untyped JSON documents and bodies */
// Every filter the OpenAPI document declares must do something: on data where it can tell objects apart, some
// value of it changes the result set. A filter that is accepted and then ignored fails here, naming itself.
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { syncTuning } from '../../../src/plugins/file/sync-task.js';
import { FixtureServer, fixtureMap, generateRepository } from '../../helpers/fixture-server.js';
import { type ApiWithTasks, createApiWithTasks } from '../../helpers/task-runner.js';

const API = '/pulp/api/v3/';
const RESERVED = new Set(['limit', 'offset', 'ordering', 'fields', 'exclude_fields', 'q']);
/**
 * Filters the seeded data cannot show at work, each with the reason. Anything else that changes nothing fails.
 */
const DATA_CANNOT_SHOW: Record<string, string> = {};

/**
 * Filters that do nothing today because of a bug outside this test; each entry fails the test once it works,
 * so that it is removed then.
 */
const KNOWN_BROKEN: Record<string, string> = {};

let t: ApiWithTasks;
let server: FixtureServer;
let doc: any;
const certs: { dir: string } = { dir: '' };

async function call(method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown) {
  const res = await t.api.app.inject({
    method,
    url,
    payload: payload as object,
    headers: { authorization: t.api.adminAuth },
  });
  return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : null };
}

async function created(url: string, payload: unknown): Promise<any> {
  const r = await call('POST', url, payload);
  expect(r.status, `${url}: ${JSON.stringify(r.body)}`).toBe(201);
  return r.body;
}

async function finished(url: string, payload: unknown): Promise<any> {
  const r = await call('POST', url, payload);
  expect(r.status, `${url}: ${JSON.stringify(r.body)}`).toBe(202);
  await t.runTasks();
  const task = await t.task(r.body.task);
  expect(task.state, JSON.stringify(task.error)).toBe('completed');
  return task;
}

async function caCertificate(): Promise<string> {
  certs.dir = await mkdtemp(path.join(tmpdir(), 'pulp-ts-filter-certs-'));
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ca.key']
      .concat(['-out', 'ca.pem', '-days', '30', '-subj', '/CN=filters-ca'])
      .concat(['-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign']),
    { cwd: certs.dir, stdio: 'ignore' },
  );
  return readFile(path.join(certs.dir, 'ca.pem'), 'utf8');
}

/** Two of most things, differing in every filtered field, built through the API and its tasks. */
async function seed(): Promise<void> {
  const a = generateRepository(['a.txt', 'dir/b.txt', 'dir/c.bin']);
  const b = generateRepository(['other.txt', 'more/d.txt'], 100);
  server = await new FixtureServer({
    files: new Map([...fixtureMap(a.files, a.manifest, 'a/'), ...fixtureMap(b.files, b.manifest, 'b/')]),
  }).start();
  const r1 = await created(`${API}remotes/file/file/`, {
    name: 'alpha-remote',
    url: server.url('a/PULP_MANIFEST'),
    pulp_labels: { env: 'prod' },
  });
  const r2 = await created(`${API}remotes/file/file/`, {
    name: 'beta-remote',
    url: server.url('b/PULP_MANIFEST'),
    policy: 'on_demand',
    pulp_labels: { env: 'dev', tier: '2' },
  });
  const repoA = await created(`${API}repositories/file/file/`, {
    name: 'alpha-repo',
    remote: r1.pulp_href,
    retain_repo_versions: 5,
    pulp_labels: { env: 'prod' },
  });
  const repoB = await created(`${API}repositories/file/file/`, {
    name: 'beta-repo',
    retain_checkpoints: 2,
    pulp_labels: { env: 'dev' },
  });
  await finished(`${repoA.pulp_href}sync/`, {});
  await finished(`${repoB.pulp_href}sync/`, { remote: r2.pulp_href });
  const aContent = (await call('GET', `${API}content/file/files/?repository_version=${repoA.pulp_href}versions/1/`))
    .body.results;
  await finished(`${repoA.pulp_href}modify/`, { remove_content_units: [aContent[0].pulp_href] });
  const pubTask = await finished(`${API}publications/file/file/`, { repository: repoA.pulp_href });
  await finished(`${API}publications/file/file/`, { repository_version: `${repoB.pulp_href}versions/1/` });
  const header = await created(`${API}contentguards/core/header/`, {
    name: 'alpha-header',
    header_name: 'x-token',
    header_value: 'secret',
  });
  await created(`${API}contentguards/core/header/`, { name: 'beta-header', header_name: 'x-b', header_value: 'b' });
  const rbac = await created(`${API}contentguards/core/rbac/`, { name: 'alpha-rbac' });
  await created(`${API}contentguards/core/rbac/`, { name: 'beta-rbac' });
  await created(`${API}contentguards/core/composite/`, { name: 'alpha-composite', guards: [rbac.pulp_href] });
  await created(`${API}contentguards/core/composite/`, { name: 'beta-composite', guards: [] });
  await created(`${API}contentguards/core/content_redirect/`, { name: 'alpha-redirect' });
  await created(`${API}contentguards/core/content_redirect/`, { name: 'beta-redirect' });
  const ca = await caCertificate();
  await created(`${API}contentguards/certguard/x509/`, { name: 'alpha-x509', ca_certificate: ca });
  await created(`${API}contentguards/certguard/x509/`, { name: 'beta-x509', ca_certificate: ca });
  await finished(`${API}distributions/file/file/`, {
    name: 'alpha-dist',
    base_path: 'alpha/files',
    repository: repoA.pulp_href,
    content_guard: header.pulp_href,
    pulp_labels: { env: 'prod' },
  });
  await finished(`${API}distributions/file/file/`, {
    name: 'beta-dist',
    base_path: 'beta',
    publication: pubTask.created_resources[0],
  });
  await finished(`${API}distributions/file/file/`, {
    name: 'gamma-dist',
    base_path: 'gamma',
    repository: repoB.pulp_href,
    checkpoint: true,
  });
  for (const size of [100, 2048]) await created(`${API}uploads/`, { size });
  await created(`${API}users/`, {
    username: 'alice',
    password: 'a-long-password-1',
    email: 'alice@example.com',
    first_name: 'Alice',
    last_name: 'Liddell',
    is_staff: false,
  });
  await created(`${API}users/`, {
    username: 'bob',
    password: 'a-long-password-2',
    email: 'bob@example.org',
    first_name: 'Bob',
    last_name: 'Builder',
    is_active: false,
  });
  for (const name of ['alpha-group', 'beta-group']) await created(`${API}groups/`, { name });
  const policies = (await call('GET', `${API}access_policies/?limit=1`)).body.results;
  const customized = await call('PATCH', policies[0].pulp_href, { statements: policies[0].statements });
  expect(customized.status).toBe(200);
  // A worker that went away, and a task that has not run (no worker, no start, state waiting).
  await t.api.database.db
    .insertInto('app_status')
    .values({ name: 'gone@elsewhere', app_type: 'worker', versions: '{}', last_heartbeat: new Date(0) })
    .execute();
  const waiting = await call('POST', `${API}orphans/cleanup/`, { orphan_protection_time: 60 });
  expect(waiting.status).toBe(202);
}

beforeAll(async () => {
  syncTuning.retryBaseMs = 5;
  t = await createApiWithTasks();
  await seed();
  doc = (await call('GET', `${API}docs/api.json`)).body;
}, 120_000);
afterAll(async () => {
  await server?.stop();
  await t?.api.close();
  if (certs.dir) await rm(certs.dir, { recursive: true, force: true });
});

/** The identity of a whole list answer: its count and the objects on the page. */
async function resultSet(url: string): Promise<string | null> {
  const r = await call('GET', url);
  if (r.status !== 200) return null;
  const ids = (r.body.results as any[]).map((o) => o.pulp_href ?? JSON.stringify(o));
  return `${r.body.count}:${ids.sort().join(' ')}`;
}

/** Everything the seeded objects hold, by field name: where a filter looks for the values to try. */
function valuesByField(lists: Map<string, any[]>): { byField: Map<string, Set<string>>; hrefs: Set<string> } {
  const byField = new Map<string, Set<string>>();
  const hrefs = new Set<string>();
  const add = (field: string, v: unknown) => {
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') return;
    const s = String(v);
    if (!byField.has(field)) byField.set(field, new Set());
    byField.get(field)!.add(s);
    if (s.startsWith(API)) hrefs.add(s);
  };
  for (const objects of lists.values()) {
    for (const o of objects) {
      for (const [k, v] of Object.entries(o)) {
        if (Array.isArray(v)) for (const x of v) add(k, typeof x === 'object' && x ? x.pulp_href : x);
        else if (v && typeof v === 'object' && k === 'pulp_labels')
          for (const [lk, lv] of Object.entries(v)) {
            add('pulp_label_select', lk);
            add('pulp_label_select', `${lk}=${String(lv)}`);
          }
        else add(k, v);
      }
    }
  }
  return { byField, hrefs };
}

const ALIASES: Record<string, string[]> = {
  digest: ['sha256'],
  contains_permission: ['permissions'],
  for_object_type: [],
  reserved_resources: ['reserved_resources_record', 'created_resources'],
  exclusive_resources: ['reserved_resources_record'],
  shared_resources: ['reserved_resources_record'],
  with_content: ['content'],
  latest_with_content: ['content'],
  content: ['content'],
  child_tasks: ['child_tasks'],
};
const GENERIC = [
  'true',
  'false',
  '0',
  '1',
  '2',
  '-1',
  '2100-01-01T00:00:00Z',
  '2000-01-01T00:00:00Z',
  '2000-01-01T00:00:00Z,2000-01-02T00:00:00Z',
  '1000000,2000000',
  'zzz-no-match',
  '0190b1f4-8a4c-7a43-9f43-7f1f3a1c2b3d',
  '0'.repeat(64),
  'waiting',
  'completed',
  'immediate',
];

function candidates(param: any, fields: Map<string, Set<string>>, hrefs: Set<string>, paths: string[]): string[] {
  const name = String(param.name);
  const [base, lookup] = name.split('__') as [string, string | undefined];
  const sources = [base, ...(ALIASES[base] ?? [])];
  const values = sources.flatMap((f) => [...(fields.get(f) ?? [])]);
  const out: string[] = [];
  for (const v of values) {
    if (lookup === 'range') out.push(`${v},${v}`);
    else if (lookup === 'startswith' || lookup === 'istartswith') out.push(v.slice(0, Math.ceil(v.length / 2)));
    else if (lookup === 'contains' || lookup === 'icontains') out.push(v.slice(1, Math.max(2, v.length - 1)));
    else if (lookup === 'iexact') out.push(v.toUpperCase());
    else if (lookup === 'regex' || lookup === 'iregex') out.push(`^${v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
    out.push(v);
  }
  out.push(...((param.schema?.enum ?? param.schema?.items?.enum ?? []) as unknown[]).map(String));
  out.push(...GENERIC);
  // Href filters: any object of the right kind (by name), then collection paths (for_object_type).
  const kind = base.replace(/__.*$/, '').replace(/_(added|removed)$/, '');
  out.push(...[...hrefs].filter((h) => h.includes(kind.replace(/_/g, '')) || h.includes(kind)));
  if (kind === 'repository_version') out.push(...[...hrefs].filter((h) => /\/versions\/\d+\/$/.test(h)));
  if (base === 'for_object_type') out.push(...paths);
  out.push(...[...(fields.get('prn') ?? [])].slice(0, 3));
  return [...new Set(out)];
}

describe('every declared list filter', () => {
  it('changes the result set for some value, where the data can show it', async () => {
    const lists = Object.entries(doc.paths as Record<string, any>)
      .filter(
        ([p, item]) => item.get && !p.includes('{') && item.get.parameters.some((x: any) => x.name === 'ordering'),
      )
      .map(([p, item]) => ({ path: p, op: item.get }));
    const objects = new Map<string, any[]>();
    for (const { path: p } of lists) {
      const r = await call('GET', `${p}?limit=1000`);
      expect(r.status, p).toBe(200);
      objects.set(p, r.body.results);
    }
    const { byField, hrefs } = valuesByField(objects);
    const paths = lists.map((l) => l.path);
    const ineffective: string[] = [];
    let checked = 0;
    for (const { path: p, op } of lists) {
      // A list without objects cannot show any filter at work (lists added later may have no seed yet).
      if ((objects.get(p) ?? []).length === 0) continue;
      const all = await resultSet(`${p}?limit=1000`);
      for (const param of op.parameters.filter((x: any) => x.in === 'query' && !RESERVED.has(x.name))) {
        const key = `${p.slice(API.length)} ${param.name}`;
        checked += 1;
        let changed = false;
        for (const value of candidates(param, byField, hrefs, paths)) {
          const set = await resultSet(`${p}?${encodeURIComponent(param.name)}=${encodeURIComponent(value)}&limit=1000`);
          if (set !== null && set !== all) {
            changed = true;
            break;
          }
        }
        const excused = key in DATA_CANNOT_SHOW || key in KNOWN_BROKEN;
        if (!changed && !excused) ineffective.push(key);
        if (changed && excused) ineffective.push(`${key} (listed as not working, but it works)`);
      }
    }
    expect(ineffective).toEqual([]);
    expect(checked).toBeGreaterThan(300);
  }, 300_000);

  it('has seeded objects in every list the filters are checked on', async () => {
    for (const list of [
      'tasks/',
      'workers/',
      'users/',
      'groups/',
      'roles/',
      'access_policies/',
      'contentguards/core/rbac/',
      'contentguards/core/header/',
      'contentguards/core/composite/',
      'contentguards/core/content_redirect/',
      'contentguards/certguard/x509/',
      'artifacts/',
      'uploads/',
      'content/',
      'repositories/',
      'repository_versions/',
      'remotes/',
      'publications/',
      'distributions/',
      'contentguards/',
    ]) {
      const r = await call('GET', `${API}${list}`);
      expect(r.body.count, list).toBeGreaterThanOrEqual(2);
    }
  });
});

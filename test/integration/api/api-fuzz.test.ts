/* eslint-disable @typescript-eslint/no-explicit-any -- walking an untyped OpenAPI document and bodies */
// The API fuzz test: every operation the OpenAPI document declares (core's and every installed plugin's) gets
// bad values in each parameter and body field: wrong types, NUL, lone surrogates, numbers beyond every column,
// huge strings, invalid UTF-8, unknown fields, non-object bodies, hrefs of other types and of no object. Each
// answer must be below 500 and, when a refusal, one of Pulp's error shapes with the database left as it was.
// Values Pulp must refuse (a wrong type, NUL, an unknown field) must be refused. The number of requests is
// bounded (every parameter gets at least one value; the rest rotate with the seed), so it fits in `npm test`.
// A failure prints PULP_FUZZ_SEED=<n>, which repeats the run.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  bodyValues,
  deref,
  isPulpErrorBody,
  type Json,
  minimalBody,
  prng,
  queryValues,
} from '../../helpers/api-fuzz.js';
import { type ApiWithTasks, createApiWithTasks } from '../../helpers/task-runner.js';

const API = '/pulp/api/v3/';
const SEED = Number(process.env.PULP_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
/**
 * The run's budget for the rest once every parameter and field had its first value: the other values follow in
 * rounds over all operations (a few per operation, picked by the seed) until it is spent.
 */
const BUDGET_MS = 20_000;
/** A ceiling on the whole run, for a machine so loaded that even the mandatory pass is slow. */
const CEILING_MS = 50_000;
const ROUND_SIZE = 8;

interface Case {
  op: string;
  label: string;
  verdict: 'refuse' | 'maybe';
  method: string;
  url: string;
  payload?: string | Buffer;
  headers?: Record<string, string>;
  mandatory: boolean;
}

let t: ApiWithTasks;
let doc: Json;
let certDir = '';
const hrefs = new Map<string, string>();
const listPaths = new Map<string, string>();
let hrefFields = new Set<string>();
/** Operations whose body ignores unknown fields, from the same definitions that route and document them. */
let allowsUnknown = new Set<string>();

async function call(method: string, url: string, payload?: unknown, headers: Record<string, string> = {}) {
  const res = await t.api.app.inject({
    method: method as 'GET',
    url,
    payload: payload as string,
    headers: { authorization: t.api.adminAuth, ...headers },
  });
  let body: any = null;
  try {
    body = res.body ? JSON.parse(res.body) : null;
  } catch {
    body = undefined;
  }
  return { status: res.statusCode, body, contentType: String(res.headers['content-type'] ?? ''), raw: res.body };
}

function multipart(fields: Record<string, string>, file?: { name: string; data: Buffer }) {
  const boundary = `fuzz${randomUUID().replace(/-/g, '')}`;
  const parts: Buffer[] = [];
  for (const [k, v] of Object.entries(fields))
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
  if (file)
    parts.push(
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${file.name}"\r\n`),
      Buffer.from('Content-Type: application/octet-stream\r\n\r\n'),
      file.data,
      Buffer.from('\r\n'),
    );
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}

function operations(): { method: string; path: string; op: Json }[] {
  const out: { method: string; path: string; op: Json }[] = [];
  for (const [p, item] of Object.entries(doc.paths as Json))
    for (const [method, op] of Object.entries(item as Json))
      if (method !== 'parameters') out.push({ method: method.toUpperCase(), path: p, op: op as Json });
  return out;
}

const placeholders = (p: string) => [...p.matchAll(/\{([a-z0-9_]+)\}/g)].map((m) => m[1]!);
const fill = (p: string, map: Map<string, string>) =>
  p.replace(/\{([a-z0-9_]+)\}/g, (_m, name: string) => map.get(name) ?? `{${name}}`);

/** A real or forged href for every `{x_href}` placeholder, found through the matching `_list` operation. */
async function resolveHrefs(): Promise<void> {
  const ops = operations();
  const byId = new Map(ops.map((o) => [String(o.op.operationId), o]));
  const readers = ops.filter((o) => o.method === 'GET' && /^\{[a-z0-9_]+\}$/.test(o.path));
  for (let round = 0; round < 3; round++) {
    for (const reader of readers) {
      const name = placeholders(reader.path)[0]!;
      if (hrefs.has(name)) continue;
      const list = byId.get(String(reader.op.operationId).replace(/_read$/, '_list'));
      if (!list || placeholders(list.path).some((p) => !hrefs.has(p))) continue;
      const listUrl = fill(list.path, hrefs);
      listPaths.set(name, listUrl);
      const res = await call('GET', `${listUrl}?limit=100`);
      const results = ((res.body?.results as Json[] | undefined) ?? []).filter(
        (r) => typeof r.pulp_href === 'string' && r.username !== 'admin',
      );
      if (results[0]) hrefs.set(name, results[0].pulp_href as string);
    }
  }
}

function forgedHref(name: string): string {
  const real = hrefs.get(name);
  if (real) return real.replace(/[0-9a-f-]{36}\/$|\d+\/$/, `${randomUUID()}/`);
  return `${listPaths.get(name) ?? `${API}nothing/`}${randomUUID()}/`;
}

/** A real href of a type the field does not take: a group's, or a task's for fields about groups. */
function otherHref(field: string): string {
  return field.includes('group') ? hrefs.get('task_href')! : hrefs.get('group_href')!;
}

/** A real href for a body field named like a type (`repository`, `remote`), preferring the operation's plugin. */
function hrefForField(opId: string, field: string): string | undefined {
  const candidates = [...hrefs.keys()].filter((k) => k.endsWith(`_${field}_href`) || k === `${field}_href`);
  const words = opId.split('_');
  candidates.sort((a, b) => score(b) - score(a));
  function score(k: string) {
    return k.split('_').filter((w) => words.includes(w)).length;
  }
  return candidates[0] ? hrefs.get(candidates[0]) : undefined;
}

async function seed(): Promise<void> {
  const ok = async (method: string, url: string, body?: unknown, headers?: Record<string, string>) => {
    const r = await call(method, url, body, headers);
    expect(r.status, `${method} ${url}: ${r.raw.slice(0, 300)}`).toBeLessThan(300);
    await t.runTasks();
    return r.body;
  };
  await ok('POST', `${API}users/`, { username: 'fuzz-user', password: 'a-long-password-1' });
  await ok('POST', `${API}groups/`, { name: 'fuzz-group' });
  const repo = await ok('POST', `${API}repositories/file/file/`, { name: 'fuzz-repo' });
  await ok('POST', `${API}remotes/file/file/`, { name: 'fuzz-remote', url: 'http://127.0.0.1:9/PULP_MANIFEST' });
  for (const kind of ['rbac', 'content_redirect'])
    await ok('POST', `${API}contentguards/core/${kind}/`, { name: kind });
  await ok('POST', `${API}contentguards/core/header/`, { name: 'h', header_name: 'x-h', header_value: 'v' });
  await ok('POST', `${API}contentguards/core/composite/`, { name: 'composite' });
  certDir = await mkdtemp(path.join(tmpdir(), 'pulp-fuzz-'));
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ca.key']
      .concat(['-out', 'ca.pem', '-days', '30', '-subj', '/CN=fuzz-ca'])
      .concat(['-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign']),
    { cwd: certDir, stdio: 'ignore' },
  );
  const ca = await readFile(path.join(certDir, 'ca.pem'), 'utf8');
  await ok('POST', `${API}contentguards/certguard/x509/`, { name: 'x509', ca_certificate: ca });
  await ok('POST', `${API}uploads/`, { size: 10 });
  const art = multipart({}, { name: 'a.bin', data: Buffer.from('fuzz artifact') });
  await ok('POST', `${API}artifacts/`, art.payload, { 'content-type': art.contentType });
  const content = multipart({ relative_path: 'dir/fuzz.txt' }, { name: 'f', data: Buffer.from('fuzz content') });
  const unit = await ok('POST', `${API}content/file/files/upload/`, content.payload, {
    'content-type': content.contentType,
  });
  await ok('POST', `${repo.pulp_href}modify/`, { add_content_units: [unit.pulp_href] });
  await ok('POST', `${API}publications/file/file/`, { repository: repo.pulp_href });
  await ok('POST', `${API}distributions/file/file/`, {
    name: 'fuzz-dist',
    base_path: 'fuzz',
    repository: repo.pulp_href,
  });
  await ok('POST', `${API}orphans/cleanup/`, { orphan_protection_time: 60 });
  await resolveHrefs();
  const user = hrefs.get('auth_user_href')!;
  await ok('POST', `${hrefs.get('group_href')}users/`, { username: 'fuzz-user' });
  await ok('POST', `${user}roles/`, { role: 'core.task_viewer', content_object: null });
  await ok('POST', `${hrefs.get('group_href')}roles/`, { role: 'core.task_viewer', content_object: null });
  // Whatever else the document creates (other plugins' types): a body from the required fields, when it works.
  for (const o of operations()) {
    const id = String(o.op.operationId);
    if (o.method !== 'POST' || !id.endsWith('_create') || o.path.includes('{')) continue;
    const schema = o.op.requestBody?.content?.['application/json']?.schema;
    if (!schema) continue;
    const list = await call('GET', `${o.path}?limit=1`);
    if (list.status !== 200 || list.body?.count > 0) continue;
    await call(
      'POST',
      o.path,
      minimalBody(doc, schema, 0, (f) => hrefForField(id, f)),
    );
    await t.runTasks();
  }
  hrefs.clear();
  await resolveHrefs();
  // Fields whose values are hrefs: named like an href placeholder, or holding one in a seeded object.
  const fields = new Set<string>(['guards', 'add_content_units', 'remove_content_units', 'content_object']);
  for (const k of hrefs.keys())
    fields.add(
      k
        .replace(/_href$/, '')
        .split('_')
        .slice(-1)[0]!,
    );
  for (const href of hrefs.values()) {
    const r = await call('GET', href);
    for (const [k, v] of Object.entries((r.body ?? {}) as Json))
      if (k !== 'pulp_href' && typeof v === 'string' && v.startsWith(API)) fields.add(k);
  }
  for (const k of ['content_guard', 'repository_version', 'base_version']) fields.add(k);
  hrefFields = fields;
}

/**
 * Counts row changes per table from here on: a row trigger on every table (heartbeats aside) adds one to its
 * table's counter in the writer's transaction, so a rolled-back write counts nothing and any committed
 * insert, update or delete shows. Reading the counters is one query on a tiny table, cheap per request.
 */
async function watchChanges(): Promise<void> {
  const db = t.api.database.db;
  await sql`CREATE TABLE fuzz_changes (t text PRIMARY KEY, n bigint NOT NULL)`.execute(db);
  await sql`CREATE FUNCTION fuzz_count_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO fuzz_changes (t, n) VALUES (TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME, 1)
        ON CONFLICT (t) DO UPDATE SET n = fuzz_changes.n + 1;
      RETURN NULL;
    END $$`.execute(db);
  const tables = await sql<{ s: string; n: string }>`
    SELECT table_schema AS s, table_name AS n FROM information_schema.tables
    WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')
      AND table_name NOT LIKE 'kysely_%' AND table_name NOT IN ('app_status', 'fuzz_changes')`.execute(db);
  for (const r of tables.rows)
    await sql
      .raw(
        `CREATE TRIGGER fuzz_count_change AFTER INSERT OR UPDATE OR DELETE ON "${r.s}"."${r.n}"
         FOR EACH ROW EXECUTE FUNCTION fuzz_count_change()`,
      )
      .execute(db);
}

/** The change counters: equal before and after a request when it changed no row. */
async function fingerprint(): Promise<string> {
  const rows = await sql<{ t: string; n: string }>`SELECT t, n FROM fuzz_changes ORDER BY t`.execute(t.api.database.db);
  return rows.rows.map((r) => `${r.t}=${r.n}`).join(' ');
}

function diff(a: string, b: string): string {
  const before = new Set(a.split(' '));
  return b
    .split(' ')
    .filter((x) => !before.has(x))
    .join(' ');
}

function jsonCases(o: { method: string; path: string; op: Json }, url: string, counter: () => number): Case[] {
  const id = String(o.op.operationId);
  const content = o.op.requestBody?.content ?? {};
  const schema = deref(doc, content['application/json']?.schema ?? content['multipart/form-data']?.schema);
  const baseline = (): Json =>
    o.method === 'PATCH' ? {} : minimalBody(doc, schema, counter(), (f) => hrefForField(id, f));
  const cases: Case[] = [];
  const base = { op: id, method: o.method, url, mandatory: true };
  if (!content['application/json']) {
    // Multipart-only operations (artifacts, uploads' chunks, file content): text fields of bad values.
    for (const field of Object.keys(schema.properties ?? {})) {
      if (field === 'file') continue;
      for (const [label, value] of [
        ['a NUL character', 'a\u0000b'],
        ['a number beyond every column', '1e20'],
        ['an href of no object', `${API}repositories/file/file/${randomUUID()}/`],
      ]) {
        const form = multipart({ ...stringify(baseline()), [field]: value! });
        cases.push({ ...base, label: `${field}: ${label}`, verdict: label === 'a NUL character' ? 'refuse' : 'maybe' });
        const last = cases[cases.length - 1]!;
        last.payload = form.payload;
        last.headers = { 'content-type': form.contentType };
      }
    }
    const unknown = multipart({ ...stringify(baseline()), fuzz_unknown_field: 'x' });
    cases.push({
      ...base,
      label: 'an unknown field',
      verdict: 'refuse',
      payload: unknown.payload,
      headers: { 'content-type': unknown.contentType },
    });
    return cases;
  }
  const json = { 'content-type': 'application/json' };
  for (const [field, fieldSchema] of Object.entries((schema.properties ?? {}) as Json)) {
    const isHref = hrefFields.has(field);
    const values = bodyValues(doc, fieldSchema as Json, {
      href: isHref,
      otherHref: otherHref(field),
      forged: `${API}repositories/file/file/${randomUUID()}/`,
    });
    const listOfHrefs = isHref && deref(doc, fieldSchema as Json).type === 'array';
    for (const v of values) {
      const value = listOfHrefs && typeof v.value === 'string' && v.label.includes('href') ? [v.value] : v.value;
      cases.push({
        ...base,
        label: `${field}: ${v.label}`,
        verdict: v.verdict,
        payload: JSON.stringify({ ...baseline(), [field]: value }),
        headers: json,
        mandatory: v.verdict === 'refuse',
      });
    }
  }
  const b = JSON.stringify(baseline());
  const refuse = (label: string, payload: string | Buffer) =>
    cases.push({ ...base, label, verdict: 'refuse', payload, headers: json });
  // Pulp's plain serializers (set_label, orphans/cleanup, repair) ignore unknown fields; model serializers refuse.
  const unknown = JSON.stringify({ ...baseline(), fuzz_unknown_field: 1 });
  if (allowsUnknown.has(id))
    cases.push({ ...base, label: 'an unknown field', verdict: 'maybe', payload: unknown, headers: json });
  else refuse('an unknown field', unknown);
  refuse(
    'invalid UTF-8',
    Buffer.concat([Buffer.from(b.slice(0, -1) + ', "x": "'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}')]),
  );
  for (const body of ['[]', '"a string"', '12', 'true', '1e999', '{"a":', '['.repeat(100_000)])
    refuse(`the body ${body.slice(0, 12)}`, body);
  cases.push({
    ...base,
    label: 'a key with NUL',
    verdict: allowsUnknown.has(id) ? 'maybe' : 'refuse',
    payload: '{"\\u0000": 1}',
    headers: json,
  });
  return cases;
}

function stringify(body: Json): Record<string, string> {
  return Object.fromEntries(Object.entries(body).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
}

/** Which part of the request a case spoils: every part gets its first refusable value in the mandatory pass. */
function partOf(label: string): string {
  if (label.startsWith('the body ')) return 'body shape';
  const colon = label.indexOf(': ');
  const part = colon > 0 ? label.slice(0, colon) : label;
  // The lookups of one filter (name, name__contains, name__in, ...) share one parser: one of them is mandatory.
  return part.startsWith('?') ? part.replace(/__[a-z]+$/, '') : part;
}

/** The mandatory pass (one value per part, a refusable one first), then seeded rounds of the rest. */
function schedule(cases: Case[], random: () => number): Case[] {
  const first = new Map<string, Case>();
  for (const c of cases) {
    const key = `${c.op} ${partOf(c.label)}`;
    const current = first.get(key);
    if (!current || (current.verdict === 'maybe' && c.verdict === 'refuse')) first.set(key, c);
  }
  const chosen = new Set(first.values());
  // Operations in a seeded rotation, so that a run cut short by the ceiling leaves different ones out each time.
  const ops = [...new Set(cases.map((c) => c.op))];
  const shift = Math.floor(random() * ops.length);
  const order = new Map([...ops.slice(shift), ...ops.slice(0, shift)].map((op, i) => [op, i]));
  const mandatory = cases
    .filter((c) => chosen.has(c))
    .map((c) => ({ ...c, mandatory: true }))
    .sort((a, b) => order.get(a.op)! - order.get(b.op)!);
  const rest = new Map<string, Case[]>();
  for (const c of cases) if (!chosen.has(c)) (rest.get(c.op) ?? rest.set(c.op, []).get(c.op)!).push(c);
  for (const list of rest.values())
    for (let i = list.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [list[i], list[j]] = [list[j]!, list[i]!];
    }
  const rounds: Case[] = [];
  for (let r = 0; [...rest.values()].some((l) => l.length > r * ROUND_SIZE); r++)
    for (const list of rest.values())
      rounds.push(...list.slice(r * ROUND_SIZE, (r + 1) * ROUND_SIZE).map((c) => ({ ...c, mandatory: false })));
  return [...mandatory, ...rounds];
}

function buildCases(): Case[] {
  const random = prng(SEED);
  let n = 1000;
  const counter = () => n++;
  const cases: Case[] = [];
  for (const o of operations()) {
    const id = String(o.op.operationId);
    const url = fill(o.path, hrefs);
    const isList = id.endsWith('_list') || /_list_roles$|_users_list$/.test(id);
    // A valid DELETE would remove a seeded object (and its query parameters are ignored): only bad paths for it.
    const params = (o.op.parameters ?? []) as Json[];
    const base = { op: id, method: o.method };
    for (const p of params.filter((x) => x.in === 'query' && o.method !== 'DELETE')) {
      const filter = isList && !['fields', 'exclude_fields', 'limit', 'offset'].includes(p.name);
      const values = queryValues(doc, p.schema, filter, otherHref(p.name));
      const start = Math.floor(random() * values.length);
      for (let i = 0; i < values.length; i++) {
        const v = values[(start + i) % values.length]!;
        const encoded = v.label === 'invalid UTF-8' ? '%C3%28%FF' : encodeURIComponent(String(v.value));
        const sep = url.includes('?') ? '&' : '?';
        const payload = o.op.requestBody ? '{}' : undefined;
        cases.push({
          ...base,
          label: `?${p.name}: ${v.label}`,
          verdict: v.verdict,
          url: `${url}${sep}${p.name}=${encoded}`,
          payload,
          headers: payload ? { 'content-type': 'application/json' } : {},
          mandatory: i === 0,
        });
      }
    }
    for (const p of params.filter((x) => x.in === 'header')) {
      cases.push({
        ...base,
        label: `${p.name}: nonsense`,
        verdict: 'maybe',
        url,
        headers: { [p.name]: 'no,such,thing' },
        mandatory: true,
        payload: o.op.requestBody ? '{}' : undefined,
      });
    }
    for (const name of placeholders(o.path)) {
      const others = new Map(hrefs);
      const bad: [string, string][] = [
        ['an href of no object', forgedHref(name)],
        // For a path that is the href alone, another type's href is that type's own (valid) operation.
        ...(o.path === `{${name}}`
          ? []
          : ([
              ["another type's href", name === 'group_href' ? hrefs.get('auth_user_href')! : hrefs.get('group_href')!],
            ] as [string, string][])),
        ['a NUL in the path', `${(hrefs.get(name) ?? forgedHref(name)).slice(0, -1)}%00/`],
        ['a dot-dot path', `${(hrefs.get(name) ?? forgedHref(name)).slice(0, -1)}/..%2F..%2F/`],
        ['a bad escape', `${(hrefs.get(name) ?? forgedHref(name)).slice(0, -1)}%ZZ%C3%28/`],
      ];
      for (const [i, [label, href]] of bad.entries()) {
        others.set(name, href);
        const payload = o.op.requestBody?.content?.['application/json'] ? '{}' : undefined;
        cases.push({
          ...base,
          label: `{${name}}: ${label}`,
          verdict: 'refuse',
          url: fill(o.path, others),
          payload,
          headers: payload ? { 'content-type': 'application/json' } : {},
          mandatory: i < 3,
        });
      }
    }
    if (o.op.requestBody && o.method !== 'DELETE') cases.push(...jsonCases(o, url, counter));
  }
  return schedule(cases, random);
}

beforeAll(async () => {
  const t0 = Date.now();
  t = await createApiWithTasks();
  doc = (await call('GET', `${API}docs/api.json`)).body;
  allowsUnknown = new Set(t.api.operations.filter((o) => o.body?.allowUnknown).map((o) => o.operationId));
  await seed();
  await watchChanges();
  console.log(`api fuzz: seeded ${hrefs.size} object types in ${Date.now() - t0} ms`);
}, 120_000);
afterAll(async () => {
  await t?.api.close();
  if (certDir) await rm(certDir, { recursive: true, force: true });
});

describe(`the API under generated bad input (PULP_FUZZ_SEED=${SEED})`, () => {
  it('answers every operation below 500, in Pulp error shapes, refusing what it must and changing nothing', async () => {
    const cases = buildCases();
    const failures: string[] = [];
    const started = Date.now();
    let sent = 0;
    let op = '';
    /** Refused requests since the last fingerprint, which must not have changed it. */
    let refused: Case[] = [];
    let fingerprints = 0;
    let fingerprintMs = 0;
    const timedFingerprint = async () => {
      const t0 = Date.now();
      const f = await fingerprint();
      fingerprints++;
      fingerprintMs += Date.now() - t0;
      return f;
    };
    let fp = await timedFingerprint();
    const send = async (c: Case) => {
      sent++;
      return call(c.method, c.url, c.payload, c.headers ?? {});
    };
    const checkRefused = async (expected: string | null) => {
      const now = await timedFingerprint();
      if (expected !== null && now !== expected)
        failures.push(
          `${op}: a refused request changed ${diff(expected, now)}; one of: ${refused.map((c) => c.label).join(' | ')}`,
        );
      refused = [];
      return now;
    };
    let optionalStart = 0;
    for (const c of cases) {
      if (!c.mandatory && optionalStart === 0) optionalStart = Date.now();
      if (c.op !== op) {
        if (refused.length > 0) fp = await checkRefused(fp);
        op = c.op;
      }
      if (!c.mandatory && Date.now() - optionalStart > BUDGET_MS) break;
      if (Date.now() - started > CEILING_MS) {
        console.log(`api fuzz: stopped at the ${CEILING_MS / 1000} s ceiling`);
        break;
      }
      const what = `${c.op} ${c.method} ${c.url.slice(0, 120)} [${c.label}]`;
      let res: Awaited<ReturnType<typeof call>>;
      try {
        res = await send(c);
      } catch (err) {
        failures.push(`${what}: the request threw ${(err as Error).message}`);
        continue;
      }
      if (res.status >= 500) failures.push(`${what}: ${res.status} ${res.raw.slice(0, 300)}`);
      if (res.status >= 400) {
        if (!res.contentType.startsWith('application/json') || !isPulpErrorBody(res.body))
          failures.push(`${what}: ${res.status} not in Pulp's error shape: ${res.raw.slice(0, 300)}`);
        refused.push(c);
        continue;
      }
      if (c.verdict === 'refuse') failures.push(`${what}: accepted with ${res.status}: ${res.raw.slice(0, 300)}`);
      if (c.method === 'GET') continue;
      const after = await timedFingerprint();
      if (refused.length === 0) {
        fp = after;
        continue;
      }
      // An accepted change hides what the refused requests before it did: send those again on their own.
      const again = refused;
      for (const r of again) await send(r);
      refused = again;
      fp = await checkRefused(after);
    }
    if (refused.length > 0) await checkRefused(fp);
    if (process.env.PULP_FUZZ_REPORT) writeFileSync(process.env.PULP_FUZZ_REPORT, failures.join('\n'));
    const admin = await call('GET', `${API}users/`);
    expect(admin.status, 'the admin can still log in').toBe(200);
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const mandatory = cases.filter((c) => c.mandatory).length;
    console.log(
      `api fuzz: ${sent} of ${cases.length} requests (${mandatory} mandatory) over ${operations().length} operations` +
        ` in ${seconds} s; ${fingerprints} database fingerprints took ${fingerprintMs} ms`,
    );
    expect(failures.slice(0, 60), `${failures.length} failures; repeat with PULP_FUZZ_SEED=${SEED}`).toEqual([]);
  });

  it('has cases for every operation of the document', () => {
    const covered = new Set(buildCases().map((c) => c.op));
    const missing = operations()
      .map((o) => String(o.op.operationId))
      .filter((id) => !covered.has(id));
    expect(missing).toEqual([]);
  });
});

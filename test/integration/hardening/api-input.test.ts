import { randomBytes } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { hashPassword } from '../../../src/core/passwords.js';
import { createTestApi, type TestApi } from '../../helpers/api.js';

let api: TestApi;
const API = '/pulp/api/v3/';

beforeAll(async () => {
  api = await createTestApi({ settings: { MAX_PAGE_SIZE: 250 } });
});
afterAll(async () => {
  await api.close();
});

const request = (method: 'GET' | 'POST' | 'PUT' | 'PATCH', url: string, payload?: unknown, headers = {}) =>
  api.app.inject({
    method,
    url,
    payload: payload as string,
    headers: { authorization: api.adminAuth, ...headers },
  });

async function repositoryCount(): Promise<number> {
  const row = await api.database.db
    .selectFrom('repository')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

describe('NUL characters', () => {
  it.each([
    ['name', { name: 'a\u0000b' }],
    ['description', { name: 'nul-description', description: 'x\u0000' }],
    ['pulp_labels', { name: 'nul-labels', pulp_labels: { k: 'v\u0000' } }],
    ['pulp_labels', { name: 'nul-label-key', pulp_labels: { 'k\u0000': 'v' } }],
  ])('in %s of a body are a 400 on that field and store nothing', async (field, body) => {
    const before = await repositoryCount();
    const res = await request('POST', `${API}repositories/file/file/`, body);
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json()).toEqual({ [field]: ['Null characters are not allowed.'] });
    expect(await repositoryCount()).toBe(before);
  });

  it.each(['name', 'name__contains', 'pulp_label_select', 'ordering'])(
    'in the %s filter are a 400 on that parameter',
    async (param) => {
      const res = await request('GET', `${API}repositories/file/file/?${param}=a%00b`);
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json()).toEqual({ [param]: ['Null characters are not allowed.'] });
    },
  );
});

describe('lone surrogates', () => {
  it.each([
    ['name', '{"name": "a\\ud800b"}'],
    ['description', '{"name": "surrogate-description", "description": "\\udc00"}'],
    ['pulp_labels', '{"name": "surrogate-label", "pulp_labels": {"k\\udbff": "v"}}'],
  ])('in %s of a JSON body are a 400 on that field (the database would store U+FFFD)', async (field, body) => {
    const before = await repositoryCount();
    const res = await request('POST', `${API}repositories/file/file/`, body, { 'content-type': 'application/json' });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json()[field][0]).toMatch(/^Surrogate characters are not allowed: U\+D[89A-F][0-9A-F]{2}\.$/);
    expect(await repositoryCount()).toBe(before);
  });

  it('a pair of surrogates is one character and is taken', async () => {
    const res = await request('POST', `${API}repositories/file/file/`, '{"name": "emoji-\\ud83d\\ude00"}', {
      'content-type': 'application/json',
    });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().name).toBe('emoji-\u{1f600}');
  });
});

describe('paths that cannot be decoded', () => {
  it.each(['users/1%ZZ/', 'repositories/file/file/%C3%28/', 'tasks/%E0%A4%A/'])(
    '%s is a JSON 404 like any unknown path',
    async (p) => {
      const res = await request('GET', `${API}${p}`);
      expect(res.statusCode, res.body).toBe(404);
      expect(res.headers['content-type']).toBe('application/json');
      expect(res.json()).toEqual({ detail: 'Not found.' });
    },
  );
});

describe('numbers beyond the database types', () => {
  it.each(['offset=1e20', 'offset=100000000000000000000', 'limit=1e20'])('%s is a 400 field error', async (q) => {
    const res = await request('GET', `${API}repositories/file/file/?${q}`);
    expect(res.statusCode, res.body).toBe(400);
    const field = q.split('=')[0]!;
    expect(Object.keys(res.json())).toEqual([field]);
    expect(res.json()[field][0]).toMatch(/^Ensure this value is less than or equal to/);
  });

  it('an upload of size 1e20 is a 400 on size, a realistic large size is accepted', async () => {
    const res = await request('POST', `${API}uploads/`, { size: 1e20 });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json()).toEqual({ size: ['Ensure this value is less than or equal to 9007199254740991.'] });
    const big = await request('POST', `${API}uploads/`, { size: 5 * 1024 ** 4 });
    expect(big.statusCode, big.body).toBe(201);
  });

  it('an integer field of an int4 column refuses what does not fit', async () => {
    const res = await request('POST', `${API}repositories/file/file/`, {
      name: 'r-int',
      retain_repo_versions: 2 ** 31,
    });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json()).toEqual({ retain_repo_versions: ['Ensure this value is less than or equal to 2147483647.'] });
  });

  it.each(['size__gt=99999999999999999999', 'size=1e5'])('a filter value %s is a 400', async (q) => {
    const res = await request('GET', `${API}uploads/?${q}`);
    expect(res.statusCode, res.body).toBe(400);
  });

  it('a large but valid size filter is answered', async () => {
    const res = await request('GET', `${API}uploads/?size__gt=3000000000`);
    expect(res.statusCode, res.body).toBe(200);
  });

  it('an invalid regular expression in a filter is a 400', async () => {
    const res = await request('GET', `${API}repositories/file/file/?name__regex=${encodeURIComponent('(')}`);
    expect(res.statusCode, res.body).toBe(400);
  });
});

describe('encodings', () => {
  it('refuses a JSON body that is not valid UTF-8 instead of storing U+FFFD', async () => {
    const body = Buffer.concat([Buffer.from('{"name": "bad'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
    const res = await request('POST', `${API}repositories/file/file/`, body, { 'content-type': 'application/json' });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().detail).toMatch(/^JSON parse error - /);
    const stored = await api.database.db
      .selectFrom('repository')
      .select('name')
      .where('name', 'like', 'bad%')
      .execute();
    expect(stored).toEqual([]);
  });
});

describe('upload chunks', () => {
  it('refuses a Content-Range whose total disagrees with the upload size', async () => {
    const created = await request('POST', `${API}uploads/`, { size: 100 });
    const href = String(created.json().pulp_href);
    const boundary = `b${randomBytes(6).toString('hex')}`;
    const data = randomBytes(10);
    const payload = Buffer.concat([
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="c"\r\nContent-Type: application/octet-stream\r\n\r\n`,
      ),
      data,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const put = (range: string) =>
      request('PUT', href, payload, {
        'content-type': `multipart/form-data; boundary=${boundary}`,
        'content-range': range,
      });
    const wrong = await put('bytes 0-9/5000');
    expect(wrong.statusCode, wrong.body).toBe(400);
    expect(wrong.json()).toEqual(['The total size in the content range does not match the upload size.']);
    expect((await request('GET', href)).json().chunks).toEqual([]);
    expect((await put('bytes 0-9/100')).statusCode).toBe(200);
    expect((await put('bytes 10-19/*')).statusCode).toBe(200);
  });
});

describe('page sizes', () => {
  beforeAll(async () => {
    const rows = Array.from({ length: 1500 }, (_, i) => ({
      name: `bulk-${String(i).padStart(5, '0')}`,
      pulp_type: 'file.file',
    }));
    for (let i = 0; i < rows.length; i += 500)
      await api.database.db
        .insertInto('repository')
        .values(rows.slice(i, i + 500))
        .execute();
  });

  it('MAX_PAGE_SIZE caps the limit as DRF max_limit does', async () => {
    const res = await request('GET', `${API}repositories/?name__startswith=bulk-&limit=1000`);
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.count).toBe(1500);
    expect(body.results).toHaveLength(250);
    expect(body.next).toContain('limit=250');
  });
});

describe('huge pages without MAX_PAGE_SIZE', () => {
  let unlimited: TestApi;
  beforeAll(async () => {
    unlimited = await createTestApi();
    const rows = Array.from({ length: 2600 }, (_, i) => ({
      name: `many-${String(i).padStart(5, '0')}`,
      pulp_type: 'file.file',
    }));
    for (let i = 0; i < rows.length; i += 500)
      await unlimited.database.db
        .insertInto('repository')
        .values(rows.slice(i, i + 500))
        .execute();
  });
  afterAll(async () => {
    await unlimited.close();
  });

  it('streams a page of limit=1e12 in order, every row once, as one valid JSON document', async () => {
    const res = await unlimited.app.inject({
      method: 'GET',
      url: `${API}repositories/file/file/?limit=1000000000000&ordering=name&fields=name`,
      headers: { authorization: unlimited.adminAuth },
    });
    expect(res.statusCode, res.body.slice(0, 300)).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    // Streamed: no length known up front.
    expect(res.headers['content-length']).toBeUndefined();
    const body = res.json();
    expect(body.count).toBe(2600);
    expect(body.next).toBeNull();
    expect(body.results).toHaveLength(2600);
    expect(body.results[0]).toEqual({ name: 'many-00000' });
    expect(body.results[2599]).toEqual({ name: 'many-02599' });
  });

  it('streams with an offset and reports next and previous', async () => {
    const res = await unlimited.app.inject({
      method: 'GET',
      url: `${API}repositories/file/file/?limit=1200&offset=1000&ordering=-name&fields=name`,
      headers: { authorization: unlimited.adminAuth },
    });
    const body = res.json();
    expect(body.results).toHaveLength(1200);
    expect(body.results[0]).toEqual({ name: 'many-01599' });
    expect(body.next).toContain('offset=2200');
    expect(body.previous).not.toBeNull();
  });

  it('a streamed page whose query fails is still an ordinary 400', async () => {
    const res = await unlimited.app.inject({
      method: 'GET',
      url: `${API}repositories/file/file/?limit=5000&name__regex=${encodeURIComponent('[')}`,
      headers: { authorization: unlimited.adminAuth },
    });
    expect(res.statusCode, res.body).toBe(400);
  });
});

describe('login timing', () => {
  it('an unknown username costs a password check, as a wrong password does', async () => {
    await api.database.db
      .insertInto('auth_user')
      .values({ username: 'timed', password: await hashPassword('right'), is_superuser: false, is_staff: false })
      .execute();
    const attempt = async (user: string) => {
      const started = performance.now();
      const res = await api.app.inject({
        method: 'GET',
        url: `${API}login/`,
        headers: { authorization: `Basic ${Buffer.from(`${user}:wrong`).toString('base64')}` },
      });
      expect(res.statusCode).toBe(401);
      return performance.now() - started;
    };
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 3; i++) {
      known.push(await attempt('timed'));
      unknown.push(await attempt(`nobody-${i}`));
    }
    // Before: about 3 ms against 260 ms. A generous bound so that a loaded machine cannot fail it.
    expect(median(unknown)).toBeGreaterThan(median(known) * 0.3);
  });
});

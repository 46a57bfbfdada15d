// One suite, run against each storage backend: the filesystem under MEDIA_ROOT and S3 (a real S3-compatible
// server, s3rver, on a loopback port). Everything goes through the Storage the process builds from its settings.
import { createHash, randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { createServer, type Server, Socket } from 'node:net';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { importArtifactFromFile } from '../../../src/plugin-api/artifacts.js';
import { createStorage } from '../../../src/storage/create-storage.js';
import { artifactPath } from '../../../src/storage/artifact-path.js';
import type { Storage } from '../../../src/storage/storage.js';
import { createTestSettings } from '../../helpers/api.js';
import { writeTempFile } from '../../helpers/task-context.js';
import { type ApiWithTasks, createApiWithTasks } from '../../helpers/task-runner.js';
import { type S3TestServer, startS3Server } from '../../helpers/s3-server.js';
import { type Harness, startHarness } from '../content-app/harness.js';

const API = '/pulp/api/v3/';
let s3: S3TestServer;

beforeAll(async () => {
  s3 = await startS3Server();
});
afterAll(async () => {
  await s3?.close();
});

async function readAll(storage: Storage, name: string, range?: { start: number; end: number }): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of storage.createReadStream(name, range)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function walk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const out: string[] = [];
  for (const e of entries) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(full)));
    else out.push(full);
  }
  return out;
}

interface Backend {
  name: string;
  settings(): Record<string, unknown>;
  /** Names of the stored artifact objects, wherever the backend keeps them. */
  artifactNames(mediaRoot: string): Promise<string[]>;
}

const backends: Backend[] = [
  {
    name: 'filesystem',
    settings: () => ({}),
    artifactNames: async (mediaRoot) =>
      (await walk(path.join(mediaRoot, 'artifact'))).map((f) => path.relative(mediaRoot, f)).sort(),
  },
  {
    name: 's3',
    settings: () => ({ STORAGES: s3.storages() }),
    artifactNames: () => s3.keys('artifact/'),
  },
];

describe.each(backends)('$name storage', (backend) => {
  let ctx: ApiWithTasks;
  beforeAll(async () => {
    ctx = await createApiWithTasks(backend.settings());
  });
  afterAll(async () => {
    await ctx?.api.close();
  });

  it('saves, sizes, reads whole and by range, keeps an existing object, deletes', async () => {
    const { storage } = ctx.api.services;
    const data = randomBytes(100_000);
    const name = `test/${backend.name}-${randomBytes(4).toString('hex')}`;
    expect(await storage.size(name)).toBeNull();
    await storage.saveFromFile(await writeTempFile(ctx.api.services, data), name);
    expect(await storage.size(name)).toBe(data.length);
    expect((await readAll(storage, name)).equals(data)).toBe(true);
    expect((await readAll(storage, name, { start: 10, end: 1009 })).equals(data.subarray(10, 1010))).toBe(true);
    // Same name again (a concurrent save of the same digest): the first object stays, the temp file goes.
    const second = await writeTempFile(ctx.api.services, randomBytes(10));
    await storage.saveFromFile(second, name);
    expect((await readAll(storage, name)).equals(data)).toBe(true);
    expect((await walk(storage.tempDir())).includes(second)).toBe(false);
    await storage.delete(name);
    expect(await storage.size(name)).toBeNull();
    await expect(readAll(storage, name)).rejects.toThrow();
  });

  it('stores a large artifact (multipart on S3) and deduplicates a second import of the same bytes', async () => {
    const services = ctx.api.services;
    const data = randomBytes(21 * 1024 * 1024 + 123);
    const sha256 = createHash('sha256').update(data).digest('hex');
    const a = await importArtifactFromFile(services, await writeTempFile(services, data));
    expect(a.sha256).toBe(sha256);
    expect(a.file).toBe(artifactPath(sha256));
    expect(await services.storage.size(a.file)).toBe(data.length);
    expect(
      createHash('sha256')
        .update(await readAll(services.storage, a.file))
        .digest('hex'),
    ).toBe(sha256);
    const b = await importArtifactFromFile(services, await writeTempFile(services, data));
    expect(b.pulp_id).toBe(a.pulp_id);
    const rows = await services.db.selectFrom('artifact').select('pulp_id').where('sha256', '=', sha256).execute();
    expect(rows).toHaveLength(1);
    expect((await backend.artifactNames(services.settings.MEDIA_ROOT)).filter((n) => n === a.file)).toHaveLength(1);
  });

  it('uploads through the REST API and removes orphans with their objects', async () => {
    const services = ctx.api.services;
    const data = randomBytes(3000);
    const boundary = 'pulpboundary';
    const payload = Buffer.concat([
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="x.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`,
      ),
      data,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const res = await ctx.api.app.inject({
      method: 'POST',
      url: `${API}artifacts/`,
      payload,
      headers: { authorization: ctx.api.adminAuth, 'content-type': `multipart/form-data; boundary=${boundary}` },
    });
    expect(res.statusCode).toBe(201);
    const sha256 = createHash('sha256').update(data).digest('hex');
    expect(res.json<{ sha256: string }>().sha256).toBe(sha256);
    expect(await services.storage.size(artifactPath(sha256))).toBe(data.length);

    const cleanup = await ctx.api.app.inject({
      method: 'POST',
      url: `${API}orphans/cleanup/`,
      payload: { orphan_protection_time: 0 },
      headers: { authorization: ctx.api.adminAuth },
    });
    expect(cleanup.statusCode).toBe(202);
    await ctx.runTasks();
    expect((await ctx.task(cleanup.json<{ task: string }>().task)).state).toBe('completed');
    expect(await services.storage.size(artifactPath(sha256))).toBeNull();
    expect(await services.db.selectFrom('artifact').select('pulp_id').execute()).toHaveLength(0);
    expect(await backend.artifactNames(services.settings.MEDIA_ROOT)).toEqual([]);
  });
});

describe.each(backends)('content app on $name storage', (backend) => {
  const data = randomBytes(300_000);
  async function served(h: Harness): Promise<void> {
    const art = await h.fixtures.artifact(data);
    const unit = await h.fixtures.content('dir/file.bin', art.pulp_id);
    const repo = await h.fixtures.repository();
    const publication = await h.fixtures.publication(await h.fixtures.version(repo, 1, [unit.contentId]));
    await h.fixtures.publishArtifact(publication, unit.contentArtifactId, 'dir/file.bin');
    await h.fixtures.distribution('store', { publication_id: publication });
  }

  it('streams the artifact with Range support (REDIRECT_TO_OBJECT_STORAGE off)', async () => {
    const h = await startHarness({ ...backend.settings(), REDIRECT_TO_OBJECT_STORAGE: false });
    try {
      await served(h);
      const whole = await h.get('/pulp/content/store/dir/file.bin');
      expect(whole.status).toBe(200);
      expect(whole.body.equals(data)).toBe(true);
      const part = await h.get('/pulp/content/store/dir/file.bin', { headers: { range: 'bytes=100-199' } });
      expect(part.status).toBe(206);
      expect(part.headers['content-range']).toBe(`bytes 100-199/${data.length}`);
      expect(part.body.equals(data.subarray(100, 200))).toBe(true);
    } finally {
      await h.close();
    }
  });

  it(
    backend.name === 's3'
      ? 'redirects to a presigned URL of the object (the default for object storage)'
      : 'serves files itself whatever REDIRECT_TO_OBJECT_STORAGE says',
    async () => {
      const h = await startHarness(backend.settings());
      try {
        await served(h);
        const r = await h.get('/pulp/content/store/dir/file.bin');
        if (backend.name !== 's3') {
          expect(r.status).toBe(200);
          expect(r.body.equals(data)).toBe(true);
          return;
        }
        expect(r.status).toBe(302);
        const location = String(r.headers.location);
        expect(location.startsWith(`${s3.endpoint}/${s3.bucket}/artifact/`)).toBe(true);
        expect(location).toContain('X-Amz-Signature=');
        expect(location).toContain('X-Amz-Expires=3600');
        const direct = await fetch(location);
        expect(direct.status).toBe(200);
        expect(Buffer.from(await direct.arrayBuffer()).equals(data)).toBe(true);
        const ranged = await fetch(location, { headers: { range: 'bytes=0-9' } });
        expect(ranged.status).toBe(206);
        expect(Buffer.from(await ranged.arrayBuffer()).equals(data.subarray(0, 10))).toBe(true);
      } finally {
        await h.close();
      }
    },
  );
});

describe('S3 storage', () => {
  it('is checked at start: every bad option is named', async () => {
    const settings = await createTestSettings({
      STORAGES: {
        default: {
          BACKEND: 'storages.backends.s3.S3Storage',
          OPTIONS: {
            endpoint_url: 'not a url',
            access_key: 'only-one-half',
            addressing_style: 'sideways',
            default_acl: 'everyone',
            querystring_expire: 0,
            bucket: 'typo',
          },
        },
      },
    });
    let message = '';
    try {
      await createStorage(settings);
    } catch (err) {
      message = (err as Error).message;
    }
    for (const key of [
      'OPTIONS.bucket_name: required',
      'OPTIONS.endpoint_url',
      'access_key and secret_key',
      'OPTIONS.addressing_style',
      'OPTIONS.default_acl',
      'OPTIONS.querystring_expire',
      'OPTIONS.bucket: unknown option',
    ]) {
      expect(message).toContain(key);
    }
    const unknown = await createTestSettings({ STORAGES: { default: { BACKEND: 'storages.backends.gcloud.X' } } });
    await expect(createStorage(unknown)).rejects.toThrow(/unsupported storage backend/);
  });

  it('a failed upload (connection cut mid-multipart) leaves no object and no artifact row', async () => {
    // A TCP relay in front of the S3 server that cuts every connection once 9 MiB went through it, and refuses
    // connections after that, as a network partition would.
    const target = new URL(s3.endpoint);
    let relayed = 0;
    let cut = false;
    const sockets = new Set<Socket>();
    const relay: Server = createServer((client) => {
      if (cut) return client.destroy();
      const upstream = new Socket();
      upstream.connect(Number(target.port), target.hostname);
      sockets.add(client).add(upstream);
      client.on('data', (chunk: Buffer) => {
        relayed += chunk.length;
        if (relayed > 9 * 1024 * 1024 && !cut) {
          cut = true;
          for (const s of sockets) s.destroy();
          return;
        }
        upstream.write(chunk);
      });
      upstream.on('data', (chunk: Buffer) => client.write(chunk));
      for (const s of [client, upstream]) {
        s.on('error', () => undefined);
        s.on('close', () => {
          client.destroy();
          upstream.destroy();
        });
      }
    });
    await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
    const port = (relay.address() as { port: number }).port;
    const ctx = await createApiWithTasks({ STORAGES: s3.storages({ endpoint_url: `http://127.0.0.1:${port}` }) });
    try {
      const services = ctx.api.services;
      const data = randomBytes(20 * 1024 * 1024);
      const sha256 = createHash('sha256').update(data).digest('hex');
      await expect(importArtifactFromFile(services, await writeTempFile(services, data))).rejects.toThrow();
      expect(cut).toBe(true);
      expect(await services.db.selectFrom('artifact').select('pulp_id').execute()).toHaveLength(0);
      expect(await s3.keys(artifactPath(sha256))).toEqual([]);
    } finally {
      await ctx.api.close();
      for (const s of sockets) s.destroy();
      await new Promise((r) => relay.close(r));
    }
  });
});

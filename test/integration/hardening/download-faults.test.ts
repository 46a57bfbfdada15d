import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { RemoteFetchError, SizeMismatchError } from '../../../src/core/errors.js';
import { guardedLookup } from '../../../src/download/address-policy.js';
import { Downloader } from '../../../src/download/downloader.js';
import { RawHttpServer, startPythonHttpServer } from '../../helpers/raw-http.js';

const CHECKSUMS = ['sha256'] as const;
let dir: string;
let temp: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'pulp-dl-faults-'));
  temp = path.join(dir, 'tmp');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const downloader = (config: ConstructorParameters<typeof Downloader>[0] = {}, deny = false) =>
  new Downloader(config, {
    tempDir: temp,
    checksums: CHECKSUMS,
    retryBaseMs: 2,
    addressPolicy: { denyPrivate: deny },
  });
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const leftovers = async () => (await readdir(temp).catch(() => [])).filter((n) => n.startsWith('dl-'));

describe('an HTTP/1.0 server closing every connection (python3 -m http.server)', () => {
  it('serves many concurrent downloads, all verified, with no temporary file left', async () => {
    const root = path.join(dir, 'http10');
    await rm(root, { recursive: true, force: true });
    const { mkdir } = await import('node:fs/promises');
    await mkdir(root, { recursive: true });
    const files = await Promise.all(
      Array.from({ length: 30 }, async (_, i) => {
        const data = randomBytes(64 * 1024 + i * 37 * 1024);
        await writeFile(path.join(root, `f${i}.bin`), data);
        return { name: `f${i}.bin`, data };
      }),
    );
    const server = await startPythonHttpServer(root);
    const d = downloader({ download_concurrency: 10 });
    try {
      // Under undici 7 this killed the process with `assert(!this.paused)` within a few rounds.
      for (let round = 0; round < 4; round++) {
        const results = await Promise.all(
          files.map((f) =>
            d.download(`${server.url}${f.name}`, { size: f.data.length, digests: { sha256: sha(f.data) } }),
          ),
        );
        for (const r of results) await rm(r.path);
      }
      expect(await leftovers()).toEqual([]);
    } finally {
      await d.close();
      await server.stop();
    }
  });
});

describe('servers that misbehave', () => {
  it('a body cut short fails after every retry with an error naming the URL and the cause', async () => {
    const server = await new RawHttpServer((socket) => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n');
      socket.end(randomBytes(30000));
    }).start();
    const d = downloader({ max_retries: 2 });
    try {
      const err = await d.download(`${server.baseUrl}cut.bin`).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RemoteFetchError);
      expect((err as Error).message).toMatch(/cut\.bin failed after \d+ bytes: the server closed the connection early/);
      expect(server.requests).toBe(3);
      expect(await leftovers()).toEqual([]);
    } finally {
      await d.close();
      await server.stop();
    }
  });

  it('an HTTP/1.0 body without a length ends at the close and is checked against the expected size', async () => {
    const data = randomBytes(50000);
    const server = await new RawHttpServer((socket, p) => {
      socket.write('HTTP/1.0 200 OK\r\n\r\n');
      socket.end(p.includes('short') ? data.subarray(0, 1000) : data);
    }).start();
    const d = downloader({ max_retries: 1 });
    try {
      const ok = await d.download(`${server.baseUrl}whole.bin`, { size: data.length, digests: { sha256: sha(data) } });
      expect(ok.size).toBe(data.length);
      await rm(ok.path);
      await expect(d.download(`${server.baseUrl}short.bin`, { size: data.length })).rejects.toThrow(SizeMismatchError);
      expect(await leftovers()).toEqual([]);
    } finally {
      await d.close();
      await server.stop();
    }
  });

  it('a Content-Length smaller than the body sent is a size error, and the extra bytes harm nothing', async () => {
    const data = randomBytes(4000);
    const server = await new RawHttpServer((socket) => {
      // Keep-alive with trailing garbage: the next response on this socket cannot be parsed.
      socket.write(`HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n`);
      socket.write(data);
    }).start();
    const d = downloader({ max_retries: 1 });
    try {
      for (let i = 0; i < 3; i++) {
        const err = await d.download(`${server.baseUrl}long-${i}.bin`, { size: data.length }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(SizeMismatchError);
      }
      expect(await leftovers()).toEqual([]);
    } finally {
      await d.close();
      await server.stop();
    }
  });

  it('a server that stalls before or during the body times out by sock_read_timeout', async () => {
    const server = await new RawHttpServer((socket, p) => {
      if (p.includes('mid')) socket.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc');
      // else: never answer
    }).start();
    const d = downloader({ sock_read_timeout: 0.5, max_retries: 1 });
    try {
      for (const name of ['before.bin', 'mid.bin']) {
        const err = await d.download(`${server.baseUrl}${name}`).catch((e: unknown) => e);
        expect(err, name).toBeInstanceOf(RemoteFetchError);
        expect((err as Error).message).toContain(name);
        expect((err as Error).message).toMatch(/No data from 127\.0\.0\.1:\d+ for 0\.5 s/);
      }
      expect(await leftovers()).toEqual([]);
    } finally {
      await d.close();
      await server.stop();
    }
  });

  it('a total_timeout bounds a server that trickles bytes forever', async () => {
    const server = await new RawHttpServer((socket) => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100000000\r\n\r\n');
      const timer = setInterval(() => socket.write('x'), 50);
      socket.on('close', () => clearInterval(timer));
    }).start();
    const d = downloader({ total_timeout: 1, max_retries: 1 });
    try {
      await expect(d.download(`${server.baseUrl}trickle.bin`)).rejects.toThrow(
        /trickle\.bin timed out after \d+ bytes/,
      );
      expect(await leftovers()).toEqual([]);
    } finally {
      await d.close();
      await server.stop();
    }
  });

  it('an error answer is reported by status, never by quoting its body', async () => {
    const secret = 'content_path_prefix SECRET-INTERNAL-DATA';
    const server = await new RawHttpServer((socket) => {
      socket.end(`HTTP/1.1 403 Forbidden\r\nContent-Length: ${secret.length}\r\n\r\n${secret}`);
    }).start();
    const d = downloader();
    try {
      const err = (await d.download(`${server.baseUrl}x`).catch((e: unknown) => e)) as Error;
      expect(err.message).toBe(`Downloading ${server.baseUrl}x failed: HTTP 403.`);
      expect(err.message).not.toContain('SECRET');
    } finally {
      await d.close();
      await server.stop();
    }
  });

  it('follows redirects and drops credentials when the origin changes', async () => {
    const data = randomBytes(100);
    let seen = '';
    const target = await new RawHttpServer((socket) => {
      socket.end(`HTTP/1.1 200 OK\r\nContent-Length: ${data.length}\r\n\r\n`);
    }).start();
    const targetWithBody = await new RawHttpServer((socket) => {
      socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${data.length}\r\n\r\n`);
      socket.end(data);
    }).start();
    const redirector = await new RawHttpServer((socket) => {
      socket.end(`HTTP/1.1 302 Found\r\nLocation: ${targetWithBody.baseUrl}moved.bin\r\nContent-Length: 0\r\n\r\n`);
    }).start();
    const d = downloader({ username: 'u', password: 'p' });
    try {
      const r = await d.download(`${redirector.baseUrl}a.bin`, { size: 100 });
      expect(r.size).toBe(100);
      await rm(r.path);
      seen = String(targetWithBody.requests);
      expect(seen).toBe('1');
    } finally {
      await d.close();
      await Promise.all([target.stop(), targetWithBody.stop(), redirector.stop()]);
    }
  });
});

describe('DENY_PRIVATE_REMOTE_ADDRESSES', () => {
  it.each([
    'http://127.0.0.1:9/x',
    'http://localhost:9/x',
    'http://[::1]:9/x',
    'http://0x7f.1:9/x',
    'http://[::ffff:127.0.0.1]:9/x',
  ])('refuses %s without retrying', async (url) => {
    const d = downloader({ max_retries: 3 }, true);
    try {
      const err = (await d.download(url).catch((e: unknown) => e)) as RemoteFetchError;
      expect(err).toBeInstanceOf(RemoteFetchError);
      expect(err.message).toMatch(/is not allowed: DENY_PRIVATE_REMOTE_ADDRESSES/);
      expect(err.status).toBe(403);
    } finally {
      await d.close();
    }
  });

  it('refuses a host name that resolves to loopback at connection time (the lookup every socket uses)', async () => {
    const lookup = guardedLookup({ denyPrivate: true });
    const err = await new Promise<Error | null>((resolve) => lookup('localhost', {}, (e) => resolve(e)));
    expect(err?.message).toMatch(/Connecting to localhost \((127\.0\.0\.1|::1)\) is not allowed/);
    const open = guardedLookup({ denyPrivate: false });
    const address = await new Promise<string>((resolve) => open('localhost', {}, (_e, a) => resolve(a as string)));
    expect(['127.0.0.1', '::1']).toContain(address);
  });

  it('is off by default: loopback remotes work', async () => {
    const server = await new RawHttpServer((socket) =>
      socket.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'),
    ).start();
    const d = downloader();
    try {
      const r = await d.download(`${server.baseUrl}x`, { size: 2 });
      await rm(r.path);
    } finally {
      await d.close();
      await server.stop();
    }
  });
});

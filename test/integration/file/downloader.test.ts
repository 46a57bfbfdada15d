import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  DigestMismatchError,
  RemoteFetchError,
  SizeMismatchError,
  TaskCanceledError,
} from '../../../src/core/errors.js';
import { Downloader } from '../../../src/download/downloader.js';
import { FixtureServer, generateRepository } from '../../helpers/fixture-server.js';

const CHECKSUMS = ['sha224', 'sha256', 'sha384', 'sha512'] as const;
let dir: string;
const { files } = generateRepository(['f.bin'], 4096);
const f = files[0]!;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'pulp-dl-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function downloader(config: ConstructorParameters<typeof Downloader>[0] = {}) {
  return new Downloader(config, { tempDir: dir, checksums: CHECKSUMS, retryBaseMs: 2 });
}

describe('downloader', () => {
  it('computes every allowed digest, verifies them and sends basic auth and the remote headers', async () => {
    const server = await new FixtureServer({
      files: new Map([['f.bin', f.content]]),
      requireHeaders: { 'x-token': 'abc' },
    }).start();
    const d = downloader({
      username: 'user',
      password: 'pw',
      headers: [{ 'X-Token': 'abc' }, { 'User-Agent': 'custom/1' }],
    });
    try {
      const r = await d.download(server.url('f.bin'), { size: 4096, digests: { sha256: f.sha256 } });
      expect(r.size).toBe(4096);
      expect(r.digests.sha256).toBe(f.sha256);
      expect(Object.keys(r.digests).sort()).toEqual([...CHECKSUMS].sort());
      const h = server.headersSeen[0]!;
      expect(h.authorization).toBe(`Basic ${Buffer.from('user:pw').toString('base64')}`);
      expect(h['user-agent']).toMatch(/^pulpcore\/[\d.]+ .*, custom\/1$/);
      await rm(r.path);
    } finally {
      await d.close();
      await server.stop();
    }
  });

  it('does not retry a 404 but retries 5xx up to max_retries, leaving no temporary file', async () => {
    const server = await new FixtureServer({
      files: new Map([['f.bin', f.content]]),
      fault: (p) => (p === 'f.bin' ? 'status-500' : null),
    }).start();
    const d = downloader({ max_retries: 2 });
    try {
      await expect(d.download(server.url('missing.bin'))).rejects.toThrow(/missing\.bin failed: HTTP 404/);
      expect(server.count('missing.bin')).toBe(1);
      await expect(d.download(server.url('f.bin'))).rejects.toBeInstanceOf(RemoteFetchError);
      expect(server.count('f.bin')).toBe(3);
      expect(await readdir(dir)).toEqual([]);
    } finally {
      await d.close();
      await server.stop();
    }
  });

  it('names the URL in size and digest mismatches', async () => {
    const server = await new FixtureServer({ files: new Map([['f.bin', f.content]]) }).start();
    const d = downloader({ max_retries: 1 });
    try {
      await expect(d.download(server.url('f.bin'), { size: 10 })).rejects.toThrow(SizeMismatchError);
      await expect(d.download(server.url('f.bin'), { size: 5000 })).rejects.toThrow(
        /f\.bin: expected 5000 bytes, received 4096/,
      );
      await expect(d.download(server.url('f.bin'), { digests: { sha256: '0'.repeat(64) } })).rejects.toThrow(
        DigestMismatchError,
      );
      expect(server.count('f.bin')).toBe(6);
      expect(await readdir(dir)).toEqual([]);
    } finally {
      await d.close();
      await server.stop();
    }
  });

  it('stops when the signal aborts and removes the partial file', async () => {
    const server = await new FixtureServer({ files: new Map([['f.bin', f.content]]), delayMs: 2000 }).start();
    const d = downloader();
    const controller = new AbortController();
    try {
      const p = d.download(server.url('f.bin'), {}, controller.signal);
      setTimeout(() => controller.abort(new Error('canceled')), 50);
      await expect(p).rejects.toBeInstanceOf(TaskCanceledError);
      expect(await readdir(dir)).toEqual([]);
    } finally {
      await d.close();
      await server.stop();
    }
  });

  it('limits simultaneous downloads to download_concurrency, and uses all of it', async () => {
    // The server holds every answer until two requests are open at once, then gives a third the chance to show
    // up before it answers one: an unlimited downloader opens all six at once, a serial one never opens two.
    let open = 0;
    let maxOpen = 0;
    const held: (() => void)[] = [];
    let releaseTimer: NodeJS.Timeout | null = null;
    const releaseOne = () => {
      releaseTimer = null;
      held.shift()?.();
      if (held.length > 0) releaseTimer = setTimeout(releaseOne, open >= 2 ? 200 : 3000);
    };
    const server = createServer((_req, res) => {
      open++;
      maxOpen = Math.max(maxOpen, open);
      res.on('close', () => open--);
      held.push(() => res.writeHead(200, { 'content-length': f.content.length }).end(f.content));
      if (releaseTimer) clearTimeout(releaseTimer);
      releaseTimer = setTimeout(releaseOne, open >= 2 ? 200 : 3000);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/f.bin`;
    const d = downloader({ download_concurrency: 2 });
    try {
      const results = await Promise.all(Array.from({ length: 6 }, () => d.download(url, { size: 4096 })));
      expect(results.map((r) => r.digests.sha256)).toEqual(Array(6).fill(f.sha256));
      expect(maxOpen).toBe(2);
      await Promise.all(results.map((r) => rm(r.path)));
    } finally {
      if (releaseTimer) clearTimeout(releaseTimer);
      await d.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});

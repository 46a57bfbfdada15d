import { Worker } from 'node:worker_threads';

import type { Digests } from '../core/checksums.js';
import type { ChecksumName } from '../core/settings.js';

/*
 * Why worker threads: the default ALLOWED_CONTENT_CHECKSUMS (sha224, sha256, sha384, sha512) cost several
 * times one sha256; on the main thread they cap an on-demand download far below the network and delay every
 * other request. Each worker follows the temporary file as it grows (reading it back from the page cache), so
 * the main thread only moves bytes, and the digests are split over two workers so they run side by side.
 * The worker is plain JS evaluated from a string so that it runs the same under tsx, vitest and a build.
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const jobs = new Map();
const buf = Buffer.allocUnsafe(1024 * 1024);
parentPort.on('message', (msg) => {
  try {
    if (msg.type === 'start') {
      jobs.set(msg.id, { fd: fs.openSync(msg.path, 'r'), pos: 0, hashers: msg.names.map((n) => [n, createHash(n)]) });
      return;
    }
    const job = jobs.get(msg.id);
    if (!job) return;
    while (job.pos < msg.upto) {
      const n = fs.readSync(job.fd, buf, 0, Math.min(buf.length, msg.upto - job.pos), job.pos);
      if (n === 0) throw new Error('temporary file is shorter than written');
      for (const [, h] of job.hashers) h.update(buf.subarray(0, n));
      job.pos += n;
    }
    if (msg.type === 'end' || msg.type === 'abort') {
      jobs.delete(msg.id);
      fs.closeSync(job.fd);
      if (msg.type === 'end') {
        const digests = {};
        for (const [n, h] of job.hashers) digests[n] = h.digest('hex');
        parentPort.postMessage({ id: msg.id, digests });
      }
    }
  } catch (err) {
    const job = jobs.get(msg.id);
    if (job) { jobs.delete(msg.id); try { fs.closeSync(job.fd); } catch {} }
    parentPort.postMessage({ id: msg.id, error: String((err && err.message) || err) });
  }
});
`;

interface Pending {
  resolve(digests: Partial<Digests>): void;
  reject(err: Error): void;
}

class HashWorker {
  readonly worker = new Worker(WORKER_SOURCE, { eval: true });
  readonly pending = new Map<number, Pending>();
  constructor() {
    this.worker.unref();
    this.worker.on('message', (msg: { id: number; digests?: Partial<Digests>; error?: string }) => {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.error !== undefined) p.reject(new Error(msg.error));
      else p.resolve(msg.digests ?? {});
    });
    this.worker.on('error', (err) => {
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    });
  }
}

/** Two hashing threads per process, created on first use. */
export class StreamHasherPool {
  private workers: HashWorker[] = [];
  private nextId = 1;

  private get(): HashWorker[] {
    if (this.workers.length === 0) this.workers = [new HashWorker(), new HashWorker()];
    return this.workers;
  }

  /** Starts hashing `path` (which grows); feed it with `advance(bytes written)` and `finish(total)`. */
  start(path: string, names: readonly ChecksumName[]): StreamHash {
    const all = [...new Set<ChecksumName>([...names, 'sha256'])];
    // Costliest first, dealt alternately, so both threads get a similar share.
    const cost: Record<ChecksumName, number> = { sha512: 5, sha384: 5, sha256: 3, sha224: 3, md5: 2, sha1: 1 };
    all.sort((a, b) => cost[b] - cost[a]);
    const groups: ChecksumName[][] = [[], []];
    all.forEach((n, i) => groups[i % 2]!.push(n));
    const parts = this.get()
      .map((w, i) => ({ w, names: groups[i]! }))
      .filter((p) => p.names.length > 0)
      .map(({ w, names }) => {
        const id = this.nextId++;
        const done = new Promise<Partial<Digests>>((resolve, reject) => w.pending.set(id, { resolve, reject }));
        done.catch(() => undefined);
        w.worker.postMessage({ type: 'start', id, path, names });
        return { w, id, done };
      });
    return new StreamHash(parts);
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.splice(0).map((w) => w.worker.terminate()));
  }
}

export class StreamHash {
  constructor(private readonly parts: { w: HashWorker; id: number; done: Promise<Partial<Digests>> }[]) {}

  advance(upto: number): void {
    for (const p of this.parts) p.w.worker.postMessage({ type: 'advance', id: p.id, upto });
  }

  async finish(total: number): Promise<Digests> {
    for (const p of this.parts) p.w.worker.postMessage({ type: 'end', id: p.id, upto: total });
    const results = await Promise.all(this.parts.map((p) => p.done));
    return Object.assign({}, ...results) as Digests;
  }

  abort(): void {
    for (const p of this.parts) p.w.worker.postMessage({ type: 'abort', id: p.id, upto: 0 });
  }
}

import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

import type { Digests } from '../core/checksums.js';
import type { ChecksumName } from '../core/settings.js';

/*
 * Why a pool: Pulp's default ALLOWED_CONTENT_CHECKSUMS (sha224, sha256, sha384, sha512) cost about 6.6x one
 * sha256 on one core, which on the main thread caps a sync far below the network. Each finished temp file is
 * hashed by a worker thread reading it back from the page cache, so hashing runs beside the downloads and
 * memory stays bounded (no chunk queues). The worker is plain JS evaluated from a string so that it runs the
 * same under tsx, vitest and the compiled build.
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const { createReadStream } = require('node:fs');
parentPort.on('message', ({ id, path, names }) => {
  const hashers = names.map((n) => [n, createHash(n)]);
  let size = 0;
  const stream = createReadStream(path, { highWaterMark: 256 * 1024 });
  stream.on('data', (chunk) => { size += chunk.length; for (const [, h] of hashers) h.update(chunk); });
  stream.on('error', (err) => parentPort.postMessage({ id, error: String(err && err.message || err) }));
  stream.on('end', () => {
    const digests = {};
    for (const [n, h] of hashers) digests[n] = h.digest('hex');
    parentPort.postMessage({ id, size, digests });
  });
});
`;

interface Pending {
  resolve(value: { size: number; digests: Digests }): void;
  reject(err: Error): void;
}

interface PoolWorker {
  worker: Worker;
  busy: number;
}

/** Hashes files on worker threads; `hashFile` resolves with the size and every requested digest. */
export class HashPool {
  private readonly workers: PoolWorker[] = [];
  private readonly pending = new Map<number, Pending & { slot: PoolWorker }>();
  private nextId = 1;
  private closed = false;

  constructor(private readonly size = Math.max(1, Math.min(4, availableParallelism()))) {}

  private spawn(): PoolWorker {
    const slot: PoolWorker = { worker: new Worker(WORKER_SOURCE, { eval: true }), busy: 0 };
    slot.worker.unref();
    slot.worker.on('message', (msg: { id: number; size?: number; digests?: Digests; error?: string }) => {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      p.slot.busy--;
      if (msg.error !== undefined) p.reject(new Error(msg.error));
      else p.resolve({ size: msg.size ?? 0, digests: msg.digests as Digests });
    });
    slot.worker.on('error', (err) => {
      for (const [id, p] of this.pending) {
        if (p.slot !== slot) continue;
        this.pending.delete(id);
        p.reject(err);
      }
      const i = this.workers.indexOf(slot);
      if (i >= 0) this.workers.splice(i, 1);
    });
    this.workers.push(slot);
    return slot;
  }

  private pick(): PoolWorker {
    const idle = this.workers.find((w) => w.busy === 0);
    if (idle) return idle;
    if (this.workers.length < this.size) return this.spawn();
    return this.workers.reduce((a, b) => (b.busy < a.busy ? b : a));
  }

  hashFile(path: string, names: readonly ChecksumName[]): Promise<{ size: number; digests: Digests }> {
    if (this.closed) return Promise.reject(new Error('hash pool is closed'));
    const slot = this.pick();
    const id = this.nextId++;
    slot.busy++;
    const all = [...new Set<ChecksumName>([...names, 'sha256'])];
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, slot });
      slot.worker.postMessage({ id, path, names: all });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.splice(0).map((w) => w.worker.terminate()));
  }
}

let shared: HashPool | null = null;

/** One pool per process: workers are cheap to keep and costly to start per task. */
export function sharedHashPool(): HashPool {
  shared ??= new HashPool();
  return shared;
}

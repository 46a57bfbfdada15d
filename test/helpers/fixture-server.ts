import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

/** What the server does for one path on one request (numbered from 1 per path). */
export type Fault = 'status-404' | 'status-429' | 'status-500' | 'truncate' | 'corrupt' | null;

export interface FixtureServerOptions {
  /** Files served from memory, by URL path without the leading slash. */
  files?: Map<string, Buffer | string>;
  /** Or serve a directory (paths below it). */
  root?: string;
  /** Delay before each response, in ms. */
  delayMs?: number;
  /** Decides a fault per request; default none. */
  fault?: (path: string, attempt: number) => Fault;
  /** Only answer requests that carry these headers (else 401). */
  requireHeaders?: Record<string, string>;
}

/**
 * A loopback HTTP server for remote fixtures: serves an in-memory map or a directory, counts requests per path,
 * and can delay, fail (404/429/500), truncate or corrupt answers.
 */
export class FixtureServer {
  readonly requests = new Map<string, number>();
  readonly headersSeen: IncomingMessage['headers'][] = [];
  /** Highest number of requests being answered at the same time. */
  maxInFlight = 0;
  private inFlight = 0;
  files: Map<string, Buffer | string>;
  private server: Server | null = null;
  baseUrl = '';

  constructor(private readonly options: FixtureServerOptions = {}) {
    this.files = options.files ?? new Map();
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    this.baseUrl = `http://127.0.0.1:${port}/`;
    return this;
  }

  url(p: string): string {
    return `${this.baseUrl}${p}`;
  }

  count(p: string): number {
    return this.requests.get(p) ?? 0;
  }

  totalRequests(): number {
    return [...this.requests.values()].reduce((a, b) => a + b, 0);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    res.on('close', () => this.inFlight--);
    const p = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname.slice(1));
    const attempt = (this.requests.get(p) ?? 0) + 1;
    this.requests.set(p, attempt);
    this.headersSeen.push(req.headers);
    if (this.options.delayMs) await new Promise((r) => setTimeout(r, this.options.delayMs));
    for (const [k, v] of Object.entries(this.options.requireHeaders ?? {})) {
      if (req.headers[k.toLowerCase()] !== v) {
        res.writeHead(401).end();
        return;
      }
    }
    const fault = this.options.fault?.(p, attempt) ?? null;
    if (fault?.startsWith('status-')) {
      res.writeHead(Number(fault.slice(7))).end();
      return;
    }
    let body: Buffer | null = null;
    const mem = this.files.get(p);
    if (mem !== undefined) body = Buffer.from(mem);
    else if (this.options.root) {
      const full = path.join(this.options.root, p);
      if (full.startsWith(this.options.root) && (await stat(full).catch(() => null))?.isFile()) {
        if (!fault) {
          res.writeHead(200, { 'content-length': (await stat(full)).size });
          createReadStream(full).pipe(res);
          return;
        }
        const { readFile } = await import('node:fs/promises');
        body = await readFile(full);
      }
    }
    if (body === null) {
      res.writeHead(404).end();
      return;
    }
    if (fault === 'corrupt') {
      body = Buffer.from(body);
      if (body.length > 0) body[0] = body[0]! ^ 0xff;
    }
    if (fault === 'truncate') {
      // Announce the full length and close early: the client sees a truncated body.
      res.writeHead(200, { 'content-length': body.length });
      res.write(body.subarray(0, Math.floor(body.length / 2)));
      res.destroy();
      return;
    }
    res.writeHead(200, { 'content-length': body.length });
    res.end(body);
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = null;
  }
}

export interface GeneratedFile {
  relativePath: string;
  content: Buffer;
  sha256: string;
}

/** Files with random bytes and a PULP_MANIFEST listing them. */
export function generateRepository(paths: string[], size = 256): { files: GeneratedFile[]; manifest: string } {
  const files = paths.map((relativePath) => {
    const content = randomBytes(size);
    return { relativePath, content, sha256: createHash('sha256').update(content).digest('hex') };
  });
  return { files, manifest: manifestFor(files) };
}

export function manifestFor(files: GeneratedFile[]): string {
  return files.map((f) => `${f.relativePath},${f.sha256},${f.content.length}\n`).join('');
}

/** The in-memory map for a FixtureServer: the files under `prefix` plus `<prefix>PULP_MANIFEST`. */
export function fixtureMap(files: GeneratedFile[], manifest: string, prefix = ''): Map<string, Buffer | string> {
  const map = new Map<string, Buffer | string>(files.map((f) => [`${prefix}${f.relativePath}`, f.content]));
  map.set(`${prefix}PULP_MANIFEST`, manifest);
  return map;
}

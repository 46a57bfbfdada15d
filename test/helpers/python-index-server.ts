import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { BuiltDist } from './python-packages.js';

/** `pypi`: JSON API + XML-RPC + simple pages, as PyPI; `static`: only a PEP 503 tree, as a plain web server. */
export type IndexMode = 'pypi' | 'static';

const canonical = (n: string) => n.replace(/[-_.]+/g, '-').toLowerCase();
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * A local Python package index serving distributions the test built: `simple/` (HTML, or PEP 691 JSON when
 * asked), `pypi/<name>/json` with X-PyPI-Last-Serial, XML-RPC `list_packages_with_serial` on `pypi`, the
 * files under `packages/`, and wheel METADATA as `<file>.metadata`. Counts requests per path.
 */
export class PythonIndexServer {
  readonly requests = new Map<string, number>();
  private server: Server | null = null;
  baseUrl = '';
  /** Paths answered with this status instead (e.g. make one project unreachable). */
  readonly failures = new Map<string, number>();

  constructor(
    readonly dists: BuiltDist[],
    readonly mode: IndexMode = 'pypi',
  ) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/`;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  count(path: string): number {
    return this.requests.get(path) ?? 0;
  }

  projects(): Map<string, BuiltDist[]> {
    const map = new Map<string, BuiltDist[]>();
    for (const d of this.dists) map.set(canonical(d.name), [...(map.get(canonical(d.name)) ?? []), d]);
    return map;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    this.requests.set(path, (this.requests.get(path) ?? 0) + 1);
    const failure = this.failures.get(path);
    if (failure) return this.send(res, failure, 'text/plain', 'failure injected\n');
    if (req.method === 'POST' && path === '/pypi' && this.mode === 'pypi') {
      req.resume();
      return this.send(res, 200, 'text/xml', this.xmlrpc());
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return this.send(res, 405, 'text/plain', 'method not allowed\n');
    const projects = this.projects();
    const json = (req.headers.accept ?? '').startsWith('application/vnd.pypi.simple.v1+json') && this.mode === 'pypi';
    if (path === '/simple/') {
      const names = [...projects.values()].map((d) => d[0]!.name);
      if (json)
        return this.json(
          res,
          { meta: { 'api-version': '1.0' }, projects: names.map((name) => ({ name })) },
          'application/vnd.pypi.simple.v1+json',
        );
      return this.send(
        res,
        200,
        'text/html',
        `<!DOCTYPE html><html><body>${names.map((n) => `<a href="${canonical(n)}/">${esc(n)}</a>`).join('\n')}</body></html>`,
      );
    }
    let m = /^\/simple\/([^/]+)\/$/.exec(path);
    if (m) {
      const dists = projects.get(m[1]!);
      if (!dists) return this.send(res, 404, 'text/plain', 'no such project\n');
      if (json) return this.json(res, this.simpleJson(m[1]!, dists), 'application/vnd.pypi.simple.v1+json');
      return this.send(res, 200, 'text/html', this.simpleHtml(m[1]!, dists));
    }
    m = /^\/pypi\/([^/]+)\/json$/.exec(path);
    if (m && this.mode === 'pypi') {
      const dists = projects.get(canonical(m[1]!));
      if (!dists) return this.send(res, 404, 'application/json', '{"message": "Not Found"}');
      res.setHeader('X-PyPI-Last-Serial', '42');
      return this.json(res, this.projectJson(dists), 'application/json');
    }
    m = /^\/packages\/(.+)$/.exec(path);
    if (m) {
      const metadata = m[1]!.endsWith('.metadata');
      const filename = metadata ? m[1]!.slice(0, -'.metadata'.length) : m[1]!;
      const dist = this.dists.find((d) => d.filename === filename);
      const body = metadata ? dist?.metadata : dist?.bytes;
      if (!body) return this.send(res, 404, 'text/plain', 'no such file\n');
      return this.send(res, 200, 'application/octet-stream', body);
    }
    this.send(res, 404, 'text/plain', 'not found\n');
  }

  fileUrl(d: BuiltDist): string {
    return `${this.baseUrl}packages/${d.filename}`;
  }

  private metadataSha(d: BuiltDist): string | null {
    return d.metadata ? require256(d.metadata) : null;
  }

  private simpleHtml(name: string, dists: BuiltDist[]): string {
    const links = dists.map((d) => {
      const meta = this.metadataSha(d);
      const attrs = [`href="../../packages/${d.filename}#sha256=${d.sha256}"`];
      if (d.requiresPython) attrs.push(`data-requires-python="${esc(d.requiresPython)}"`);
      if (meta) attrs.push(`data-core-metadata="sha256=${meta}"`);
      return `<a ${attrs.join(' ')}>${d.filename}</a><br/>`;
    });
    return `<!DOCTYPE html><html><head><title>Links for ${name}</title></head><body>\n${links.join('\n')}\n</body></html>`;
  }

  private simpleJson(name: string, dists: BuiltDist[]): unknown {
    return {
      meta: { 'api-version': '1.1' },
      name,
      files: dists.map((d) => {
        const meta = this.metadataSha(d);
        return {
          filename: d.filename,
          url: this.fileUrl(d),
          hashes: { sha256: d.sha256 },
          'requires-python': d.requiresPython,
          'core-metadata': meta ? { sha256: meta } : false,
          size: d.bytes.length,
        };
      }),
    };
  }

  private projectJson(dists: BuiltDist[]): unknown {
    const sorted = [...dists].sort((a, b) => (a.version < b.version ? -1 : 1));
    const latest = sorted.at(-1)!;
    const releases: Record<string, unknown[]> = {};
    for (const d of sorted) {
      (releases[d.version] ??= []).push({
        filename: d.filename,
        url: this.fileUrl(d),
        digests: { sha256: d.sha256, md5: '' },
        packagetype: d.filename.endsWith('.whl') ? 'bdist_wheel' : 'sdist',
        python_version: d.filename.endsWith('.whl') ? 'py3' : 'source',
        requires_python: d.requiresPython,
        size: d.bytes.length,
        upload_time_iso_8601: '2024-01-01T00:00:00.000000Z',
        yanked: false,
        yanked_reason: null,
      });
    }
    return {
      info: {
        name: latest.name,
        version: latest.version,
        summary: `The ${latest.name} test package`,
        author: 'pulp-ts tests',
        license: 'MIT',
        requires_python: latest.requiresPython,
        requires_dist: null,
        classifiers: ['Programming Language :: Python :: 3'],
        metadata_version: '2.1',
      },
      last_serial: 42,
      releases,
      urls: releases[latest.version],
    };
  }

  private xmlrpc(): string {
    const members = [...this.projects().values()]
      .map((d) => `<member><name>${esc(d[0]!.name)}</name><value><int>42</int></value></member>`)
      .join('');
    return `<?xml version='1.0'?>\n<methodResponse><params><param><value><struct>${members}</struct></value></param></params></methodResponse>\n`;
  }

  private json(res: ServerResponse, body: unknown, type: string): void {
    this.send(res, 200, type, JSON.stringify(body));
  }

  private send(res: ServerResponse, status: number, type: string, body: string | Buffer): void {
    res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  }
}

function require256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

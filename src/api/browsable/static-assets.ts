import { cp, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import type { FastifyInstance } from 'fastify';

/** Folders of static files below STATIC_URL, each served from the installed package. */
export interface StaticFolder {
  /** First path segment below STATIC_URL (`browsable-api`). */
  name: string;
  /** Absolute folder in the package. */
  dir: string;
}

const TYPES: Record<string, string> = {
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.html': 'text/html; charset=utf-8',
  '.woff2': 'font/woff2',
};

/** The browsable API's own stylesheet and script. */
export const BROWSABLE_ASSETS: StaticFolder = {
  name: 'browsable-api',
  dir: fileURLToPath(new URL('./assets/', import.meta.url)),
};

/** Resolves `rest` inside `dir`, or null when it would leave the folder or names a dotfile. */
export function assetPath(dir: string, rest: string): string | null {
  const parts = rest.split('/');
  if (parts.some((p) => p === '' || p === '.' || p === '..' || p.startsWith('.') || p.includes('\\'))) return null;
  return path.join(dir, ...parts);
}

export function contentTypeOf(file: string): string {
  return TYPES[path.extname(file)] ?? 'application/octet-stream';
}

/** Serves each folder at `<STATIC_URL><name>/...`, without authentication (they hold no data). */
export function serveStaticFolders(app: FastifyInstance, staticUrl: string, folders: StaticFolder[]): void {
  for (const folder of folders) {
    app.get(`${staticUrl}${folder.name}/*`, async (request, reply) => {
      const rest = (request.params as { '*': string })['*'];
      const file = assetPath(folder.dir, rest);
      const data = file ? await readFile(file).catch(() => null) : null;
      if (!file || !data)
        return reply.code(404).header('content-type', 'application/json').send('{"detail":"Not found."}');
      return reply
        .header('content-type', contentTypeOf(file))
        .header('cache-control', 'public, max-age=300')
        .send(data);
    });
  }
}

/** `collectstatic`: copies every folder into STATIC_ROOT (for a web server to serve at STATIC_URL). */
export async function collectStatic(staticRoot: string, folders: StaticFolder[]): Promise<string[]> {
  await mkdir(staticRoot, { recursive: true });
  const copied: string[] = [];
  for (const folder of folders) {
    const dest = path.join(staticRoot, folder.name);
    await cp(folder.dir, dest, { recursive: true, force: true });
    copied.push(dest);
  }
  return copied;
}

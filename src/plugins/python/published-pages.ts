import { rm, stat } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';

import { sql } from 'kysely';

import { artifactPath, Downloader, type ContentHandler, type ContentServices } from '../../plugin-api/index.js';
import { DEFAULT_FILE_HOSTS } from './link-policy.js';
import { canonicalizeName } from './names.js';
import { PackageError } from './package-metadata.js';
import { PACKAGE_TYPE } from './package-rows.js';
import { storePackageFile } from './package-store.js';

interface PythonDist {
  pulp_id: string;
  repository_id: string | null;
  repository_version_id: string | null;
  publication_id: string | null;
  remote_id: string | null;
  content_guard_id: string | null;
}

async function distributionAt(services: ContentServices, basePath: string): Promise<PythonDist | null> {
  const { rows } = await sql<PythonDist>`SELECT pulp_id, repository_id, repository_version_id, publication_id,
      remote_id, content_guard_id FROM distribution WHERE base_path = ${basePath} AND pulp_type = ${PACKAGE_TYPE}`.execute(
    services.db,
  );
  return rows[0] ?? null;
}

function send(res: ServerResponse, status: number, text: string): true {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
  return true;
}

async function streamArtifact(
  services: ContentServices,
  req: IncomingMessage,
  res: ServerResponse,
  sha256: string,
  contentType: string,
): Promise<true> {
  const name = artifactPath(sha256);
  const size = await services.storage.size(name);
  if (size === null) return send(res, 404, 'The file is missing from storage.');
  res.writeHead(200, { 'content-type': contentType, 'content-length': size });
  if (req.method === 'HEAD') {
    res.end();
    return true;
  }
  await pipeline(services.storage.createReadStream(name), res);
  return true;
}

/** The publication a python distribution serves: its own, else the served version's newest. */
async function servedPublication(services: ContentServices, d: PythonDist): Promise<string | null> {
  if (d.publication_id) return d.publication_id;
  const version = d.repository_version_id
    ? sql`v.pulp_id = ${d.repository_version_id}`
    : d.repository_id
      ? sql`v.repository_id = ${d.repository_id} AND v.number = (SELECT max(number) FROM repository_version
          WHERE repository_id = ${d.repository_id} AND complete)`
      : null;
  if (!version) return null;
  const { rows } = await sql<{ pulp_id: string }>`SELECT p.pulp_id FROM publication p
    JOIN repository_version v ON v.pulp_id = p.repository_version_id
    WHERE ${version} AND p.complete AND p.pulp_type = ${PACKAGE_TYPE} ORDER BY p.pulp_created DESC LIMIT 1`.execute(
    services.db,
  );
  return rows[0]?.pulp_id ?? null;
}

/**
 * `<base_path>/simple/` and `<base_path>/simple/<project>/` of a published python distribution: the
 * publication's pages (pulp_python's content_handler serves them for repository distributions too, which
 * the API's simple views redirect to).
 */
async function servePublishedPage(
  services: ContentServices,
  req: IncomingMessage,
  res: ServerResponse,
  rest: string,
): Promise<boolean> {
  const m = /^(.+)\/simple\/(?:([^/]+)\/)?$/.exec(rest);
  if (!m?.[1]) return false;
  const dist = await distributionAt(services, m[1]);
  if (!dist || dist.content_guard_id) return false;
  const pub = await servedPublication(services, dist);
  if (!pub) return false;
  const relative = m[2] ? `simple/${canonicalizeName(m[2])}/index.html` : 'simple/index.html';
  const { rows } = await sql<{ sha256: string }>`SELECT a.sha256 FROM published_metadata pm
    JOIN artifact a ON a.pulp_id = pm.artifact_id
    WHERE pm.publication_id = ${pub} AND pm.relative_path = ${relative}`.execute(services.db);
  const hit = rows[0];
  if (!hit) return send(res, 404, `${m[2] ? canonicalizeName(m[2]) : 'simple'} does not exist.`);
  return streamArtifact(services, req, res, hit.sha256, 'text/html');
}

/**
 * A pull-through file (`<base_path>/<filename>?redirect=<upstream url>`, the links of a pull-through simple
 * page): served from storage when a package of that filename is stored, else fetched from the upstream URL,
 * which must be on the remote's host or a known file host (no open proxy). Unless the remote's policy is
 * `streamed`, the file is kept as a package unit (its metadata checked) before it is served.
 */
async function servePullThrough(
  services: ContentServices,
  req: IncomingMessage,
  res: ServerResponse,
  rest: string,
  upstream: string,
): Promise<boolean> {
  const slash = rest.lastIndexOf('/');
  if (slash <= 0) return false;
  const basePath = rest.slice(0, slash);
  const filename = rest.slice(slash + 1);
  const dist = await distributionAt(services, basePath);
  if (!dist?.remote_id || dist.content_guard_id) return false;
  const remote = await services.db
    .selectFrom('remote')
    .selectAll()
    .where('pulp_id', '=', dist.remote_id)
    .executeTakeFirst();
  if (!remote?.url) return false;
  let target: URL;
  try {
    target = new URL(upstream);
  } catch {
    return send(res, 400, 'Invalid redirect URL.');
  }
  const remoteHost = new URL(remote.url).host;
  if (
    !['http:', 'https:'].includes(target.protocol) ||
    (target.host !== remoteHost && !DEFAULT_FILE_HOSTS.includes(target.host)) ||
    decodeURIComponent(target.pathname).split('/').pop() !== filename
  )
    return send(res, 400, 'The redirect URL is not a file of this index.');
  const stored = await sql<{ sha256: string }>`SELECT p.sha256 FROM python_package_content p
    JOIN content_artifact ca ON ca.content_id = p.content_id AND ca.relative_path = p.filename AND ca.artifact_id IS NOT NULL
    WHERE p.filename = ${filename} LIMIT 1`.execute(services.db);
  if (stored.rows[0]) return streamArtifact(services, req, res, stored.rows[0].sha256, 'application/octet-stream');
  const downloader = new Downloader(remote, {
    tempDir: services.storage.tempDir(),
    checksums: services.settings.ALLOWED_CONTENT_CHECKSUMS,
    retryBaseMs: 200,
  });
  let temp: string | null = null;
  try {
    const got = await downloader.download(target.toString());
    temp = got.path;
    if (remote.policy === 'streamed') {
      const size = (await stat(temp)).size;
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': size });
      if (req.method === 'HEAD') res.end();
      else await pipeline(createReadStream(temp), res);
      return true;
    }
    const kept = await storePackageFile(services, temp, filename);
    temp = null;
    return streamArtifact(services, req, res, kept.row.sha256, 'application/octet-stream');
  } catch (err) {
    if (err instanceof PackageError || (err as { code?: string }).code === 'PLP0001')
      return send(res, 502, `The upstream file is not a valid package: ${(err as Error).message}`);
    services.logger.info({ err, url: target.toString() }, 'pull-through fetch failed');
    return send(res, 502, `The file could not be fetched from the remote: ${(err as Error).message}`);
  } finally {
    if (temp) await rm(temp, { force: true });
    await downloader.close();
  }
}

/** The content-app paths the python plugin answers itself (checked by string before any query). */
export const publishedPagesHandler: ContentHandler = {
  prefix: '/',
  async handle(req, res, services) {
    const url = req.url ?? '/';
    const prefix = services.settings.CONTENT_PATH_PREFIX;
    if (!url.startsWith(prefix)) return false;
    const q = url.indexOf('?');
    const pathPart = url.slice(prefix.length, q < 0 ? undefined : q);
    let rest: string;
    try {
      rest = decodeURIComponent(pathPart);
    } catch {
      return false;
    }
    if (q >= 0) {
      const redirect = new URLSearchParams(url.slice(q + 1)).get('redirect');
      if (redirect) return servePullThrough(services, req, res, rest, redirect);
    }
    if (rest.includes('/simple/')) return servePublishedPage(services, req, res, rest);
    return false;
  },
};

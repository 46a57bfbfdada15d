import type { FastifyReply, FastifyRequest } from 'fastify';

import { contentAppOrigin, NotFoundError, type ClientRoute, type Services } from '../../plugin-api/index.js';
import { renderProjectJson } from './json-api.js';
import { negotiateSimple, SIMPLE_V1_JSON } from './media-types.js';
import { canonicalizeName } from './names.js';
import { pullThroughFiles } from './pull-through.js';
import { serveUpload } from './pypi-upload.js';
import { PageCache } from './page-cache.js';
import { pypiApiHostname, PYPI_PREFIX } from './settings.js';
import {
  contentBaseUrl,
  findPythonIndex,
  indexPackages,
  indexProjectNames,
  indexSummary,
  jsonApiPackageOf,
  simpleFileOf,
  type PythonIndex,
} from './pypi-index.js';
import {
  LAST_SERIAL_HEADER,
  PYPI_SERIAL_CONSTANT,
  renderSimpleDetailHtml,
  renderSimpleDetailJson,
  renderSimpleIndexHtml,
  renderSimpleIndexJson,
  type SimpleFile,
} from './simple-pages.js';

/** What a path below the PyPI prefix asks for, as pulp_python's urls.py orders its patterns. */
export type PypiPath =
  | { view: 'legacy'; basePath: string }
  | { view: 'metadata'; basePath: string; name: string; version?: string }
  | { view: 'simple-detail'; basePath: string; project: string }
  | { view: 'simple'; basePath: string }
  | { view: 'summary'; basePath: string };

/** Parse the part after `/pypi/` (base paths may contain `/`; the longest base path wins as in Django). */
export function parsePypiPath(rest: string): PypiPath | null {
  let m = /^(.+)\/legacy\/$/.exec(rest);
  if (m?.[1]) return { view: 'legacy', basePath: m[1] };
  m = /^(.+)\/pypi\/([^/]+)\/(?:([^/]+)\/)?json\/?$/.exec(rest);
  if (m?.[1] && m[2]) return { view: 'metadata', basePath: m[1], name: m[2], ...(m[3] ? { version: m[3] } : {}) };
  m = /^(.+)\/simple\/([^/]+)\/?$/.exec(rest);
  if (m?.[1] && m[2]) return { view: 'simple-detail', basePath: m[1], project: m[2] };
  m = /^(.+)\/simple\/?$/.exec(rest);
  if (m?.[1]) return { view: 'simple', basePath: m[1] };
  m = /^(.+?)\/?$/.exec(rest);
  return m?.[1] ? { view: 'summary', basePath: m[1] } : null;
}

const serialHeaders = { [LAST_SERIAL_HEADER]: String(PYPI_SERIAL_CONSTANT) };

/** Rendered pages of served versions (one process-wide cache; keys carry the version's pulp_id). */
export const renderedPages = new PageCache();

/**
 * The page of `parts` for the served version: cached when the index has a version and no pull-through remote
 * (a remote's pages change upstream), rendered by `render` otherwise.
 */
function cachedPage(index: PythonIndex, parts: string[], render: () => Promise<string | null>) {
  if (!index.versionId || index.remoteId) return render();
  return renderedPages.through([index.versionId, ...parts].join('\0'), render);
}

async function serveRead(request: FastifyRequest, reply: FastifyReply, services: Services, target: PypiPath) {
  const index = await findPythonIndex(services.db, target.basePath);
  // Files are served by the content app: PYPI_API_HOSTNAME names it only when configured (a shared front).
  const filesOrigin = pypiApiHostname(services.settings) || contentAppOrigin(services.settings, request);
  const filesBase = contentBaseUrl(services.settings, filesOrigin, index.basePath);
  const contentIndex = `${filesBase}simple/`;
  switch (target.view) {
    case 'summary':
      return reply.send(await indexSummary(services.db, index));
    case 'simple': {
      if (index.published) return reply.redirect(contentIndex, 302);
      const type = negotiateSimple(request.headers.accept);
      const body = await cachedPage(index, ['simple', type], async () => {
        const names = await indexProjectNames(services.db, index);
        if (type === SIMPLE_V1_JSON) return JSON.stringify(renderSimpleIndexJson(names));
        return renderSimpleIndexHtml(names);
      });
      return reply.headers(serialHeaders).type(type).send(body);
    }
    case 'simple-detail': {
      const normalized = canonicalizeName(target.project);
      if (!index.remoteId && index.published) return reply.redirect(`${contentIndex}${normalized}/`, 302);
      const type = negotiateSimple(request.headers.accept);
      const body = await cachedPage(index, ['detail', normalized, filesBase, type], async () => {
        let files: SimpleFile[] = [];
        if (index.remoteId) files = await pullThroughFiles(services, index.remoteId, normalized, filesBase);
        const local = (await indexPackages(services.db, index, normalized)).map((r) => simpleFileOf(r, filesBase));
        const byName = new Map([...files, ...local].map((f) => [f.filename, f]));
        files = [...byName.values()];
        if (files.length === 0) return null;
        if (type === SIMPLE_V1_JSON) return JSON.stringify(renderSimpleDetailJson(normalized, files));
        return renderSimpleDetailHtml(normalized, files);
      });
      if (body === null) return reply.code(404).type('text/plain').send(`${normalized} does not exist.`);
      return reply.headers(serialHeaders).type(type).send(body);
    }
    case 'metadata': {
      const parts = ['json', canonicalizeName(target.name), target.version ?? '', filesBase];
      const body = await cachedPage(index, parts, async () => {
        const rows = await indexPackages(services.db, index, target.name);
        const json = renderProjectJson(
          rows.map((r) => jsonApiPackageOf(r, filesBase)),
          target.version,
        );
        return json === null ? null : JSON.stringify(json);
      });
      if (body === null) return reply.code(404).send();
      return reply.headers(serialHeaders).type('application/json').send(body);
    }
    default:
      throw new NotFoundError('Not found.');
  }
}

/**
 * The index routes on the API process, below PYPI_PATH_PREFIX (`/pypi/`): the summary, `simple/` and
 * `simple/<project>/` (PEP 503 HTML or PEP 691 JSON by Accept; 302 to the content app when a publication
 * serves the pages, as Pulp does) and `pypi/<name>[/<version>]/json` with X-PyPI-Last-Serial.
 */
export function pypiRoutes(prefix = PYPI_PREFIX): ClientRoute[] {
  return [
    {
      method: 'POST',
      url: `${prefix}*`,
      async handler(request, reply, services) {
        const rest = decodeURIComponent((request.params as { '*': string })['*']);
        const target = parsePypiPath(rest);
        if (!target || (target.view !== 'legacy' && target.view !== 'simple')) {
          return reply.code(405).header('allow', 'GET, HEAD').send({ detail: `Method "POST" not allowed.` });
        }
        return serveUpload(request, reply, services, target.basePath);
      },
    },
    {
      method: ['GET', 'HEAD'],
      url: `${prefix}*`,
      async handler(request, reply, services) {
        const rest = decodeURIComponent((request.params as { '*': string })['*']);
        const target = parsePypiPath(rest);
        if (!target || target.view === 'legacy') throw new NotFoundError('Not found.');
        return serveRead(request, reply, services, target);
      },
    },
  ];
}

/** The read routes only (GET and HEAD), as Phase A's tests mount them. */
export function pypiReadRoutes(prefix = PYPI_PREFIX): ClientRoute[] {
  return pypiRoutes(prefix).filter((r) => r.method !== 'POST');
}

import { type CoreMetadata } from './core-metadata.js';
import { parseDistFilename } from './filenames.js';
import { IndexError } from './index-errors.js';
import type { LinkPolicy } from './link-policy.js';
import { ACCEPT_JSON_PREFERRED, SIMPLE_V1_JSON } from './media-types.js';
import { canonicalizeName } from './names.js';
import { parseProjectJsonApi } from './upstream-json.js';
import { parseIndexPage, parseProjectHtml, parseProjectJson, type UpstreamFile } from './upstream-pages.js';
import { LIST_PACKAGES_WITH_SERIAL, parseListPackagesWithSerial } from './xmlrpc.js';

/** One HTTP answer, body read whole (the fetcher bounds its size). */
export interface FetchedPage {
  status: number;
  /** Lowercase header names. */
  headers: Record<string, string>;
  body: string;
}

/**
 * How the index reader reaches the remote: the sync wires it to the remote's downloader (its proxy, TLS,
 * credentials, headers and timeouts), tests to a plain client. Non-2xx answers are returned, not thrown;
 * network failures throw.
 */
export interface IndexFetcher {
  get(url: string, headers: Record<string, string>, signal?: AbortSignal): Promise<FetchedPage>;
  post(url: string, body: string, headers: Record<string, string>, signal?: AbortSignal): Promise<FetchedPage>;
}

/** A file to sync, whatever the upstream page it came from. */
export interface ReleaseFile {
  filename: string;
  url: string;
  sha256: string;
  md5: string | null;
  packagetype: string;
  pythonVersion: string;
  requiresPython: string | null;
  size: number | null;
  uploadTime: string | null;
  yanked: boolean;
  yankedReason: string | null;
  /** PEP 658 metadata file: its sha256 and URL, when the simple page announces one with a digest. */
  metadataSha256: string | null;
  metadataUrl: string | null;
  provenanceUrl: string | null;
}

export interface UpstreamProject {
  name: string;
  /** The JSON API's metadata of the latest release, or null for a static (simple-only) index. */
  info: CoreMetadata | null;
  releases: Map<string, ReleaseFile[]>;
  source: 'json' | 'simple';
  lastSerial: number;
}

/** A project that could not be read; the message names it and the cause. */
export class ProjectFetchError extends IndexError {
  constructor(
    readonly project: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`Could not fetch project ${project}: ${reason}`, options);
  }
}

/** The index root of a remote URL: pulp_python takes the root; a URL ending in `simple/` is taken as its parent. */
export function indexRoot(url: string): string {
  const u = new URL(url);
  u.search = '';
  u.hash = '';
  if (!u.pathname.endsWith('/')) u.pathname += '/';
  if (u.pathname.endsWith('/simple/')) u.pathname = u.pathname.slice(0, -'simple/'.length);
  return u.toString();
}

const lastSerialOf = (page: FetchedPage) => Number(page.headers['x-pypi-last-serial'] ?? '0') || 0;
const isJson = (page: FetchedPage) => (page.headers['content-type'] ?? '').split(';')[0]?.trim() === 'application/json';

/**
 * Every project of the index: XML-RPC `list_packages_with_serial` as bandersnatch asks it (three tries), else
 * the names on `simple/`. Returns names with their serial (0 when the simple page gave them).
 */
export async function listProjects(
  fetcher: IndexFetcher,
  root: string,
  signal?: AbortSignal,
): Promise<Map<string, number>> {
  const rpcUrl = new URL('pypi', root).toString();
  for (let attempt = 0; attempt < 3; attempt++) {
    let page: FetchedPage;
    try {
      page = await fetcher.post(rpcUrl, LIST_PACKAGES_WITH_SERIAL, { 'Content-Type': 'text/xml' }, signal);
    } catch (err) {
      if (signal?.aborted) throw err;
      continue;
    }
    if (page.status === 404 || page.status === 405 || page.status === 501) break;
    if (page.status !== 200) continue;
    try {
      return parseListPackagesWithSerial(page.body, rpcUrl);
    } catch {
      break;
    }
  }
  const simpleUrl = new URL('simple/', root).toString();
  const page = await fetcher.get(simpleUrl, { Accept: ACCEPT_JSON_PREFERRED }, signal);
  if (page.status !== 200) throw new IndexError(`${simpleUrl}: HTTP ${page.status} for the project list`);
  const names = parseIndexPage(page.body, page.headers['content-type'] ?? '', simpleUrl);
  return new Map(names.map((n) => [n, 0]));
}

/**
 * Read one project: `pypi/<name>/json` when the index has the JSON API (200, application/json, non-zero
 * X-PyPI-Last-Serial, as bandersnatch requires), plus `simple/<name>/` for PEP 658 metadata; else the simple
 * page alone, versions taken from the filenames. Throws ProjectFetchError naming the project.
 */
export async function readProject(
  fetcher: IndexFetcher,
  root: string,
  name: string,
  policy: LinkPolicy,
  signal?: AbortSignal,
  options: { json?: boolean } = {},
): Promise<UpstreamProject> {
  const normalized = canonicalizeName(name);
  try {
    const jsonUrl = new URL(`pypi/${encodeURIComponent(normalized)}/json`, root).toString();
    const [json, simple] = await Promise.all([
      options.json === false ? null : fetcher.get(jsonUrl, { Accept: 'application/json' }, signal),
      readSimpleProject(fetcher, root, normalized, policy, signal),
    ]);
    if (json && json.status === 200 && isJson(json) && lastSerialOf(json) !== 0) {
      return fromJsonApi(json, jsonUrl, root, policy, simple);
    }
    if (!simple) {
      const asked = json ? `${jsonUrl}: HTTP ${json.status}; ` : '';
      throw new ProjectFetchError(name, `not found (${asked}no simple page)`);
    }
    return fromSimple(normalized, simple);
  } catch (err) {
    if (err instanceof ProjectFetchError || signal?.aborted) throw err;
    throw new ProjectFetchError(name, (err as Error).message, { cause: err });
  }
}

export async function readSimpleProject(
  fetcher: IndexFetcher,
  root: string,
  normalized: string,
  policy: LinkPolicy,
  signal?: AbortSignal,
): Promise<UpstreamFile[] | null> {
  const url = new URL(`simple/${encodeURIComponent(normalized)}/`, root).toString();
  const page = await fetcher.get(url, { Accept: ACCEPT_JSON_PREFERRED }, signal);
  if (page.status === 404) return null;
  if (page.status !== 200) throw new IndexError(`${url}: HTTP ${page.status}`);
  const type = (page.headers['content-type'] ?? '').split(';')[0]?.trim();
  if (type === SIMPLE_V1_JSON) {
    let body: unknown;
    try {
      body = JSON.parse(page.body);
    } catch (err) {
      throw new IndexError(`${url}: invalid JSON`, { cause: err });
    }
    return parseProjectJson(body, url, root, policy);
  }
  return parseProjectHtml(page.body, url, root, policy);
}

function fromJsonApi(
  page: FetchedPage,
  url: string,
  root: string,
  policy: LinkPolicy,
  simple: UpstreamFile[] | null,
): UpstreamProject {
  let body: unknown;
  try {
    body = JSON.parse(page.body);
  } catch (err) {
    throw new IndexError(`${url}: invalid JSON`, { cause: err });
  }
  const project = parseProjectJsonApi(body, url, root, policy);
  const bySimple = new Map((simple ?? []).map((f) => [f.filename, f]));
  const releases = new Map<string, ReleaseFile[]>();
  for (const [version, files] of project.releases) {
    releases.set(
      version,
      files.map((f) => {
        const s = bySimple.get(f.filename);
        const metadataSha256 = s && typeof s.metadata === 'object' ? s.metadata.sha256 : null;
        return {
          ...f,
          metadataSha256,
          metadataUrl: metadataSha256 && s ? `${s.url}.metadata` : null,
          provenanceUrl: s?.provenanceUrl ?? null,
        };
      }),
    );
  }
  return { name: project.info.name, info: project.info, releases, source: 'json', lastSerial: project.lastSerial };
}

function fromSimple(normalized: string, files: UpstreamFile[]): UpstreamProject {
  const releases = new Map<string, ReleaseFile[]>();
  for (const f of files) {
    const parsed = parseDistFilename(f.filename);
    if (!parsed?.version || canonicalizeName(parsed.name ?? '') !== normalized) {
      throw new IndexError(`file ${f.filename} on the ${normalized} page is not a distribution of ${normalized}`);
    }
    const sha256 = f.hashes.sha256;
    if (!sha256 || !/^[0-9a-f]{64}$/.test(sha256)) throw new IndexError(`file ${f.filename} has no sha256 digest`);
    const metadataSha256 = typeof f.metadata === 'object' ? f.metadata.sha256 : null;
    const list = releases.get(parsed.version) ?? [];
    list.push({
      filename: f.filename,
      url: f.url,
      sha256,
      md5: f.hashes.md5 ?? null,
      packagetype: parsed.packagetype,
      pythonVersion: parsed.pythonVersion,
      requiresPython: f.requiresPython,
      size: f.size,
      uploadTime: f.uploadTime,
      yanked: f.yanked !== false,
      yankedReason: typeof f.yanked === 'string' ? f.yanked : null,
      metadataSha256,
      metadataUrl: metadataSha256 ? `${f.url}.metadata` : null,
      provenanceUrl: f.provenanceUrl,
    });
    releases.set(parsed.version, list);
  }
  return { name: normalized, info: null, releases, source: 'simple', lastSerial: 0 };
}

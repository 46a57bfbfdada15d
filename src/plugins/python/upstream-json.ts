import { type CoreMetadata, emptyCoreMetadata } from './core-metadata.js';
import { IndexError } from './index-errors.js';
import { type LinkPolicy, resolveFileLink } from './link-policy.js';

/** A file of a release in PyPI's JSON API (`pypi/<name>/json`). */
export interface JsonApiFile {
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
}

/** A project as the JSON API describes it: the latest release's metadata and every release's files. */
export interface JsonApiProject {
  info: CoreMetadata;
  /** `info.version`, the release the metadata describes. */
  latestVersion: string;
  releases: Map<string, JsonApiFile[]>;
  lastSerial: number;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const strList = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/**
 * Read a `pypi/<name>/json` body. Every file URL is checked against the link policy; a file without a sha256
 * digest is refused (Pulp keys packages by it).
 */
export function parseProjectJsonApi(
  body: unknown,
  pageUrl: string,
  indexUrl: string,
  policy: LinkPolicy,
): JsonApiProject {
  const doc = body as { info?: Record<string, unknown>; releases?: unknown; last_serial?: unknown };
  if (typeof body !== 'object' || body === null || typeof doc.info !== 'object' || doc.info === null) {
    throw new IndexError(`${pageUrl}: not a JSON API project page (no "info")`);
  }
  if (typeof doc.releases !== 'object' || doc.releases === null || Array.isArray(doc.releases)) {
    throw new IndexError(`${pageUrl}: not a JSON API project page (no "releases")`);
  }
  const i = doc.info;
  const info: CoreMetadata = {
    ...emptyCoreMetadata(),
    metadata_version: str(i.metadata_version),
    name: str(i.name),
    version: str(i.version),
    summary: str(i.summary),
    description: str(i.description),
    description_content_type: str(i.description_content_type),
    keywords: str(i.keywords),
    home_page: str(i.home_page),
    download_url: str(i.download_url),
    author: str(i.author),
    author_email: str(i.author_email),
    maintainer: str(i.maintainer),
    maintainer_email: str(i.maintainer_email),
    license: str(i.license),
    license_expression: str(i.license_expression),
    license_file: strList(i.license_files ?? i.license_file),
    platform: str(i.platform),
    supported_platform: str(i.supported_platform),
    classifiers: strList(i.classifiers),
    requires_dist: strList(i.requires_dist),
    requires_python: str(i.requires_python),
    requires_external: strList(i.requires_external),
    provides_dist: strList(i.provides_dist),
    obsoletes_dist: strList(i.obsoletes_dist),
    provides_extras: strList(i.provides_extra ?? i.provides_extras),
    project_url: str(i.project_url),
    project_urls: projectUrls(i.project_urls),
    dynamic: strList(i.dynamic),
  };
  if (!info.name) throw new IndexError(`${pageUrl}: the JSON API page has no info.name`);
  const releases = new Map<string, JsonApiFile[]>();
  for (const [version, files] of Object.entries(doc.releases as Record<string, unknown>)) {
    if (!Array.isArray(files)) throw new IndexError(`${pageUrl}: release ${JSON.stringify(version)} is not a list`);
    releases.set(
      version,
      files.map((f: unknown) => fileOf(f, pageUrl, indexUrl, policy)),
    );
  }
  const serial = typeof doc.last_serial === 'number' && Number.isSafeInteger(doc.last_serial) ? doc.last_serial : 0;
  return { info, latestVersion: info.version, releases, lastSerial: serial };
}

function projectUrls(v: unknown): Record<string, string> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return {};
  return Object.fromEntries(
    Object.entries(v as Record<string, unknown>).filter((e): e is [string, string] => typeof e[1] === 'string'),
  );
}

function fileOf(raw: unknown, pageUrl: string, indexUrl: string, policy: LinkPolicy): JsonApiFile {
  const f = raw as Record<string, unknown>;
  if (typeof raw !== 'object' || raw === null || typeof f.url !== 'string' || typeof f.filename !== 'string') {
    throw new IndexError(`${pageUrl}: a release file without "url" and "filename"`);
  }
  const { url } = resolveFileLink(f.url, pageUrl, indexUrl, policy);
  const digests = (typeof f.digests === 'object' && f.digests !== null ? f.digests : {}) as Record<string, unknown>;
  const sha256 = str(digests.sha256).toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(sha256)) throw new IndexError(`${pageUrl}: ${f.filename} has no valid sha256 digest`);
  const lastSegment = decodeURIComponent(new URL(url).pathname.split('/').pop() ?? '');
  if (lastSegment !== f.filename) {
    throw new IndexError(`${pageUrl}: file ${JSON.stringify(f.filename)} links to ${JSON.stringify(lastSegment)}`);
  }
  const md5 = str(digests.md5).toLowerCase();
  return {
    filename: f.filename,
    url,
    sha256,
    md5: /^[0-9a-f]{32}$/.test(md5) ? md5 : null,
    packagetype: str(f.packagetype),
    pythonVersion: str(f.python_version),
    requiresPython: str(f.requires_python) || null,
    size: typeof f.size === 'number' && Number.isSafeInteger(f.size) && f.size >= 0 ? f.size : null,
    uploadTime: str(f.upload_time_iso_8601) || str(f.upload_time) || null,
    yanked: f.yanked === true,
    yankedReason: str(f.yanked_reason) || null,
  };
}

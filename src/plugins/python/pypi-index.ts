import { sql } from 'kysely';

import { contentInVersion, latestVersionNumber, NotFoundError, type Services } from '../../plugin-api/index.js';
import type { JsonApiPackage } from './json-api.js';
import { canonicalizeName } from './names.js';
import type { PythonPackageRow } from './package-row.js';
import { selectPackages } from './package-rows.js';
import { formatUploadTime, type SimpleFile } from './simple-pages.js';

export const DISTRIBUTION_TYPE = 'python.python';

/** What an index request needs of a python distribution. */
export interface PythonIndex {
  distributionId: string;
  basePath: string;
  allowUploads: boolean;
  repositoryId: string | null;
  remoteId: string | null;
  publicationId: string | null;
  /** The repository version served (publication's, pinned, or latest), null with none. */
  version: { repositoryId: string; number: number } | null;
  /** Whether a publication serves this version's simple pages (the API then redirects to the content app). */
  published: boolean;
}

/**
 * The python distribution at `basePath` and the version it serves, as pulp_python's PyPIMixin resolves it:
 * a publication's version first, then the repository's latest, then a pinned repository version. 404 when
 * there is no python distribution there.
 */
export async function findPythonIndex(db: Services['db'], basePath: string): Promise<PythonIndex> {
  const dist = await db
    .selectFrom('distribution')
    .select(['pulp_id', 'base_path', 'repository_id', 'repository_version_id', 'publication_id', 'remote_id', 'detail'])
    .where('base_path', '=', basePath)
    .where('pulp_type', '=', DISTRIBUTION_TYPE)
    .executeTakeFirst();
  if (!dist) throw new NotFoundError(`No PythonDistribution found for base_path ${basePath}`);
  let version: PythonIndex['version'] = null;
  if (dist.publication_id) {
    const row = await db
      .selectFrom('publication as p')
      .innerJoin('repository_version as v', 'v.pulp_id', 'p.repository_version_id')
      .select(['v.repository_id', 'v.number'])
      .where('p.pulp_id', '=', dist.publication_id)
      .executeTakeFirst();
    if (row) version = { repositoryId: row.repository_id, number: Number(row.number) };
  } else if (dist.repository_id) {
    const number = await latestVersionNumber(db, dist.repository_id);
    if (number !== null) version = { repositoryId: dist.repository_id, number };
  } else if (dist.repository_version_id) {
    const row = await db
      .selectFrom('repository_version')
      .select(['repository_id', 'number'])
      .where('pulp_id', '=', dist.repository_version_id)
      .executeTakeFirst();
    if (row) version = { repositoryId: row.repository_id, number: Number(row.number) };
  }
  let published = dist.publication_id !== null;
  if (!published && version) {
    const pub = await sql<{ one: number }>`SELECT 1 AS one FROM publication p JOIN repository_version v
      ON v.pulp_id = p.repository_version_id WHERE v.repository_id = ${version.repositoryId}
      AND v.number = ${version.number} AND p.complete AND p.pulp_type = ${DISTRIBUTION_TYPE} LIMIT 1`.execute(db);
    published = pub.rows.length > 0;
  }
  return {
    distributionId: dist.pulp_id,
    basePath: dist.base_path,
    allowUploads: dist.detail.allow_uploads !== false,
    repositoryId: dist.repository_id,
    remoteId: dist.remote_id,
    publicationId: dist.publication_id,
    version,
    published,
  };
}

/** Packages of the served version, optionally of one project (PEP 503 name). */
export async function indexPackages(
  db: Services['db'],
  index: PythonIndex,
  project?: string,
): Promise<PythonPackageRow[]> {
  if (!index.version) return [];
  const inVersion = contentInVersion('p.content_id', index.version.repositoryId, index.version.number);
  const where =
    project === undefined ? inVersion : sql`${inVersion} AND p.name_normalized = ${canonicalizeName(project)}`;
  const rows = await selectPackages(db as never, sql`${where} ORDER BY p.name_normalized, p.filename`);
  return rows;
}

/** Project names of the served version, one per PEP 503 name, sorted by it. */
export async function indexProjectNames(db: Services['db'], index: PythonIndex): Promise<string[]> {
  if (!index.version) return [];
  const { rows } = await sql<{
    name: string;
  }>`SELECT DISTINCT ON (p.name_normalized) p.name FROM python_package_content p
    WHERE ${contentInVersion('p.content_id', index.version.repositoryId, index.version.number)}
    ORDER BY p.name_normalized, p.name`.execute(db);
  return rows.map((r) => r.name);
}

/** pulp_python's index summary: projects, releases and files of the served version. */
export async function indexSummary(
  db: Services['db'],
  index: PythonIndex,
): Promise<{ projects: number; releases: number; files: number }> {
  if (!index.version) return { projects: 0, releases: 0, files: 0 };
  const { rows } = await sql<{ projects: string; releases: string; files: string }>`SELECT
      count(DISTINCT p.name_normalized) AS projects, count(DISTINCT (p.name_normalized, p.version)) AS releases, count(*) AS files
    FROM python_package_content p
    WHERE ${contentInVersion('p.content_id', index.version.repositoryId, index.version.number)}`.execute(db);
  const r = rows[0];
  return { projects: Number(r?.projects ?? 0), releases: Number(r?.releases ?? 0), files: Number(r?.files ?? 0) };
}

/** Where files are downloaded: CONTENT_ORIGIN (else PYPI_API_HOSTNAME) + CONTENT_PATH_PREFIX + base path. */
export function contentBaseUrl(settings: Services['settings'], apiHostname: string, basePath: string): string {
  const origin = (settings.CONTENT_ORIGIN ?? apiHostname).replace(/\/+$/, '');
  return `${origin}${settings.CONTENT_PATH_PREFIX}${basePath}/`;
}

export function simpleFileOf(row: PythonPackageRow, baseUrl: string): SimpleFile {
  return {
    filename: row.filename,
    url: `${baseUrl}${encodeURIComponent(row.filename)}`,
    sha256: row.sha256,
    requiresPython: row.requires_python || null,
    metadataSha256: row.metadata_sha256,
    yanked: row.yanked ? (row.yanked_reason ?? true) : false,
    size: Number(row.size),
    uploadTime: formatUploadTime(row.pulp_created),
    version: row.version,
    provenanceUrl: null,
  };
}

export function jsonApiPackageOf(row: PythonPackageRow, baseUrl: string): JsonApiPackage {
  return { row, url: `${baseUrl}${encodeURIComponent(row.filename)}`, md5: null };
}

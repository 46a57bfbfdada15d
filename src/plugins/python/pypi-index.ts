import { sql } from 'kysely';

import { contentInVersion, NotFoundError, type Services } from '../../plugin-api/index.js';
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
  /** That version's pulp_id: a complete version's content never changes, so pages are cached by it. */
  versionId: string | null;
  /** Whether a publication serves this version's simple pages (the API then redirects to the content app). */
  published: boolean;
}

interface IndexRow {
  pulp_id: string;
  base_path: string;
  repository_id: string | null;
  remote_id: string | null;
  publication_id: string | null;
  detail: Record<string, unknown>;
  version_id: string | null;
  version_repository_id: string | null;
  version_number: string | number | null;
  published: boolean;
}

/**
 * The python distribution at `basePath` and the version it serves, as pulp_python's PyPIMixin resolves it:
 * a publication's version first, then the repository's latest, then a pinned repository version. 404 when
 * there is no python distribution there. One round trip: every index request starts here.
 */
export async function findPythonIndex(db: Services['db'], basePath: string): Promise<PythonIndex> {
  const { rows } = await sql<IndexRow>`SELECT d.pulp_id, d.base_path, d.repository_id, d.remote_id, d.publication_id,
      d.detail, v.pulp_id AS version_id, v.repository_id AS version_repository_id, v.number AS version_number,
      (d.publication_id IS NOT NULL OR (v.pulp_id IS NOT NULL AND EXISTS (SELECT 1 FROM publication p
        WHERE p.repository_version_id = v.pulp_id AND p.complete AND p.pulp_type = ${DISTRIBUTION_TYPE}))) AS published
    FROM distribution d
    LEFT JOIN LATERAL (
      SELECT rv.pulp_id, rv.repository_id, rv.number FROM repository_version rv
      WHERE (d.publication_id IS NOT NULL
          AND rv.pulp_id = (SELECT p.repository_version_id FROM publication p WHERE p.pulp_id = d.publication_id))
        OR (d.publication_id IS NULL AND d.repository_id IS NOT NULL AND rv.repository_id = d.repository_id
          AND rv.complete AND rv.number = (SELECT max(x.number) FROM repository_version x
            WHERE x.repository_id = d.repository_id AND x.complete))
        OR (d.publication_id IS NULL AND d.repository_id IS NULL AND rv.pulp_id = d.repository_version_id)
      LIMIT 1
    ) v ON true
    WHERE d.base_path = ${basePath} AND d.pulp_type = ${DISTRIBUTION_TYPE}`.execute(db);
  const dist = rows[0];
  if (!dist) throw new NotFoundError(`No PythonDistribution found for base_path ${basePath}`);
  const version =
    dist.version_repository_id !== null && dist.version_number !== null
      ? { repositoryId: dist.version_repository_id, number: Number(dist.version_number) }
      : null;
  return {
    distributionId: dist.pulp_id,
    basePath: dist.base_path,
    allowUploads: dist.detail.allow_uploads !== false,
    repositoryId: dist.repository_id,
    remoteId: dist.remote_id,
    publicationId: dist.publication_id,
    version,
    versionId: dist.version_id,
    published: dist.published,
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

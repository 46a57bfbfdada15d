import { type Kysely, sql, type Transaction } from 'kysely';

import type { CoreMetadata } from './core-metadata.js';
import type { PythonPackageRow } from './package-row.js';

// The plugin's tables are not in core's DB interface: their queries are SQL templates here, typed by the
// row interfaces (one module, so the column list is written once).
type Db = Kysely<never> | Transaction<never>;
const anyDb = (db: unknown) => db as Kysely<never>;

export const PACKAGE_TYPE = 'python.python';

/** The columns a package row is written with (all but content_id and the generated name_normalized). */
export interface NewPackage extends CoreMetadata {
  filename: string;
  packagetype: string;
  python_version: string;
  sha256: string;
  metadata_sha256: string | null;
  size: number;
  yanked: boolean;
  yanked_reason: string | null;
}

const JSON_COLUMNS = new Set([
  'license_file',
  'classifiers',
  'requires_dist',
  'requires_external',
  'provides_dist',
  'obsoletes_dist',
  'provides_extras',
  'project_urls',
  'dynamic',
]);

export const PACKAGE_COLUMNS: Array<keyof NewPackage> = [
  'filename',
  'packagetype',
  'python_version',
  'sha256',
  'metadata_sha256',
  'size',
  'metadata_version',
  'name',
  'version',
  'summary',
  'description',
  'description_content_type',
  'keywords',
  'home_page',
  'download_url',
  'author',
  'author_email',
  'maintainer',
  'maintainer_email',
  'license',
  'license_expression',
  'license_file',
  'platform',
  'supported_platform',
  'classifiers',
  'requires_dist',
  'requires_python',
  'requires_external',
  'provides_dist',
  'obsoletes_dist',
  'provides_extras',
  'project_url',
  'project_urls',
  'dynamic',
  'yanked',
  'yanked_reason',
];

/** Insert the detail row of a new content unit. */
export async function insertPackageRow(db: Db, contentId: string, p: NewPackage): Promise<void> {
  const values = PACKAGE_COLUMNS.map((c) => (JSON_COLUMNS.has(c) ? sql`${JSON.stringify(p[c])}::jsonb` : sql`${p[c]}`));
  await sql`INSERT INTO python_package_content (content_id, ${sql.join(PACKAGE_COLUMNS.map((c) => sql.ref(c)))})
    VALUES (${contentId}, ${sql.join(values)})`.execute(anyDb(db));
}

/** Packages with their content's creation time; `where` narrows (a SQL condition on `p` and `c`). */
export async function selectPackages(db: Db, where: ReturnType<typeof sql>): Promise<PythonPackageRow[]> {
  const { rows } = await sql<PythonPackageRow>`SELECT p.*, c.pulp_created FROM python_package_content p
    JOIN content c ON c.pulp_id = p.content_id WHERE ${where}`.execute(anyDb(db));
  return rows;
}

export async function packageBySha256(db: Db, sha256: string): Promise<PythonPackageRow | null> {
  return (await selectPackages(db, sql`p.sha256 = ${sha256}`))[0] ?? null;
}

import { type Kysely, sql } from 'kysely';

// pulp_python's PythonPackageContent and PackageProvenance (3.25). Text fields are '' rather than NULL as in
// Pulp; name_normalized is the PEP 503 name, computed by PostgreSQL so no writer can get it wrong. yanked and
// yanked_reason are ours (Pulp does not keep them): what the upstream index said when the file was synced.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(
      `
CREATE TABLE python_package_content (
  content_id uuid PRIMARY KEY REFERENCES content (pulp_id) ON DELETE CASCADE,
  filename text NOT NULL,
  packagetype text NOT NULL,
  python_version text NOT NULL DEFAULT '',
  sha256 text NOT NULL UNIQUE,
  metadata_sha256 text,
  size bigint NOT NULL DEFAULT 0,
  metadata_version text NOT NULL DEFAULT '',
  name text NOT NULL,
  name_normalized text GENERATED ALWAYS AS (lower(regexp_replace(name, '[-_.]+', '-', 'g'))) STORED,
  version text NOT NULL,
  summary text NOT NULL DEFAULT '',
  description text NOT NULL DEFAULT '',
  description_content_type text NOT NULL DEFAULT '',
  keywords text NOT NULL DEFAULT '',
  home_page text NOT NULL DEFAULT '',
  download_url text NOT NULL DEFAULT '',
  author text NOT NULL DEFAULT '',
  author_email text NOT NULL DEFAULT '',
  maintainer text NOT NULL DEFAULT '',
  maintainer_email text NOT NULL DEFAULT '',
  license text NOT NULL DEFAULT '',
  license_expression text NOT NULL DEFAULT '',
  license_file jsonb NOT NULL DEFAULT '[]',
  platform text NOT NULL DEFAULT '',
  supported_platform text NOT NULL DEFAULT '',
  classifiers jsonb NOT NULL DEFAULT '[]',
  requires_dist jsonb NOT NULL DEFAULT '[]',
  requires_python text NOT NULL DEFAULT '',
  requires_external jsonb NOT NULL DEFAULT '[]',
  provides_dist jsonb NOT NULL DEFAULT '[]',
  obsoletes_dist jsonb NOT NULL DEFAULT '[]',
  provides_extras jsonb NOT NULL DEFAULT '[]',
  project_url text NOT NULL DEFAULT '',
  project_urls jsonb NOT NULL DEFAULT '{}',
  dynamic jsonb NOT NULL DEFAULT '[]',
  yanked boolean NOT NULL DEFAULT false,
  yanked_reason text
);
CREATE INDEX python_package_content_filename ON python_package_content (filename);
CREATE INDEX python_package_content_name ON python_package_content (name_normalized, version);

CREATE TABLE python_package_provenance (
  content_id uuid PRIMARY KEY REFERENCES content (pulp_id) ON DELETE CASCADE,
  package_id uuid NOT NULL REFERENCES python_package_content (content_id) ON DELETE CASCADE,
  provenance jsonb NOT NULL,
  sha256 text NOT NULL UNIQUE
);
CREATE INDEX python_package_provenance_package ON python_package_provenance (package_id);
`,
    )
    .execute(db);
}

export async function down(): Promise<void> {
  throw new Error('python/0001_initial cannot be rolled back');
}

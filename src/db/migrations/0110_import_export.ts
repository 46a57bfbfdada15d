import { type Kysely, sql } from 'kysely';

/**
 * Pulp's exporters, exports, importers and imports (pulpcore/app/models/exporter.py, importer.py): one master
 * table per model with `pulp_type` (`core.pulp`, `core.filesystem`), as Pulp's master/detail models.
 * `exported_resource` names what an export wrote (repository versions or a publication).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
CREATE TABLE exporter (
  pulp_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  pulp_created timestamptz NOT NULL DEFAULT clock_timestamp(),
  pulp_last_updated timestamptz NOT NULL DEFAULT clock_timestamp(),
  pulp_type text NOT NULL,
  name text NOT NULL UNIQUE,
  path text NOT NULL,
  method text NOT NULL DEFAULT 'write' CHECK (method IN ('write', 'hardlink', 'symlink')),
  last_export_id uuid
);

CREATE TABLE exporter_repository (
  exporter_id uuid NOT NULL REFERENCES exporter (pulp_id) ON DELETE CASCADE,
  repository_id uuid NOT NULL REFERENCES repository (pulp_id) ON DELETE CASCADE,
  PRIMARY KEY (exporter_id, repository_id)
);
CREATE INDEX exporter_repository_repository ON exporter_repository (repository_id);

CREATE TABLE export (
  pulp_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  pulp_created timestamptz NOT NULL DEFAULT clock_timestamp(),
  pulp_last_updated timestamptz NOT NULL DEFAULT clock_timestamp(),
  exporter_id uuid NOT NULL REFERENCES exporter (pulp_id) ON DELETE CASCADE,
  task_id uuid REFERENCES task (pulp_id) ON DELETE SET NULL,
  params jsonb NOT NULL DEFAULT '{}',
  output_file_info jsonb,
  toc_info jsonb
);
CREATE INDEX export_exporter ON export (exporter_id, pulp_created);
ALTER TABLE exporter ADD FOREIGN KEY (last_export_id) REFERENCES export (pulp_id) ON DELETE SET NULL;

CREATE TABLE exported_resource (
  export_id uuid NOT NULL REFERENCES export (pulp_id) ON DELETE CASCADE,
  repository_version_id uuid REFERENCES repository_version (pulp_id) ON DELETE CASCADE,
  publication_id uuid REFERENCES publication (pulp_id) ON DELETE CASCADE,
  CHECK ((repository_version_id IS NULL) <> (publication_id IS NULL))
);
CREATE INDEX exported_resource_export ON exported_resource (export_id);

CREATE TABLE importer (
  pulp_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  pulp_created timestamptz NOT NULL DEFAULT clock_timestamp(),
  pulp_last_updated timestamptz NOT NULL DEFAULT clock_timestamp(),
  pulp_type text NOT NULL,
  name text NOT NULL UNIQUE,
  repo_mapping jsonb NOT NULL DEFAULT '{}'
);

CREATE TABLE import (
  pulp_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  pulp_created timestamptz NOT NULL DEFAULT clock_timestamp(),
  pulp_last_updated timestamptz NOT NULL DEFAULT clock_timestamp(),
  importer_id uuid NOT NULL REFERENCES importer (pulp_id) ON DELETE CASCADE,
  task_id uuid REFERENCES task (pulp_id) ON DELETE SET NULL,
  params jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX import_importer ON import (importer_id, pulp_created);
`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE import; DROP TABLE importer; DROP TABLE exported_resource;
    ALTER TABLE exporter DROP COLUMN last_export_id; DROP TABLE export; DROP TABLE exporter_repository;
    DROP TABLE exporter;`.execute(db);
}

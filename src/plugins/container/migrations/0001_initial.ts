import { type Kysely, sql } from 'kysely';

/**
 * pulp_container's content model (app/models.py): blobs, manifests with the blobs and child manifests they
 * name, tags and atomic signatures, each a detail of `content`; namespaces; blob uploads and the content a
 * push has uploaded but not yet tagged ("pending"); the token server's generated key pair.
 * Manifest bytes are kept exactly as received (bytea), since their digest is of those bytes.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(
      `
CREATE TABLE container_blob (
  content_id uuid PRIMARY KEY REFERENCES content (pulp_id) ON DELETE CASCADE,
  digest text NOT NULL UNIQUE
);

CREATE TABLE container_manifest (
  content_id uuid PRIMARY KEY REFERENCES content (pulp_id) ON DELETE CASCADE,
  digest text NOT NULL UNIQUE,
  schema_version integer NOT NULL,
  media_type text NOT NULL,
  type text,
  data bytea NOT NULL,
  annotations jsonb NOT NULL DEFAULT '{}',
  labels jsonb NOT NULL DEFAULT '{}',
  architecture text,
  os text,
  compressed_image_size bigint,
  is_bootable boolean NOT NULL DEFAULT false,
  is_flatpak boolean NOT NULL DEFAULT false,
  config_blob_id uuid REFERENCES container_blob (content_id) ON DELETE CASCADE
);
CREATE INDEX container_manifest_config_blob ON container_manifest (config_blob_id);

CREATE TABLE container_blob_manifest (
  manifest_id uuid NOT NULL REFERENCES container_manifest (content_id) ON DELETE CASCADE,
  blob_id uuid NOT NULL REFERENCES container_blob (content_id) ON DELETE CASCADE,
  PRIMARY KEY (manifest_id, blob_id)
);
CREATE INDEX container_blob_manifest_blob ON container_blob_manifest (blob_id);

-- One row per entry of a manifest list or index: list_id lists manifest_id for the platform given.
CREATE TABLE container_manifest_list_manifest (
  list_id uuid NOT NULL REFERENCES container_manifest (content_id) ON DELETE CASCADE,
  manifest_id uuid NOT NULL REFERENCES container_manifest (content_id) ON DELETE CASCADE,
  architecture text NOT NULL DEFAULT '',
  os text NOT NULL DEFAULT '',
  os_version text NOT NULL DEFAULT '',
  os_features text NOT NULL DEFAULT '',
  features text NOT NULL DEFAULT '',
  variant text NOT NULL DEFAULT '',
  PRIMARY KEY (list_id, manifest_id)
);
CREATE INDEX container_manifest_list_manifest_child ON container_manifest_list_manifest (manifest_id);

CREATE TABLE container_tag (
  content_id uuid PRIMARY KEY REFERENCES content (pulp_id) ON DELETE CASCADE,
  name text NOT NULL,
  tagged_manifest_id uuid NOT NULL REFERENCES container_manifest (content_id) ON DELETE CASCADE,
  UNIQUE (name, tagged_manifest_id)
);
CREATE INDEX container_tag_manifest ON container_tag (tagged_manifest_id);

CREATE TABLE container_manifest_signature (
  content_id uuid PRIMARY KEY REFERENCES content (pulp_id) ON DELETE CASCADE,
  name text NOT NULL,
  digest text NOT NULL UNIQUE,
  type text NOT NULL,
  key_id text NOT NULL,
  timestamp bigint NOT NULL,
  creator text NOT NULL DEFAULT '',
  data text NOT NULL,
  signed_manifest_id uuid NOT NULL REFERENCES container_manifest (content_id) ON DELETE CASCADE
);
CREATE INDEX container_manifest_signature_name ON container_manifest_signature (name);
CREATE INDEX container_manifest_signature_key ON container_manifest_signature (key_id);
CREATE INDEX container_manifest_signature_manifest ON container_manifest_signature (signed_manifest_id);

CREATE TABLE container_namespace (
  pulp_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  pulp_created timestamptz NOT NULL DEFAULT clock_timestamp(),
  pulp_last_updated timestamptz NOT NULL DEFAULT clock_timestamp(),
  name text NOT NULL UNIQUE
);

-- Blobs and listed manifests a push uploaded to a repository before the manifest that tags them.
CREATE TABLE container_pending_blob (
  repository_id uuid NOT NULL REFERENCES repository (pulp_id) ON DELETE CASCADE,
  blob_id uuid NOT NULL REFERENCES container_blob (content_id) ON DELETE CASCADE,
  pulp_created timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (repository_id, blob_id)
);
CREATE INDEX container_pending_blob_blob ON container_pending_blob (blob_id);
CREATE TABLE container_pending_manifest (
  repository_id uuid NOT NULL REFERENCES repository (pulp_id) ON DELETE CASCADE,
  manifest_id uuid NOT NULL REFERENCES container_manifest (content_id) ON DELETE CASCADE,
  pulp_created timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (repository_id, manifest_id)
);
CREATE INDEX container_pending_manifest_manifest ON container_pending_manifest (manifest_id);

-- A blob upload in progress; the bytes received so far are in a temporary file of the storage.
CREATE TABLE container_upload (
  pulp_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  pulp_created timestamptz NOT NULL DEFAULT clock_timestamp(),
  pulp_last_updated timestamptz NOT NULL DEFAULT clock_timestamp(),
  repository_id uuid NOT NULL REFERENCES repository (pulp_id) ON DELETE CASCADE,
  size bigint NOT NULL DEFAULT 0,
  -- Set while a request appends to the upload: one writer at a time; a stale claim (a crashed process) expires.
  busy_since timestamptz
);
CREATE INDEX container_upload_repository ON container_upload (repository_id);

-- The token server's key pair when none is configured (PRIVATE_KEY_PATH/PUBLIC_KEY_PATH): generated by the
-- first process that needs it, then shared by every API process.
CREATE TABLE container_token_key (
  algorithm text PRIMARY KEY,
  private_key text NOT NULL,
  public_key text NOT NULL,
  pulp_created timestamptz NOT NULL DEFAULT clock_timestamp()
);
`,
    )
    .execute(db);
}

export async function down(): Promise<void> {
  throw new Error('container/0001_initial cannot be rolled back');
}

import { type Kysely, sql } from 'kysely';

/**
 * The core schema, following Pulp's data model. Timestamps come from the database clock
 * (clock_timestamp(), so two rows of one transaction still differ) and never from a process's clock.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(
      `
CREATE TABLE app_status (
  pulp_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  pulp_created timestamptz NOT NULL DEFAULT clock_timestamp(),
  pulp_last_updated timestamptz NOT NULL DEFAULT clock_timestamp(),
  name text NOT NULL UNIQUE,
  app_type text NOT NULL CHECK (app_type IN ('api', 'content', 'worker')),
  last_heartbeat timestamptz NOT NULL DEFAULT clock_timestamp(),
  versions jsonb NOT NULL DEFAULT '{}',
  pid integer,
  hostname text,
  stopped_at timestamptz
);
CREATE INDEX app_status_type_heartbeat ON app_status (app_type, last_heartbeat);

CREATE TABLE task_group (
  pulp_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  pulp_created timestamptz NOT NULL DEFAULT clock_timestamp(),
  pulp_last_updated timestamptz NOT NULL DEFAULT clock_timestamp(),
  description text NOT NULL DEFAULT '',
  all_tasks_dispatched boolean NOT NULL DEFAULT false
);

CREATE TABLE task (
  pulp_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  pulp_created timestamptz NOT NULL DEFAULT clock_timestamp(),
  pulp_last_updated timestamptz NOT NULL DEFAULT clock_timestamp(),
  state text NOT NULL DEFAULT 'waiting'
    CHECK (state IN ('waiting', 'running', 'completed', 'failed', 'canceled', 'canceling')),
  name text NOT NULL,
  logging_cid text NOT NULL DEFAULT '',
  args jsonb NOT NULL DEFAULT '{}',
  unblocked_at timestamptz,
  started_at timestamptz,
  finished_at timestamptz,
  error jsonb,
  result jsonb,
  worker_id uuid REFERENCES app_status (pulp_id) ON DELETE SET NULL,
  parent_task_id uuid REFERENCES task (pulp_id) ON DELETE SET NULL,
  task_group_id uuid REFERENCES task_group (pulp_id) ON DELETE SET NULL,
  reserved_resources_record text[] NOT NULL DEFAULT '{}',
  exclusive_resources text[] NOT NULL DEFAULT '{}',
  shared_resources text[] NOT NULL DEFAULT '{}',
  created_resources text[] NOT NULL DEFAULT '{}',
  immediate boolean NOT NULL DEFAULT false,
  deferred boolean NOT NULL DEFAULT true,
  user_id integer
);
CREATE INDEX task_state_created ON task (state, pulp_created);
CREATE INDEX task_unfinished ON task (pulp_created) WHERE state IN ('waiting', 'running', 'canceling');
CREATE INDEX task_parent ON task (parent_task_id);
CREATE INDEX task_group_idx ON task (task_group_id);
CREATE INDEX task_worker ON task (worker_id) WHERE state IN ('running', 'canceling');
CREATE INDEX task_name ON task (name);

CREATE TABLE progress_report (
  pulp_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  pulp_created timestamptz NOT NULL DEFAULT clock_timestamp(),
  pulp_last_updated timestamptz NOT NULL DEFAULT clock_timestamp(),
  task_id uuid NOT NULL REFERENCES task (pulp_id) ON DELETE CASCADE,
  message text NOT NULL,
  code text NOT NULL,
  state text NOT NULL DEFAULT 'waiting',
  total integer,
  done integer NOT NULL DEFAULT 0,
  suffix text,
  UNIQUE (task_id, code, suffix)
);

CREATE TABLE auth_user (
  id serial PRIMARY KEY,
  username text NOT NULL UNIQUE,
  password text NOT NULL DEFAULT '',
  first_name text NOT NULL DEFAULT '',
  last_name text NOT NULL DEFAULT '',
  email text NOT NULL DEFAULT '',
  is_staff boolean NOT NULL DEFAULT false,
  is_active boolean NOT NULL DEFAULT true,
  is_superuser boolean NOT NULL DEFAULT false,
  date_joined timestamptz NOT NULL DEFAULT clock_timestamp(),
  last_login timestamptz
);

CREATE TABLE artifact (
  pulp_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  pulp_created timestamptz NOT NULL DEFAULT clock_timestamp(),
  pulp_last_updated timestamptz NOT NULL DEFAULT clock_timestamp(),
  file text NOT NULL,
  size bigint NOT NULL,
  md5 text,
  sha1 text,
  sha224 text,
  sha256 text NOT NULL UNIQUE,
  sha384 text,
  sha512 text,
  timestamp_of_interest timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX artifact_md5 ON artifact (md5);
CREATE INDEX artifact_sha1 ON artifact (sha1);
CREATE INDEX artifact_sha224 ON artifact (sha224);
CREATE INDEX artifact_sha384 ON artifact (sha384);
CREATE INDEX artifact_sha512 ON artifact (sha512);

CREATE TABLE upload (
  pulp_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  pulp_created timestamptz NOT NULL DEFAULT clock_timestamp(),
  pulp_last_updated timestamptz NOT NULL DEFAULT clock_timestamp(),
  size bigint NOT NULL,
  user_id integer
);

CREATE TABLE upload_chunk (
  pulp_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  pulp_created timestamptz NOT NULL DEFAULT clock_timestamp(),
  pulp_last_updated timestamptz NOT NULL DEFAULT clock_timestamp(),
  upload_id uuid NOT NULL REFERENCES upload (pulp_id) ON DELETE CASCADE,
  "offset" bigint NOT NULL,
  size bigint NOT NULL,
  file text NOT NULL,
  UNIQUE (upload_id, "offset")
);

CREATE TABLE content (
  pulp_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  pulp_created timestamptz NOT NULL DEFAULT clock_timestamp(),
  pulp_last_updated timestamptz NOT NULL DEFAULT clock_timestamp(),
  pulp_type text NOT NULL,
  pulp_labels jsonb NOT NULL DEFAULT '{}',
  upstream_id text,
  timestamp_of_interest timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX content_type ON content (pulp_type);

CREATE TABLE content_artifact (
  pulp_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  pulp_created timestamptz NOT NULL DEFAULT clock_timestamp(),
  pulp_last_updated timestamptz NOT NULL DEFAULT clock_timestamp(),
  content_id uuid NOT NULL REFERENCES content (pulp_id) ON DELETE CASCADE,
  artifact_id uuid REFERENCES artifact (pulp_id) ON DELETE RESTRICT,
  relative_path text NOT NULL,
  UNIQUE (content_id, relative_path)
);
CREATE INDEX content_artifact_artifact ON content_artifact (artifact_id);

CREATE TABLE remote (
  pulp_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  pulp_created timestamptz NOT NULL DEFAULT clock_timestamp(),
  pulp_last_updated timestamptz NOT NULL DEFAULT clock_timestamp(),
  pulp_type text NOT NULL,
  name text NOT NULL UNIQUE,
  url text NOT NULL,
  ca_cert text,
  client_cert text,
  client_key text,
  tls_validation boolean NOT NULL DEFAULT true,
  username text,
  password text,
  proxy_url text,
  proxy_username text,
  proxy_password text,
  download_concurrency integer,
  max_retries integer,
  policy text NOT NULL DEFAULT 'immediate',
  total_timeout double precision,
  connect_timeout double precision,
  sock_connect_timeout double precision,
  sock_read_timeout double precision,
  headers jsonb,
  rate_limit integer,
  pulp_labels jsonb NOT NULL DEFAULT '{}',
  detail jsonb NOT NULL DEFAULT '{}'
);

CREATE TABLE remote_artifact (
  pulp_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  pulp_created timestamptz NOT NULL DEFAULT clock_timestamp(),
  pulp_last_updated timestamptz NOT NULL DEFAULT clock_timestamp(),
  url text NOT NULL,
  size bigint,
  md5 text,
  sha1 text,
  sha224 text,
  sha256 text,
  sha384 text,
  sha512 text,
  content_artifact_id uuid NOT NULL REFERENCES content_artifact (pulp_id) ON DELETE CASCADE,
  remote_id uuid NOT NULL REFERENCES remote (pulp_id) ON DELETE CASCADE,
  failed_at timestamptz,
  UNIQUE (content_artifact_id, remote_id)
);
CREATE INDEX remote_artifact_remote ON remote_artifact (remote_id);

CREATE TABLE repository (
  pulp_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  pulp_created timestamptz NOT NULL DEFAULT clock_timestamp(),
  pulp_last_updated timestamptz NOT NULL DEFAULT clock_timestamp(),
  pulp_type text NOT NULL,
  name text NOT NULL UNIQUE,
  description text,
  next_version integer NOT NULL DEFAULT 0,
  retain_repo_versions integer,
  retain_checkpoints integer,
  user_hidden boolean NOT NULL DEFAULT false,
  remote_id uuid REFERENCES remote (pulp_id) ON DELETE SET NULL,
  pulp_labels jsonb NOT NULL DEFAULT '{}',
  detail jsonb NOT NULL DEFAULT '{}'
);

CREATE TABLE repository_version (
  pulp_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  pulp_created timestamptz NOT NULL DEFAULT clock_timestamp(),
  pulp_last_updated timestamptz NOT NULL DEFAULT clock_timestamp(),
  repository_id uuid NOT NULL REFERENCES repository (pulp_id) ON DELETE CASCADE,
  number integer NOT NULL,
  complete boolean NOT NULL DEFAULT false,
  base_version_id uuid REFERENCES repository_version (pulp_id) ON DELETE SET NULL,
  info jsonb NOT NULL DEFAULT '{}',
  UNIQUE (repository_id, number)
);

-- A version's content is a range query: version_added <= n AND (version_removed IS NULL OR version_removed > n).
CREATE TABLE repository_content (
  pulp_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  pulp_created timestamptz NOT NULL DEFAULT clock_timestamp(),
  pulp_last_updated timestamptz NOT NULL DEFAULT clock_timestamp(),
  repository_id uuid NOT NULL REFERENCES repository (pulp_id) ON DELETE CASCADE,
  content_id uuid NOT NULL REFERENCES content (pulp_id) ON DELETE RESTRICT,
  version_added integer NOT NULL,
  version_removed integer
);
CREATE INDEX repository_content_range ON repository_content (repository_id, version_added, version_removed);
CREATE INDEX repository_content_content ON repository_content (content_id);
CREATE UNIQUE INDEX repository_content_present ON repository_content (repository_id, content_id)
  WHERE version_removed IS NULL;

CREATE TABLE content_guard (
  pulp_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  pulp_created timestamptz NOT NULL DEFAULT clock_timestamp(),
  pulp_last_updated timestamptz NOT NULL DEFAULT clock_timestamp(),
  pulp_type text NOT NULL,
  name text NOT NULL UNIQUE,
  description text,
  detail jsonb NOT NULL DEFAULT '{}'
);

CREATE TABLE publication (
  pulp_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  pulp_created timestamptz NOT NULL DEFAULT clock_timestamp(),
  pulp_last_updated timestamptz NOT NULL DEFAULT clock_timestamp(),
  pulp_type text NOT NULL,
  repository_version_id uuid NOT NULL REFERENCES repository_version (pulp_id) ON DELETE CASCADE,
  complete boolean NOT NULL DEFAULT false,
  pass_through boolean NOT NULL DEFAULT false,
  checkpoint boolean NOT NULL DEFAULT false,
  detail jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX publication_version ON publication (repository_version_id);

CREATE TABLE published_artifact (
  pulp_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  pulp_created timestamptz NOT NULL DEFAULT clock_timestamp(),
  pulp_last_updated timestamptz NOT NULL DEFAULT clock_timestamp(),
  publication_id uuid NOT NULL REFERENCES publication (pulp_id) ON DELETE CASCADE,
  content_artifact_id uuid NOT NULL REFERENCES content_artifact (pulp_id) ON DELETE CASCADE,
  relative_path text NOT NULL,
  UNIQUE (publication_id, relative_path)
);

-- Files a publication generates itself (PULP_MANIFEST, repodata, ...), stored as artifacts.
CREATE TABLE published_metadata (
  pulp_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  pulp_created timestamptz NOT NULL DEFAULT clock_timestamp(),
  pulp_last_updated timestamptz NOT NULL DEFAULT clock_timestamp(),
  publication_id uuid NOT NULL REFERENCES publication (pulp_id) ON DELETE CASCADE,
  artifact_id uuid NOT NULL REFERENCES artifact (pulp_id) ON DELETE RESTRICT,
  relative_path text NOT NULL,
  UNIQUE (publication_id, relative_path)
);

CREATE TABLE distribution (
  pulp_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  pulp_created timestamptz NOT NULL DEFAULT clock_timestamp(),
  pulp_last_updated timestamptz NOT NULL DEFAULT clock_timestamp(),
  pulp_type text NOT NULL,
  name text NOT NULL UNIQUE,
  base_path text NOT NULL UNIQUE,
  pulp_labels jsonb NOT NULL DEFAULT '{}',
  hidden boolean NOT NULL DEFAULT false,
  content_guard_id uuid REFERENCES content_guard (pulp_id) ON DELETE SET NULL,
  repository_id uuid REFERENCES repository (pulp_id) ON DELETE SET NULL,
  repository_version_id uuid REFERENCES repository_version (pulp_id) ON DELETE SET NULL,
  publication_id uuid REFERENCES publication (pulp_id) ON DELETE SET NULL,
  remote_id uuid REFERENCES remote (pulp_id) ON DELETE SET NULL,
  detail jsonb NOT NULL DEFAULT '{}'
);

-- Bumped by every change that can alter what the content app serves; content apps LISTEN for it.
CREATE TABLE content_serial (
  id integer PRIMARY KEY CHECK (id = 1),
  serial bigint NOT NULL
);
INSERT INTO content_serial (id, serial) VALUES (1, 0);
`,
    )
    .execute(db);
}

export async function down(): Promise<void> {
  throw new Error('The core schema cannot be rolled back');
}

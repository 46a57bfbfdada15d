import { type Kysely, sql } from 'kysely';

/**
 * Authorization: groups, roles (named permission sets), their assignments to users and groups (globally or
 * on one object), access policies per viewset, API sessions, and the secret that signs content-redirect
 * URLs when SECRET_KEY is not set. Built-in roles and policies are upserted by the API at start
 * (api/rbac/seed.ts), so that a new version can ship new ones without a migration.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(
      `
CREATE TABLE auth_group (
  id serial PRIMARY KEY,
  name text NOT NULL UNIQUE
);

CREATE TABLE auth_user_groups (
  id serial PRIMARY KEY,
  user_id integer NOT NULL REFERENCES auth_user (id) ON DELETE CASCADE,
  group_id integer NOT NULL REFERENCES auth_group (id) ON DELETE CASCADE,
  UNIQUE (user_id, group_id)
);
CREATE INDEX auth_user_groups_group ON auth_user_groups (group_id);

CREATE TABLE core_role (
  pulp_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  pulp_created timestamptz NOT NULL DEFAULT clock_timestamp(),
  pulp_last_updated timestamptz NOT NULL DEFAULT clock_timestamp(),
  name text NOT NULL UNIQUE,
  description text,
  locked boolean NOT NULL DEFAULT false,
  -- app_label.codename, e.g. file.view_filerepository
  permissions text[] NOT NULL DEFAULT '{}'
);

-- content_type is the model label (file.filerepository) and object_id the object's pk as text;
-- both NULL for a global (model-wide) assignment.
CREATE TABLE core_userrole (
  pulp_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  pulp_created timestamptz NOT NULL DEFAULT clock_timestamp(),
  pulp_last_updated timestamptz NOT NULL DEFAULT clock_timestamp(),
  user_id integer NOT NULL REFERENCES auth_user (id) ON DELETE CASCADE,
  role_id uuid NOT NULL REFERENCES core_role (pulp_id) ON DELETE CASCADE,
  content_type text,
  object_id text,
  CHECK ((content_type IS NULL) = (object_id IS NULL))
);
CREATE UNIQUE INDEX core_userrole_unique ON core_userrole (user_id, role_id, coalesce(object_id, ''));
CREATE INDEX core_userrole_object ON core_userrole (object_id);

CREATE TABLE core_grouprole (
  pulp_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  pulp_created timestamptz NOT NULL DEFAULT clock_timestamp(),
  pulp_last_updated timestamptz NOT NULL DEFAULT clock_timestamp(),
  group_id integer NOT NULL REFERENCES auth_group (id) ON DELETE CASCADE,
  role_id uuid NOT NULL REFERENCES core_role (pulp_id) ON DELETE CASCADE,
  content_type text,
  object_id text,
  CHECK ((content_type IS NULL) = (object_id IS NULL))
);
CREATE UNIQUE INDEX core_grouprole_unique ON core_grouprole (group_id, role_id, coalesce(object_id, ''));
CREATE INDEX core_grouprole_object ON core_grouprole (object_id);

CREATE TABLE core_accesspolicy (
  pulp_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  pulp_created timestamptz NOT NULL DEFAULT clock_timestamp(),
  pulp_last_updated timestamptz NOT NULL DEFAULT clock_timestamp(),
  viewset_name text NOT NULL UNIQUE,
  statements jsonb NOT NULL,
  creation_hooks jsonb NOT NULL DEFAULT '[]',
  queryset_scoping jsonb,
  customized boolean NOT NULL DEFAULT false
);

-- Only a hash of the session key is stored: a database dump does not hand out live sessions.
CREATE TABLE core_session (
  key_hash text PRIMARY KEY,
  user_id integer NOT NULL REFERENCES auth_user (id) ON DELETE CASCADE,
  csrf_token text NOT NULL,
  expire_date timestamptz NOT NULL
);
CREATE INDEX core_session_user ON core_session (user_id);

CREATE TABLE core_secret (
  id integer PRIMARY KEY CHECK (id = 1),
  value text NOT NULL
);
INSERT INTO core_secret (id, value)
  VALUES (1, replace(gen_random_uuid()::text || gen_random_uuid()::text || gen_random_uuid()::text, '-', ''));
`,
    )
    .execute(db);
}

export async function down(): Promise<void> {
  throw new Error('The RBAC schema cannot be rolled back');
}

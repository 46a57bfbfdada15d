import { type Kysely, sql } from 'kysely';

/**
 * Pulp's UpstreamPulp: another Pulp whose distributions `replicate/` mirrors here. `policy` says which local
 * objects a replication may remove (all, only those it labeled, none); `last_replication` is the start of the
 * last replication whose tasks all completed.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
CREATE TABLE upstream_pulp (
  pulp_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  pulp_created timestamptz NOT NULL DEFAULT clock_timestamp(),
  pulp_last_updated timestamptz NOT NULL DEFAULT clock_timestamp(),
  name text NOT NULL UNIQUE,
  base_url text NOT NULL,
  api_root text NOT NULL DEFAULT 'pulp',
  domain text,
  ca_cert text,
  client_cert text,
  client_key text,
  tls_validation boolean NOT NULL DEFAULT true,
  username text,
  password text,
  q_select text,
  policy text NOT NULL DEFAULT 'all' CHECK (policy IN ('all', 'labeled', 'nodelete')),
  last_replication timestamptz
);
`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE upstream_pulp;`.execute(db);
}

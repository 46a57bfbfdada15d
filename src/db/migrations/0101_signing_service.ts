import { type Kysely, sql } from 'kysely';

/** Pulp's SigningService (immutable rows written by `pulpcore-manager add-signing-service`). */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
CREATE TABLE signing_service (
  pulp_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  pulp_created timestamptz NOT NULL DEFAULT clock_timestamp(),
  pulp_last_updated timestamptz NOT NULL DEFAULT clock_timestamp(),
  pulp_type text NOT NULL,
  name text NOT NULL UNIQUE,
  public_key text NOT NULL,
  pubkey_fingerprint text NOT NULL,
  script text NOT NULL
);
`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE signing_service;`.execute(db);
}

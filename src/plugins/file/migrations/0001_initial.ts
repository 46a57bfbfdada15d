import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(
      `
CREATE TABLE file_content (
  content_id uuid PRIMARY KEY REFERENCES content (pulp_id) ON DELETE CASCADE,
  relative_path text NOT NULL,
  digest text NOT NULL,
  UNIQUE (relative_path, digest)
);
CREATE INDEX file_content_digest ON file_content (digest);
`,
    )
    .execute(db);
}

export async function down(): Promise<void> {
  throw new Error('file/0001_initial cannot be rolled back');
}

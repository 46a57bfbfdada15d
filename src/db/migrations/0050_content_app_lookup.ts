import { type Kysely, sql } from 'kysely';

/**
 * Indexes the content app needs so that resolving a path costs the same at 1,000 and 1,000,000 units:
 * content artifacts by relative path (pass-through publications and versions), and byte-wise prefix scans
 * (text_pattern_ops, independent of the database collation) for directory listings.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
CREATE INDEX content_artifact_relative_path ON content_artifact (relative_path text_pattern_ops);
CREATE INDEX published_artifact_path_prefix ON published_artifact (publication_id, relative_path text_pattern_ops);
CREATE INDEX published_metadata_path_prefix ON published_metadata (publication_id, relative_path text_pattern_ops);
`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
DROP INDEX content_artifact_relative_path;
DROP INDEX published_artifact_path_prefix;
DROP INDEX published_metadata_path_prefix;
`.execute(db);
}

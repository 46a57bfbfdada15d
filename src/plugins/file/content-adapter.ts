import { sql, type Transaction } from 'kysely';
import type { ContentTypeAdapter, Database, DB } from '../../plugin-api/index.js';

/** A `file.file` unit: its natural key is (relative_path, digest). */
export interface FileUnit {
  relativePath: string;
  digest: string;
}

const key = (u: FileUnit) => `${u.relativePath}\n${u.digest}`;

/** How the sync pipeline finds and stores `file.file` units (one query per batch). */
export const fileContentAdapter: ContentTypeAdapter<FileUnit> = {
  pulpType: 'file.file',
  naturalKey: key,
  async findExisting(db: Database | Transaction<DB>, units: FileUnit[]) {
    const out = new Map<string, string>();
    if (units.length === 0) return out;
    const rows = await sql<{ content_id: string; relative_path: string; digest: string }>`
      SELECT f.content_id::text, f.relative_path, f.digest FROM file_content f
      JOIN unnest(${units.map((u) => u.relativePath)}::text[], ${units.map((u) => u.digest)}::text[]) AS v(p, d)
        ON f.relative_path = v.p AND f.digest = v.d`.execute(db);
    for (const r of rows.rows) out.set(`${r.relative_path}\n${r.digest}`, r.content_id);
    return out;
  },
  async insertDetails(trx, rows) {
    const inserted = await sql<{ relative_path: string; digest: string }>`
      INSERT INTO file_content (content_id, relative_path, digest)
      SELECT * FROM unnest(${rows.map((r) => r.contentId)}::uuid[], ${rows.map((r) => r.unit.relativePath)}::text[],
        ${rows.map((r) => r.unit.digest)}::text[])
      ON CONFLICT (relative_path, digest) DO NOTHING RETURNING relative_path, digest`.execute(trx);
    const ok = new Set(inserted.rows.map((r) => `${r.relative_path}\n${r.digest}`));
    return new Set(rows.map((r) => key(r.unit)).filter((k) => !ok.has(k)));
  },
};

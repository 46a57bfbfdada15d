import { sql, type Transaction } from 'kysely';

import type { ContentTypeAdapter, Database, DB } from '../../plugin-api/index.js';
import { type NewPackage, PACKAGE_COLUMNS, PACKAGE_TYPE } from './package-rows.js';

const JSON_COLUMNS = new Set<keyof NewPackage>([
  'license_file',
  'classifiers',
  'requires_dist',
  'requires_external',
  'provides_dist',
  'obsoletes_dist',
  'provides_extras',
  'project_urls',
  'dynamic',
]);
const INT_COLUMNS = new Set<keyof NewPackage>(['size']);
const BOOL_COLUMNS = new Set<keyof NewPackage>(['yanked']);

/** How the sync pipeline finds and stores `python.python` units: keyed by sha256, one query per batch. */
export const packageContentAdapter: ContentTypeAdapter<NewPackage> = {
  pulpType: PACKAGE_TYPE,
  naturalKey: (u) => u.sha256,
  async findExisting(db: Database | Transaction<DB>, units: NewPackage[]) {
    const out = new Map<string, string>();
    if (units.length === 0) return out;
    const { rows } = await sql<{ content_id: string; sha256: string }>`
      SELECT content_id::text, sha256 FROM python_package_content WHERE sha256 = ANY(${units.map((u) => u.sha256)}::text[])`.execute(
      db,
    );
    for (const r of rows) out.set(r.sha256, r.content_id);
    return out;
  },
  async insertDetails(trx, rows) {
    // One INSERT ... SELECT FROM unnest(...) of column arrays: a batch of 500 is one round trip.
    const arrays = PACKAGE_COLUMNS.map((c) => {
      const values = rows.map((r) => {
        const v = r.unit[c];
        return JSON_COLUMNS.has(c) ? JSON.stringify(v) : v;
      });
      const type = JSON_COLUMNS.has(c)
        ? 'jsonb'
        : INT_COLUMNS.has(c)
          ? 'bigint'
          : BOOL_COLUMNS.has(c)
            ? 'boolean'
            : 'text';
      return sql`${values}::${sql.raw(type)}[]`;
    });
    const inserted = await sql<{ sha256: string }>`
      INSERT INTO python_package_content (content_id, ${sql.join(PACKAGE_COLUMNS.map((c) => sql.ref(c)))})
      SELECT * FROM unnest(${rows.map((r) => r.contentId)}::uuid[], ${sql.join(arrays)})
      ON CONFLICT (sha256) DO NOTHING RETURNING sha256`.execute(trx);
    const ok = new Set(inserted.rows.map((r) => r.sha256));
    return new Set(rows.map((r) => r.unit.sha256).filter((k) => !ok.has(k)));
  },
};

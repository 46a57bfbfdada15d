import type { Transaction } from 'kysely';
import { pluginDb, pluginTrx, type Database, type DB } from '../../plugin-api/index.js';

/** The file plugin's own tables (migration file/0001). */
export interface FileTables {
  file_content: {
    content_id: string;
    relative_path: string;
    digest: string;
  };
}

export const fileDb = (db: Database) => pluginDb<FileTables>(db);
export const fileTrx = (trx: Transaction<DB>) => pluginTrx<FileTables>(trx);

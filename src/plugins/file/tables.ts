import type { Generated, Transaction } from 'kysely';
import { pluginDb, pluginTrx, type Database, type DB } from '../../plugin-api/index.js';

/** The file plugin's own tables (migrations file/0001 to 0003). */
export interface FileTables {
  file_content: {
    content_id: string;
    relative_path: string;
    digest: string;
  };
  file_acs: {
    pulp_id: Generated<string>;
    pulp_created: Generated<string>;
    pulp_last_updated: Generated<string>;
    name: string;
    remote_id: string;
    paths: Generated<string[]>;
    last_refreshed: string | null;
  };
  file_acs_path: {
    pulp_id: Generated<string>;
    pulp_created: Generated<string>;
    pulp_last_updated: Generated<string>;
    acs_id: string;
    path: string;
    repository_id: string | null;
  };
}

export const fileDb = (db: Database) => pluginDb<FileTables>(db);
export const fileTrx = (trx: Transaction<DB>) => pluginTrx<FileTables>(trx);

import type { Transaction } from 'kysely';

import { pluginDb, pluginTrx, type Database, type DB } from '../../plugin-api/index.js';
import type { PythonPackageRow } from './package-row.js';

/** The python plugin's own tables (migration python/0001), as Kysely sees them. */
export interface PythonTables {
  python_package_content: Omit<PythonPackageRow, 'pulp_created'> & { name_normalized: string };
}

export const pythonDb = (db: Database) => pluginDb<PythonTables>(db);
export const pythonTrx = (trx: Transaction<DB>) => pluginTrx<PythonTables>(trx);

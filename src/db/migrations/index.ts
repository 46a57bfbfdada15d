import type { Migration } from 'kysely';

import * as m0001 from './0001_core.js';
import * as m0004 from './0004_rbac.js';

/** Core migrations, listed statically so that tsx and a compiled build see the same set. */
export const coreMigrations: Record<string, Migration> = {
  '0001_core': m0001,
  '0004_rbac': m0004,
};

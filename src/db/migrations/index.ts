import type { Migration } from 'kysely';

import * as m0001 from './0001_core.js';

/** Core migrations, listed statically so that tsx and a compiled build see the same set. */
export const coreMigrations: Record<string, Migration> = {
  '0001_core': m0001,
};

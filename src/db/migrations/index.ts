import type { Migration } from 'kysely';

import * as m0001 from './0001_core.js';
import * as m0002 from './0002_tasking.js';
import * as m0004 from './0004_rbac.js';
import * as m0050 from './0050_content_app_lookup.js';
import * as m0060 from './0060_list_indexes.js';
import * as m0100 from './0100_task_diagnostics.js';
import * as m0101 from './0101_signing_service.js';
import * as m0102 from './0102_task_schedule.js';
import * as m0110 from './0110_import_export.js';
import * as m0120 from './0120_group_progress_report.js';
import * as m0300 from './0300_content_invariants.js';
import * as m0400 from './0400_upstream_pulp.js';

/** Core migrations, listed statically so that tsx and a compiled build see the same set. */
export const coreMigrations: Record<string, Migration> = {
  '0001_core': m0001,
  '0002_tasking': m0002,
  '0004_rbac': m0004,
  '0050_content_app_lookup': m0050,
  '0060_list_indexes': m0060,
  '0100_task_diagnostics': m0100,
  '0101_signing_service': m0101,
  '0102_task_schedule': m0102,
  '0110_import_export': m0110,
  '0120_group_progress_report': m0120,
  '0300_content_invariants': m0300,
  '0400_upstream_pulp': m0400,
};

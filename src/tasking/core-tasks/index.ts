import type { TaskFunction } from '../../plugin-api/tasks.js';
import { generalCreate, generalDelete, generalUpdate } from './base.js';
import { fsPublicationExport, fsRepoVersionExport } from '../import-export/fs-export.js';
import { pulpExport } from '../import-export/pulp-export.js';
import { importRepositoryVersion, pulpImport } from '../import-export/pulp-import.js';
import { orphanCleanup } from './orphan.js';
import { reclaimSpace } from './reclaim-space.js';
import { repairAllArtifacts, repairVersion } from './repair.js';
import { addAndRemove, deleteVersion } from './repository.js';
import { commitUpload } from './upload.js';
import {
  FINALIZE_TASK,
  finalizeReplication,
  REPLICATE_TASK,
  replicateDistributions,
} from '../replication/replicate.js';

/** Core task functions by Pulp's dotted name (the task record's `name`, which clients filter on). */
export const coreTasks: Record<string, TaskFunction> = {
  'pulpcore.app.tasks.repository.add_and_remove': addAndRemove,
  'pulpcore.app.tasks.repository.delete_version': deleteVersion,
  'pulpcore.app.tasks.repository.repair_version': repairVersion,
  'pulpcore.app.tasks.repository.repair_all_artifacts': repairAllArtifacts,
  'pulpcore.app.tasks.reclaim_space.reclaim_space': reclaimSpace,
  'pulpcore.app.tasks.base.general_create': generalCreate,
  'pulpcore.app.tasks.base.ageneral_update': generalUpdate,
  'pulpcore.app.tasks.base.ageneral_delete': generalDelete,
  'pulpcore.app.tasks.upload.commit': commitUpload,
  'pulpcore.app.tasks.orphan.orphan_cleanup': orphanCleanup,
  'pulpcore.app.tasks.export.pulp_export': pulpExport,
  'pulpcore.app.tasks.export.fs_publication_export': fsPublicationExport,
  'pulpcore.app.tasks.export.fs_repo_version_export': fsRepoVersionExport,
  'pulpcore.app.tasks.importer.pulp_import': pulpImport,
  'pulpcore.app.tasks.importer.import_repository_version': importRepositoryVersion,
  [REPLICATE_TASK]: replicateDistributions,
  [FINALIZE_TASK]: finalizeReplication,
};

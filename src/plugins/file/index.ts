import { acsComponents, acsOperations } from './acs.js';
import { definePlugin, labelComponents } from '../../plugin-api/index.js';
import { contentComponents, contentOperations, fileContentType } from './content.js';
import { fileDistribution } from './distributions.js';
import * as m0001 from './migrations/0001_initial.js';
import * as m0002 from './migrations/0002_acs.js';
import * as m0003 from './migrations/0003_acs_paths.js';
import { filePublication } from './publications.js';
import { PUBLISH_TASK, publishTask } from './publish-task.js';
import { fileAccessPolicies } from './rbac-policies.js';
import { fileLockedRoles, fileRbacModels } from './rbac.js';
import { fileRemote } from './remotes.js';
import { fileRepository, SYNC_TASK } from './repositories.js';
import { fileReplicator } from './replicator.js';
import { synchronize } from './sync-task.js';

const typed = [fileRemote, fileRepository, filePublication, fileDistribution];

export default definePlugin({
  name: 'file',
  module: 'pulp_file.app',
  migrations: { '0001_initial': m0001, '0002_acs': m0002, '0003_acs_paths': m0003 },
  resourceTypes: [fileContentType, ...typed.map((t) => t.resourceType)],
  tasks: {
    [SYNC_TASK]: synchronize,
    [PUBLISH_TASK]: publishTask,
  },
  operations: () => ({
    operations: [...contentOperations(), ...acsOperations(), ...typed.flatMap((t) => t.operations())],
    components: [...contentComponents, ...acsComponents, ...typed.flatMap((t) => t.components), ...labelComponents],
  }),
  rbac: { models: fileRbacModels, accessPolicies: fileAccessPolicies, roles: fileLockedRoles },
  content: { publicationDistributionTypes: ['file.file'] },
  replicators: [fileReplicator],
});

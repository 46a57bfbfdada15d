import { definePlugin } from '../../plugin-api/index.js';
import { labelComponents } from '../../plugin-api/resource-fields.js';
import * as m0001 from './migrations/0001_initial.js';
import { filePublicationType, publicationComponents, publicationOperations } from './publications.js';
import { PUBLISH_TASK, publishTask } from './publish-task.js';
import { fileRemoteType, remoteComponents, remoteOperations } from './remotes.js';
import { fileRepositoryType, repositoryComponents, repositoryOperations, SYNC_TASK } from './repositories.js';
import { synchronize } from './sync-task.js';

export default definePlugin({
  name: 'file',
  module: 'pulp_file.app',
  migrations: { '0001_initial': m0001 },
  resourceTypes: [fileRemoteType, fileRepositoryType, filePublicationType],
  tasks: {
    [SYNC_TASK]: synchronize,
    [PUBLISH_TASK]: publishTask,
  },
  operations: () => ({
    operations: [...remoteOperations(), ...repositoryOperations(), ...publicationOperations()],
    components: [...remoteComponents, ...repositoryComponents, ...publicationComponents, ...labelComponents],
  }),
});

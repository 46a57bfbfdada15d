import { definePlugin } from '../../plugin-api/index.js';
import { labelComponents } from '../../plugin-api/resource-fields.js';
import { contentComponents, contentOperations, fileContentType } from './content.js';
import { distributionComponents, distributionOperations, fileDistributionType } from './distributions.js';
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
  resourceTypes: [fileContentType, fileRemoteType, fileRepositoryType, filePublicationType, fileDistributionType],
  tasks: {
    [SYNC_TASK]: synchronize,
    [PUBLISH_TASK]: publishTask,
  },
  operations: () => ({
    operations: [
      ...contentOperations(),
      ...remoteOperations(),
      ...repositoryOperations(),
      ...publicationOperations(),
      ...distributionOperations(),
    ],
    components: [
      ...contentComponents,
      ...remoteComponents,
      ...repositoryComponents,
      ...publicationComponents,
      ...distributionComponents,
      ...labelComponents,
    ],
  }),
});

import { definePlugin } from '../../plugin-api/index.js';
import { ADD_AND_REMOVE_TASK, addAndRemove } from './add-remove-task.js';
import { blobContentHandler } from './content-blobs.js';
import * as m0001 from './migrations/0001_initial.js';
import { registryRoutes } from './registry-http.js';
import { containerSettingsSchema } from './registry-settings.js';

/**
 * pulp_container: an OCI registry on the API process (`/v2/`, `/extensions/v2/`, the token server's
 * `/token/`) whose blobs the content app serves at `/pulp/container/<name>/blobs/<digest>`.
 *
 * Advertised as 2.26.16: its pulpcore range (>=3.73.2,<3.100) holds the core version we report (3.90),
 * it names the remote's tag filters `include_tags`/`exclude_tags`, and pulp-cli 0.38.4 asks for >=2.3.0.
 */
export default definePlugin({
  name: 'container',
  module: 'pulp_container.app',
  version: '2.26.16',
  package: 'pulp-container',
  migrations: { '0001_initial': m0001 },
  tasks: { [ADD_AND_REMOVE_TASK]: addAndRemove },
  clientRoutes: (services) => registryRoutes(services),
  content: { handlers: [blobContentHandler] },
  settings: containerSettingsSchema,
});

import { definePlugin } from '../../plugin-api/index.js';
import { x509GuardRoutes } from './x509.js';

export default definePlugin({
  name: 'certguard',
  module: 'pulp_certguard.app',
  operations: () => x509GuardRoutes(),
});

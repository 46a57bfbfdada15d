import { definePlugin, rbacModel } from '../../plugin-api/index.js';
import { x509Guard } from './x509-guard.js';
import { x509GuardRoutes } from './x509.js';

export default definePlugin({
  name: 'certguard',
  module: 'pulp_certguard.app',
  resourceTypes: [
    {
      kind: 'contentguard',
      pulpType: 'certguard.x509',
      endpoint: 'contentguards/certguard/x509',
      prnModel: 'certguard.x509certguard',
      modelName: 'X509CertGuard',
    },
  ],
  operations: () => x509GuardRoutes(),
  guards: [x509Guard],
  // X.509 guards have no access policy in Pulp: admins only.
  rbac: {
    models: [
      rbacModel('certguard.x509certguard', 'X509CertGuard', 'contentguards/certguard/x509', {
        table: 'content_guard',
        pulpType: 'certguard.x509',
      }),
    ],
  },
});

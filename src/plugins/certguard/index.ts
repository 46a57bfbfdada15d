import { definePlugin, rbacModel } from '../../plugin-api/index.js';
import { rhsmGuard } from './rhsm-guard.js';
import { x509Guard } from './x509-guard.js';
import { certGuardRoutes } from './routes.js';

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
    {
      kind: 'contentguard',
      pulpType: 'certguard.rhsm',
      endpoint: 'contentguards/certguard/rhsm',
      prnModel: 'certguard.rhsmcertguard',
      modelName: 'RHSMCertGuard',
    },
  ],
  operations: () => certGuardRoutes(),
  guards: [x509Guard, rhsmGuard],
  // Certificate guards have no access policy in Pulp: admins only.
  rbac: {
    models: [
      rbacModel('certguard.x509certguard', 'X509CertGuard', 'contentguards/certguard/x509', {
        table: 'content_guard',
        pulpType: 'certguard.x509',
      }),
      rbacModel('certguard.rhsmcertguard', 'RHSMCertGuard', 'contentguards/certguard/rhsm', {
        table: 'content_guard',
        pulpType: 'certguard.rhsm',
      }),
    ],
  },
});

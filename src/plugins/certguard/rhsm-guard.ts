import type { GuardTypeDefinition } from '../../plugin-api/index.js';
import { parseCertificates, trustedClientCert } from './client-cert.js';
import { certificateAllowsPath } from './rhsm-paths.js';

/**
 * The content app's check of an RHSM guard (pulp_certguard RHSMCertGuard.permit): the client certificate must
 * chain to the guard's CA bundle, and the requested path (below CONTENT_PATH_PREFIX) must fall under a path the
 * entitlement grants. A certificate that cannot be read denies.
 */
export const rhsmGuard: GuardTypeDefinition = {
  pulpType: 'certguard.rhsm',
  compile(detail) {
    const cas = parseCertificates(typeof detail.ca_certificate === 'string' ? detail.ca_certificate : '');
    return (req) => {
      const value = req.request.headers['x-client-cert'];
      const cert = trustedClientCert(Array.isArray(value) ? value[0] : value, cas);
      if (!cert) return false;
      try {
        return certificateAllowsPath(cert.raw, req.path);
      } catch {
        return false;
      }
    };
  },
};

import type { GuardTypeDefinition } from '../../plugin-api/index.js';
import { isTrustedClientCert, parseCertificates } from './client-cert.js';

/** The content app's check of an X.509 guard: the client certificate must chain to the guard's CA bundle. */
export const x509Guard: GuardTypeDefinition = {
  pulpType: 'certguard.x509',
  compile(detail) {
    const cas = parseCertificates(typeof detail.ca_certificate === 'string' ? detail.ca_certificate : '');
    return (req) => {
      const value = req.request.headers['x-client-cert'];
      return isTrustedClientCert(Array.isArray(value) ? value[0] : value, cas);
    };
  },
};

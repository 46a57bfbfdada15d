import { X509Certificate } from 'node:crypto';

import { Type } from '@sinclair/typebox';

import { contentGuardOperations, ValidationError, type OperationModule } from '../../plugin-api/index.js';

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
/** A CA bundle this large is a mistake or an attack; real bundles are a few hundred KiB at most. */
const MAX_CA_BYTES = 1024 * 1024;

/** The CA bundle must be PEM and every certificate in it must parse (Pulp answers 400 otherwise). */
function validCaCertificate(value: unknown): string {
  const pem = typeof value === 'string' ? value : '';
  if (pem.length > MAX_CA_BYTES) throw new ValidationError({ ca_certificate: ['The CA certificate is too large.'] });
  const blocks = pem.match(PEM_BLOCK) ?? [];
  if (blocks.length === 0) throw new ValidationError({ ca_certificate: ['Must be a PEM encoded X.509 certificate.'] });
  for (const block of blocks) {
    try {
      new X509Certificate(block);
    } catch {
      throw new ValidationError({ ca_certificate: ['Must be a PEM encoded X.509 certificate.'] });
    }
  }
  return pem;
}

/** The two certificate guard types: same fields, different checks in the content app. */
const GUARDS = [
  { type: 'x509', className: 'X509CertGuard', placeholder: 'x509_cert_guard', tag: 'Contentguards: X509' },
  { type: 'rhsm', className: 'RHSMCertGuard', placeholder: 'r_h_s_m_cert_guard', tag: 'Contentguards: Rhsm' },
] as const;

/** `/contentguards/certguard/x509/` and `/contentguards/certguard/rhsm/` (spec 10): synchronous CRUD, no roles. */
export function certGuardRoutes(): OperationModule {
  const modules = GUARDS.map((g) => guardRoutes(g.type, g.className, g.placeholder, g.tag));
  return {
    operations: modules.flatMap((m) => m.operations),
    components: modules.flatMap((m) => m.components ?? []),
  };
}

function guardRoutes(type: string, className: string, placeholder: string, tag: string): OperationModule {
  return contentGuardOperations({
    endpoint: `contentguards/certguard/${type}`,
    pulpType: `certguard.${type}`,
    model: `certguard.${className.toLowerCase()}`,
    className,
    placeholder: `{certguard_${placeholder}_href}`,
    operationId: `contentguards_certguard_${type}`,
    tag,
    component: `certguard.${className}`,
    fields: {
      ca_certificate: Type.String({
        minLength: 1,
        description:
          'A Certificate Authority (CA) certificate (or a bundle thereof) used to verify client-certificate authenticity.',
      }),
    },
    required: ['ca_certificate'],
    detail: async (_ctx, merged) => ({ ca_certificate: validCaCertificate(merged.ca_certificate) }),
    render: async (_ctx, rows) => rows.map((r) => ({ ca_certificate: r.detail.ca_certificate })),
  });
}

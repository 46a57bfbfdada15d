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

/** `/contentguards/certguard/x509/` (spec 10): synchronous CRUD, no roles actions. */
export function x509GuardRoutes(): OperationModule {
  return contentGuardOperations({
    endpoint: 'contentguards/certguard/x509',
    pulpType: 'certguard.x509',
    model: 'certguard.x509certguard',
    className: 'X509CertGuard',
    placeholder: '{certguard_x509_cert_guard_href}',
    operationId: 'contentguards_certguard_x509',
    tag: 'Contentguards: X509',
    component: 'certguard.X509CertGuard',
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

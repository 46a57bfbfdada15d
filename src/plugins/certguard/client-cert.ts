import { X509Certificate } from 'node:crypto';

/** Larger headers are refused before any parsing: a client certificate is a few KiB. */
export const MAX_CLIENT_CERT_BYTES = 64 * 1024;
const MAX_CHAIN = 8;
const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Every certificate of a PEM bundle; throws when there is none or one does not parse. */
export function parseCertificates(pem: string): X509Certificate[] {
  const blocks = pem.match(PEM_BLOCK) ?? [];
  if (blocks.length === 0) throw new Error('no PEM certificate found');
  return blocks.map((b) => new X509Certificate(b));
}

function currentlyValid(cert: X509Certificate, now: number): boolean {
  const from = Date.parse(cert.validFrom);
  const to = Date.parse(cert.validTo);
  return Number.isFinite(from) && Number.isFinite(to) && from <= now && now <= to;
}

function selfSigned(cert: X509Certificate): boolean {
  return cert.checkIssued(cert) && cert.verify(cert.publicKey);
}

/**
 * Whether the client certificate (the `X-CLIENT-CERT` header: a URL-encoded PEM, as a TLS-terminating proxy
 * sets it) chains to a self-signed certificate of the CA bundle, every link signed by the next and valid now,
 * as OpenSSL's store verification does for Pulp's X.509 guard.
 */
export function isTrustedClientCert(header: string | undefined, cas: X509Certificate[], now = Date.now()): boolean {
  return trustedClientCert(header, cas, now) !== null;
}

/** The client certificate of the header when it is trusted (see isTrustedClientCert), else null. */
export function trustedClientCert(
  header: string | undefined,
  cas: X509Certificate[],
  now = Date.now(),
): X509Certificate | null {
  if (!header || header.length > MAX_CLIENT_CERT_BYTES) return null;
  let pem: string;
  try {
    // Python's unquote, as Pulp uses: '+' stays '+' (base64 needs it).
    pem = decodeURIComponent(header);
  } catch {
    return null;
  }
  let cert: X509Certificate;
  try {
    const first = parseCertificates(pem)[0];
    if (!first) return null;
    cert = first;
  } catch {
    return null;
  }
  if (!currentlyValid(cert, now)) return null;
  const client = cert;
  for (let depth = 0; depth < MAX_CHAIN; depth++) {
    const issuer = cas.find(
      (ca) => cert.checkIssued(ca) && ca.ca && cert.verify(ca.publicKey) && currentlyValid(ca, now),
    );
    if (!issuer) return null;
    if (selfSigned(issuer)) return client;
    cert = issuer;
  }
  return null;
}

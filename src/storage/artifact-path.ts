import { ValidationError } from '../core/errors.js';

/** Storage-relative name of an artifact: `artifact/<sha256[0:2]>/<sha256[2:]>`, as Pulp lays it out. */
export function artifactPath(sha256: string): string {
  if (!/^[0-9a-f]{64}$/.test(sha256)) throw new ValidationError({ sha256: ['Invalid sha256 digest.'] });
  return `artifact/${sha256.slice(0, 2)}/${sha256.slice(2)}`;
}

import { createHash, type Hash } from 'node:crypto';

import type { ChecksumName } from './settings.js';

/** Preference order when looking an artifact up by whichever digest is known (Pulp's order). */
export const DIGEST_PREFERENCE: readonly ChecksumName[] = ['sha256', 'sha512', 'sha384', 'sha224', 'sha1', 'md5'];

export type Digests = Partial<Record<ChecksumName, string>> & { sha256: string };

const HEX_LENGTH: Record<ChecksumName, number> = { md5: 32, sha1: 40, sha224: 56, sha256: 64, sha384: 96, sha512: 128 };

export function isHexDigest(name: ChecksumName, value: string): boolean {
  return value.length === HEX_LENGTH[name] && /^[0-9a-f]+$/.test(value);
}

/** Feeds several hashers at once; `digest()` returns every one as lowercase hex. */
export class MultiHasher {
  private readonly hashers: [ChecksumName, Hash][];
  size = 0;
  constructor(names: readonly ChecksumName[]) {
    this.hashers = [...new Set<ChecksumName>([...names, 'sha256'])].map((n) => [n, createHash(n)]);
  }
  update(chunk: Uint8Array): void {
    this.size += chunk.length;
    for (const [, h] of this.hashers) h.update(chunk);
  }
  digest(): Digests {
    const out: Partial<Record<ChecksumName, string>> = {};
    for (const [n, h] of this.hashers) out[n] = h.digest('hex');
    return out as Digests;
  }
}

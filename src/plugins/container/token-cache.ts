import type { ApiUser } from '../../plugin-api/index.js';
import type { VerifiedToken } from './token-verify.js';

/** How long a verified token's answer is reused; a token is never used past its own expiry either way. */
const REUSE_MS = 5_000;
const MAX_ENTRIES = 10_000;

export interface CachedCaller {
  token: VerifiedToken;
  user: ApiUser | null;
}

/**
 * Verified bearer tokens of this process, keyed by the token text with its issuer and audience: a client
 * sends the same token with every request of a pull, and the manifest GET is the registry's hottest path,
 * so the signature check and the user lookup run once per token every few seconds, not per request. An entry
 * lives at most REUSE_MS (a deactivated user is refused again within that time) and never past the token's
 * `exp`. The map is bounded: when full, it is cleared (entries are cheap to rebuild).
 */
export class VerifiedTokenCache {
  private readonly entries = new Map<string, { until: number; value: CachedCaller }>();

  get(key: string, now = Date.now()): CachedCaller | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.until <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return e.value;
  }

  set(key: string, value: CachedCaller, expiresAtMs: number | null, now = Date.now()): void {
    if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
    const until = Math.min(now + REUSE_MS, expiresAtMs ?? Infinity);
    if (until > now) this.entries.set(key, { until, value });
  }
}

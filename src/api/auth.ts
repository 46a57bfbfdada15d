import { createHash } from 'node:crypto';

import { AuthenticationError } from '../core/errors.js';
import { verifyUserPassword } from '../core/passwords.js';
import type { Database } from '../db/database.js';
import type { ApiUser } from '../plugin-api/operations.js';

interface CacheEntry {
  user: ApiUser;
  expires: number;
}

/**
 * HTTP Basic authentication against auth_user. PBKDF2 costs ~0.5 s per check by design, so a verified
 * credential is remembered (keyed by a hash of the header) for a short time; `forget()` drops it early
 * when a user changes.
 */
export class BasicAuthenticator {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly failures = new Map<string, { count: number; since: number }>();

  constructor(
    private readonly db: Database,
    private readonly ttlMs = 30_000,
  ) {}

  async authenticate(header: string | undefined): Promise<ApiUser | null> {
    if (!header) return null;
    const m = /^Basic\s+(\S+)\s*$/i.exec(header);
    if (!m) return null;
    const key = createHash('sha256')
      .update(m[1] as string)
      .digest('hex');
    const hit = this.cache.get(key);
    if (hit && hit.expires > Date.now()) return hit.user;
    const decoded = Buffer.from(m[1] as string, 'base64').toString('utf8');
    const sep = decoded.indexOf(':');
    if (sep < 0) throw new AuthenticationError('Invalid basic header. No credentials provided.');
    const username = decoded.slice(0, sep);
    const password = decoded.slice(sep + 1);
    await this.slowDownAfterFailures(username);
    const row = await this.db
      .selectFrom('auth_user')
      .select(['id', 'username', 'password', 'is_superuser', 'is_staff', 'is_active'])
      .where('username', '=', username)
      .executeTakeFirst();
    const ok = await verifyUserPassword(password, row);
    if (!ok || !row) {
      this.recordFailure(username);
      throw new AuthenticationError('Invalid username/password.');
    }
    this.failures.delete(username);
    const user: ApiUser = { id: row.id, username: row.username, isSuperuser: row.is_superuser, isStaff: row.is_staff };
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(key, { user, expires: Date.now() + this.ttlMs });
    return user;
  }

  /** Drops cached credentials (after a password change, deactivation or deletion). */
  forget(): void {
    this.cache.clear();
  }

  // Beyond Pulp: after many failures for one username, each attempt waits a little longer (never a lockout).
  private async slowDownAfterFailures(username: string): Promise<void> {
    const f = this.failures.get(username);
    if (!f || f.count < 20) return;
    const delay = Math.min(2000, (f.count - 19) * 100);
    await new Promise((r) => setTimeout(r, delay));
  }

  private recordFailure(username: string): void {
    const now = Date.now();
    const f = this.failures.get(username);
    if (!f || now - f.since > 15 * 60_000) this.failures.set(username, { count: 1, since: now });
    else f.count += 1;
    if (this.failures.size > 10_000) this.failures.clear();
  }
}

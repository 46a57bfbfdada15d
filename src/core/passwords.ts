import { pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const pbkdf2Async = promisify(pbkdf2);

/** Django's default work factor for pbkdf2_sha256 (Django 5.1). */
export const DEFAULT_ITERATIONS = 870_000;

/** Hashes a password in Django's `pbkdf2_sha256$<iterations>$<salt>$<base64 hash>` format. */
export async function hashPassword(password: string, iterations = DEFAULT_ITERATIONS): Promise<string> {
  const salt = randomBytes(16).toString('base64url').slice(0, 22);
  const hash = await pbkdf2Async(password, salt, iterations, 32, 'sha256');
  return `pbkdf2_sha256$${iterations}$${salt}$${hash.toString('base64')}`;
}

/** Checks a password against a Django pbkdf2_sha256 hash; any other format never matches. */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const parts = encoded.split('$');
  if (parts.length !== 4 || parts[0] !== 'pbkdf2_sha256') return false;
  const iterations = Number(parts[1]);
  if (!Number.isInteger(iterations) || iterations < 1 || iterations > 10_000_000) return false;
  const expected = Buffer.from(parts[3] ?? '', 'base64');
  if (expected.length === 0) return false;
  const actual = await pbkdf2Async(password, parts[2] ?? '', iterations, expected.length, 'sha256');
  return timingSafeEqual(actual, expected);
}

export function randomPassword(): string {
  return randomBytes(18).toString('base64url');
}

let dummyHash: Promise<string> | null = null;

/**
 * Checks a login: false unless the user exists, is active and the password matches. A missing or inactive
 * user, or an unusable stored hash, is checked against a dummy hash of the default cost all the same, so an
 * answer takes as long for an unknown username as for a wrong password (no username enumeration by timing).
 */
export async function verifyUserPassword(
  password: string,
  user: { password: string; is_active: boolean } | undefined,
): Promise<boolean> {
  const usable = user !== undefined && user.is_active && user.password.startsWith('pbkdf2_sha256$');
  if (usable) return verifyPassword(password, user.password);
  dummyHash ??= hashPassword(randomPassword());
  await verifyPassword(password, await dummyHash);
  return false;
}

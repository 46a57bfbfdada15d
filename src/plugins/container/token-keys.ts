import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';

import { sql } from 'kysely';

import { ConfigurationError, type Services } from '../../plugin-api/index.js';
import { TOKEN_ALGORITHMS } from './registry-settings.js';

type Db = Services['db'];

export interface TokenKeyPair {
  algorithm: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** libtrust key id of the public key, sent as the token's `kid` header. */
  kid: string;
}

const CURVES: Record<string, string> = { ES256: 'prime256v1', ES384: 'secp384r1', ES512: 'secp521r1' };

/**
 * The libtrust key id Docker's token spec uses: base32 of the first 240 bits of the SHA-256 of the DER public
 * key, in groups of four separated by colons. (pulp_container base32-encodes hex characters instead; nothing
 * but the issuer reads the kid, and this is the form Docker's registry understands.)
 */
export function libtrustKeyId(publicKey: KeyObject): string {
  const der = publicKey.export({ type: 'spki', format: 'der' });
  const hash = createHash('sha256').update(der).digest().subarray(0, 30);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of hash) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out.match(/.{1,4}/g)!.join(':');
}

/** Builds a key pair from PEM text, checking that the keys fit the algorithm and each other. */
export function keyPairFromPem(privatePem: string, publicPem: string, algorithm: string): TokenKeyPair {
  let privateKey: KeyObject;
  let publicKey: KeyObject;
  try {
    privateKey = createPrivateKey(privatePem);
    publicKey = createPublicKey(publicPem);
  } catch (err) {
    throw new ConfigurationError(`The token server's key pair cannot be read: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const derived = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  if (!derived.equals(publicKey.export({ type: 'spki', format: 'der' })))
    throw new ConfigurationError('PUBLIC_KEY_PATH does not hold the public key of PRIVATE_KEY_PATH.');
  const wantType = algorithm.startsWith('ES') ? 'ec' : 'rsa';
  const type = privateKey.asymmetricKeyType === 'rsa-pss' ? 'rsa' : privateKey.asymmetricKeyType;
  if (type !== wantType || (CURVES[algorithm] && privateKey.asymmetricKeyDetails?.namedCurve !== CURVES[algorithm]))
    throw new ConfigurationError(`The token server's key does not fit TOKEN_SIGNATURE_ALGORITHM ${algorithm}.`);
  return { algorithm, privateKey, publicKey, kid: libtrustKeyId(publicKey) };
}

/** A new key pair for `algorithm`, as PEM (PKCS#8 private key, SPKI public key). */
export function generateKeyPairPem(algorithm: string): { privatePem: string; publicPem: string } {
  const pair = algorithm.startsWith('ES')
    ? generateKeyPairSync('ec', { namedCurve: CURVES[algorithm]! })
    : generateKeyPairSync('rsa', { modulusLength: 3072 });
  return {
    privatePem: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicPem: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

export interface TokenKeySettings {
  TOKEN_SIGNATURE_ALGORITHM: string;
  PRIVATE_KEY_PATH: string | null;
  PUBLIC_KEY_PATH: string | null;
}

/**
 * The token server's key pair. Configured paths win (Pulp's PRIVATE_KEY_PATH and PUBLIC_KEY_PATH). Without
 * them a pair is generated once for the whole installation and kept in the database, so that every API
 * process on every host signs and verifies with the same key: the first process to start inserts it, the
 * others read it back (the insert is a no-op when a row exists).
 */
export async function loadTokenKeys(settings: TokenKeySettings, db: Db): Promise<TokenKeyPair> {
  const algorithm = settings.TOKEN_SIGNATURE_ALGORITHM;
  if (!TOKEN_ALGORITHMS.includes(algorithm))
    throw new ConfigurationError(
      `TOKEN_SIGNATURE_ALGORITHM ${algorithm} is not one of ${TOKEN_ALGORITHMS.join(', ')}.`,
    );
  const { PRIVATE_KEY_PATH: privatePath, PUBLIC_KEY_PATH: publicPath } = settings;
  if (privatePath || publicPath) {
    if (!privatePath || !publicPath)
      throw new ConfigurationError('PRIVATE_KEY_PATH and PUBLIC_KEY_PATH must be set together.');
    const [privatePem, publicPem] = await Promise.all([readFile(privatePath, 'utf8'), readFile(publicPath, 'utf8')]);
    return keyPairFromPem(privatePem, publicPem, algorithm);
  }
  const stored = await readStoredPair(db, algorithm);
  if (stored) return keyPairFromPem(stored.private_key, stored.public_key, algorithm);
  const generated = generateKeyPairPem(algorithm);
  await sql`INSERT INTO container_token_key (algorithm, private_key, public_key)
    VALUES (${algorithm}, ${generated.privatePem}, ${generated.publicPem})
    ON CONFLICT (algorithm) DO NOTHING`.execute(db);
  const winner = await readStoredPair(db, algorithm);
  if (!winner) throw new ConfigurationError('The token key pair could not be stored.');
  return keyPairFromPem(winner.private_key, winner.public_key, algorithm);
}

async function readStoredPair(
  db: Db,
  algorithm: string,
): Promise<{ private_key: string; public_key: string } | undefined> {
  const { rows } = await sql<{ private_key: string; public_key: string }>`
    SELECT private_key, public_key FROM container_token_key WHERE algorithm = ${algorithm}`.execute(db);
  return rows[0];
}

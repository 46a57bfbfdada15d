import { execFile, spawn } from 'node:child_process';
import { chmod, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import { PulpError } from '../core/errors.js';
import type { Database } from '../db/database.js';

const run = promisify(execFile);

/** Pulp's AsciiArmoredDetachedSigningService, the class `add-signing-service` creates by default. */
export const DETACHED_SIGNING_CLASS = 'core:AsciiArmoredDetachedSigningService';

export class SigningServiceError extends PulpError {}

export interface SigningService {
  name: string;
  public_key: string;
  pubkey_fingerprint: string;
  /** Absolute path of the executable that signs. */
  script: string;
}

/** What a signing script prints on stdout: JSON naming the signed file and its detached signature. */
export interface SignatureResult {
  file: string;
  signature: string;
  [key: string]: unknown;
}

export interface GpgOptions {
  gnupghome?: string;
  keyring?: string;
}

function gpgArgs(options: GpgOptions): string[] {
  const args = ['--batch', '--no-tty'];
  if (options.gnupghome) args.push('--homedir', options.gnupghome);
  if (options.keyring) args.push('--no-default-keyring', '--keyring', options.keyring);
  return args;
}

/** The one key matching `keyId` (Pulp refuses none or several) with its fingerprint and armored public key. */
export async function exportPublicKey(
  keyId: string,
  options: GpgOptions = {},
): Promise<{ fingerprint: string; publicKey: string }> {
  let listing = '';
  try {
    listing = (await run('gpg', [...gpgArgs(options), '--with-colons', '--fingerprint', '--list-keys', keyId])).stdout;
  } catch {
    listing = '';
  }
  const lines = listing.split('\n');
  const keys: string[] = [];
  lines.forEach((line, i) => {
    if (!line.startsWith('pub:')) return;
    const fpr = lines.slice(i + 1).find((l) => l.startsWith('fpr:'));
    if (fpr) keys.push(fpr.split(':')[9] ?? '');
  });
  if (keys.length !== 1) throw new SigningServiceError(`There are ${keys.length} keys matching the key id.`);
  const publicKey = (await run('gpg', [...gpgArgs(options), '--armor', '--export', keyId])).stdout;
  return { fingerprint: keys[0] as string, publicKey };
}

/**
 * Runs the service's script on `file` (Pulp's `SigningService.sign`): argument the file path, environment the
 * caller's `baseEnv` (the process environment, which only cli/ reads) plus `PULP_SIGNING_KEY_FINGERPRINT` and
 * `CORRELATION_ID`; a non-zero exit or output that is not JSON fails.
 */
export async function signFile(
  service: SigningService,
  file: string,
  baseEnv: Record<string, string | undefined>,
  correlationId = '',
): Promise<SignatureResult> {
  const child = spawn(service.script, [file], {
    env: { ...baseEnv, PULP_SIGNING_KEY_FINGERPRINT: service.pubkey_fingerprint, CORRELATION_ID: correlationId },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (b: Buffer) => out.push(b));
  child.stderr.on('data', (b: Buffer) => err.push(b));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  }).catch((e: Error) => {
    throw new SigningServiceError(`The signing script could not be run: ${e.message}`, { cause: e });
  });
  if (code !== 0) throw new SigningServiceError(Buffer.concat(err).toString().trim() || `exit status ${code}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.concat(out).toString());
  } catch {
    throw new SigningServiceError('The signing service script did not return valid JSON!');
  }
  const result = parsed as SignatureResult;
  if (!result || typeof result.signature !== 'string' || typeof result.file !== 'string')
    throw new SigningServiceError('The signing service script must return {"file": ..., "signature": ...}.');
  return result;
}

/** Verifies a detached signature of `file` against `publicKey` alone, in a throw-away GnuPG home. */
export async function verifyDetachedSignature(publicKey: string, signature: string, file: string): Promise<void> {
  const home = await mkdtemp(path.join(tmpdir(), 'pulp-gpg-'));
  try {
    await chmod(home, 0o700);
    const keyFile = path.join(home, 'key.asc');
    await writeFile(keyFile, publicKey);
    await run('gpg', [...gpgArgs({ gnupghome: home }), '--import', keyFile]);
    await run('gpg', [...gpgArgs({ gnupghome: home }), '--verify', signature, file]);
  } catch (e) {
    throw new SigningServiceError('The signature could not be verified with the public key.', { cause: e });
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

/** Pulp's AsciiArmoredDetachedSigningService.validate: signs a test file and verifies the signature. */
export async function validateSigningService(
  service: SigningService,
  baseEnv: Record<string, string | undefined>,
): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'pulp-sign-'));
  try {
    const file = path.join(dir, 'test-data');
    await writeFile(file, 'arbitrary data');
    const result = await signFile(service, file, baseEnv);
    await verifyDetachedSignature(service.public_key, result.signature, file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** `pulpcore-manager add-signing-service NAME SCRIPT KEY`: validated before the row is written. */
export async function addSigningService(
  db: Database,
  input: {
    name: string;
    script: string;
    keyId: string;
    signingClass?: string;
    env: Record<string, string | undefined>;
  } & GpgOptions,
): Promise<SigningService> {
  const signingClass = input.signingClass ?? DETACHED_SIGNING_CLASS;
  if (!signingClass.includes(':'))
    throw new SigningServiceError('The signing service class was not provided in a proper format.');
  if (signingClass !== DETACHED_SIGNING_CLASS)
    throw new SigningServiceError(`Class '${signingClass}' is not a signing service class of this installation.`);
  const { fingerprint, publicKey } = await exportPublicKey(input.keyId, input);
  let script: string;
  try {
    script = await realpath(input.script);
  } catch {
    throw new SigningServiceError(`No such file or directory: '${input.script}'`);
  }
  const service = { name: input.name, public_key: publicKey, pubkey_fingerprint: fingerprint, script };
  await validateSigningService(service, input.env);
  const existing = await db
    .selectFrom('signing_service')
    .select('pulp_id')
    .where('name', '=', input.name)
    .executeTakeFirst();
  if (existing) throw new SigningServiceError(`A signing service named '${input.name}' already exists.`);
  await db
    .insertInto('signing_service')
    .values({ ...service, pulp_type: 'core.asciiarmoreddetachedsigningservice' })
    .execute();
  return service;
}

/** `pulpcore-manager remove-signing-service NAME`. */
export async function removeSigningService(db: Database, name: string, signingClass = DETACHED_SIGNING_CLASS) {
  if (!signingClass.includes(':'))
    throw new SigningServiceError('The signing service class was not provided in a proper format.');
  const r = await db.deleteFrom('signing_service').where('name', '=', name).executeTakeFirst();
  if (Number(r.numDeletedRows) === 0)
    throw new SigningServiceError(`Signing service '${name}' of class '${signingClass}' does not exists.`);
}

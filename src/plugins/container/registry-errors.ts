/**
 * The distribution spec's error codes and the JSON body they render as
 * (`{"errors":[{"code","message","detail"}]}`), with the HTTP status each one is sent with. Registry
 * handlers throw `RegistryError`; one place (the registry routes' error handler) renders it.
 */
export type RegistryErrorCode =
  | 'BLOB_UNKNOWN'
  | 'BLOB_UPLOAD_INVALID'
  | 'BLOB_UPLOAD_UNKNOWN'
  | 'DIGEST_INVALID'
  | 'MANIFEST_BLOB_UNKNOWN'
  | 'MANIFEST_INVALID'
  | 'MANIFEST_UNKNOWN'
  | 'NAME_INVALID'
  | 'NAME_UNKNOWN'
  | 'SIZE_INVALID'
  | 'UNAUTHORIZED'
  | 'DENIED'
  | 'UNSUPPORTED'
  | 'TOOMANYREQUESTS'
  | 'RANGE_INVALID'
  | 'SIGNATURE_INVALID'
  | 'INVALID_REQUEST'
  | 'BAD_GATEWAY'
  | 'GATEWAY_TIMEOUT';

const STATUS: Record<RegistryErrorCode, number> = {
  BLOB_UNKNOWN: 404,
  BLOB_UPLOAD_INVALID: 400,
  BLOB_UPLOAD_UNKNOWN: 404,
  DIGEST_INVALID: 400,
  MANIFEST_BLOB_UNKNOWN: 400,
  MANIFEST_INVALID: 400,
  MANIFEST_UNKNOWN: 404,
  NAME_INVALID: 400,
  NAME_UNKNOWN: 404,
  SIZE_INVALID: 400,
  UNAUTHORIZED: 401,
  DENIED: 403,
  UNSUPPORTED: 405,
  TOOMANYREQUESTS: 429,
  RANGE_INVALID: 416,
  SIGNATURE_INVALID: 400,
  INVALID_REQUEST: 400,
  BAD_GATEWAY: 502,
  GATEWAY_TIMEOUT: 504,
};

/** The token error a 401 names in its challenge (`error="invalid_token"`), RFC 6750. */
export type TokenErrorCode = 'invalid_token' | 'insufficient_scope';

export class RegistryError extends Error {
  readonly status: number;
  constructor(
    readonly code: RegistryErrorCode,
    message: string,
    readonly detail: Record<string, unknown> = {},
    options?: { status?: number; tokenError?: TokenErrorCode; cause?: unknown },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RegistryError';
    this.status = options?.status ?? STATUS[code];
    this.tokenError = options?.tokenError;
  }
  readonly tokenError: TokenErrorCode | undefined;

  body(): { errors: Array<{ code: string; message: string; detail: Record<string, unknown> }> } {
    return { errors: [{ code: this.code, message: this.message, detail: this.detail }] };
  }
}

export const nameUnknown = (name: string) => new RegistryError('NAME_UNKNOWN', 'Repository not found.', { name });
export const nameInvalid = (name: string, message = 'Invalid repository name.') =>
  new RegistryError('NAME_INVALID', message, { name });
export const manifestUnknown = (reference: string) =>
  new RegistryError('MANIFEST_UNKNOWN', 'Manifest not found.', { reference });
export const manifestInvalid = (digest: string, reason = 'manifest invalid') =>
  new RegistryError('MANIFEST_INVALID', reason, { digest });
export const manifestBlobUnknown = (digest: string) =>
  new RegistryError('MANIFEST_BLOB_UNKNOWN', 'blob unknown to registry', { digest });
export const blobUnknown = (digest: string) => new RegistryError('BLOB_UNKNOWN', 'Blob not found.', { digest });
export const blobUploadUnknown = (uuid: string) =>
  new RegistryError('BLOB_UPLOAD_UNKNOWN', 'blob upload unknown to registry', { uuid });
export const digestInvalid = (digest: string, message = 'provided digest did not match uploaded content') =>
  new RegistryError('DIGEST_INVALID', message, { digest });
export const sizeInvalid = (message: string, detail: Record<string, unknown> = {}) =>
  new RegistryError('SIZE_INVALID', message, detail);
export const invalidRequest = (message = 'Invalid request.') => new RegistryError('INVALID_REQUEST', message);
export const unsupported = (message = 'The operation is unsupported.') => new RegistryError('UNSUPPORTED', message);

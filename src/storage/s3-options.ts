import { ConfigurationError } from '../core/errors.js';

/** Pulp's backend name for S3-compatible object storage (django-storages). */
export const S3_BACKEND = 'storages.backends.s3.S3Storage';

/** The OPTIONS of `STORAGES.default` for the S3 backend, under django-storages' names. */
export interface S3Options {
  bucket_name: string;
  endpoint_url: string | null;
  region_name: string;
  access_key: string | null;
  secret_key: string | null;
  /** `path` (bucket in the path: MinIO, Ceph, most self-hosted services), `virtual` (bucket in the host), or `auto`. */
  addressing_style: 'auto' | 'path' | 'virtual';
  /** Canned ACL given to every object written; null leaves the bucket's default (django-storages' default). */
  default_acl: string | null;
  /** Seconds a presigned URL stays valid (django-storages' default 3600). */
  querystring_expire: number;
  /** Key prefix inside the bucket (django-storages' `location`). */
  location: string;
}

const KNOWN = new Set([
  'bucket_name',
  'endpoint_url',
  'region_name',
  'access_key',
  'secret_key',
  'addressing_style',
  'default_acl',
  'querystring_expire',
  'location',
  // Accepted for compatibility with Pulp settings files; the SDK always signs with SigV4.
  'signature_version',
]);
const ACLS = new Set([
  'private',
  'public-read',
  'public-read-write',
  'authenticated-read',
  'aws-exec-read',
  'bucket-owner-read',
  'bucket-owner-full-control',
]);

/** Checks the OPTIONS of an S3 storage; reports every problem at once, naming the setting. */
export function parseS3Options(raw: Record<string, unknown> | undefined): S3Options {
  const o = raw ?? {};
  const problems: string[] = [];
  const str = (key: string, required: boolean): string | null => {
    const v = o[key];
    if (v === undefined || v === null || v === '') {
      if (required) problems.push(`STORAGES.default.OPTIONS.${key}: required for ${S3_BACKEND}`);
      return null;
    }
    if (typeof v !== 'string') {
      problems.push(`STORAGES.default.OPTIONS.${key}: must be a string, got ${JSON.stringify(v)}`);
      return null;
    }
    return v;
  };
  for (const key of Object.keys(o)) {
    if (!KNOWN.has(key)) problems.push(`STORAGES.default.OPTIONS.${key}: unknown option of ${S3_BACKEND}`);
  }
  const bucket = str('bucket_name', true);
  if (bucket !== null && !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
    problems.push(`STORAGES.default.OPTIONS.bucket_name: not a valid bucket name: ${JSON.stringify(bucket)}`);
  }
  const endpoint = str('endpoint_url', false);
  if (endpoint !== null && !/^https?:\/\/[^/]+\/?$/.test(endpoint)) {
    problems.push(
      `STORAGES.default.OPTIONS.endpoint_url: must be http(s)://host[:port], got ${JSON.stringify(endpoint)}`,
    );
  }
  const accessKey = str('access_key', false);
  const secretKey = str('secret_key', false);
  if ((accessKey === null) !== (secretKey === null)) {
    problems.push('STORAGES.default.OPTIONS: access_key and secret_key must be given together');
  }
  const style = str('addressing_style', false) ?? 'auto';
  if (!['auto', 'path', 'virtual'].includes(style)) {
    problems.push(
      `STORAGES.default.OPTIONS.addressing_style: must be auto, path or virtual, got ${JSON.stringify(style)}`,
    );
  }
  const acl = str('default_acl', false);
  if (acl !== null && !ACLS.has(acl)) {
    problems.push(`STORAGES.default.OPTIONS.default_acl: not a canned ACL: ${JSON.stringify(acl)}`);
  }
  const expire = o.querystring_expire ?? 3600;
  if (typeof expire !== 'number' || !Number.isInteger(expire) || expire < 1 || expire > 604800) {
    problems.push(
      `STORAGES.default.OPTIONS.querystring_expire: seconds between 1 and 604800, got ${JSON.stringify(expire)}`,
    );
  }
  const location = (str('location', false) ?? '').replace(/^\/+|\/+$/g, '');
  if (problems.length > 0) throw new ConfigurationError(`Invalid settings:\n  - ${problems.join('\n  - ')}`);
  return {
    bucket_name: bucket!,
    endpoint_url: endpoint,
    region_name: str('region_name', false) ?? 'us-east-1',
    access_key: accessKey,
    secret_key: secretKey,
    addressing_style: style as S3Options['addressing_style'],
    default_acl: acl,
    querystring_expire: expire as number,
    location,
  };
}

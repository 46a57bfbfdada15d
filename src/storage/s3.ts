import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough, type Readable } from 'node:stream';

import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  type ObjectCannedACL,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';

import { ConfigurationError } from '../core/errors.js';
import type { PresignOptions, Storage } from './storage.js';

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

// Parts of 8 MiB, two in flight: an upload holds about 16 MiB whatever the file's size.
const PART_SIZE = 8 * 1024 * 1024;
const QUEUE_SIZE = 2;

function isNotFound(err: unknown): boolean {
  if (!(err instanceof S3ServiceException)) return false;
  return err.$metadata.httpStatusCode === 404 || err.name === 'NotFound' || err.name === 'NoSuchKey';
}

/**
 * Artifacts in an S3-compatible bucket. Objects are written with a multipart upload streamed from the verified
 * temporary file (memory stays flat in the file's size) and only once their content address is known, so an
 * object under `artifact/...` always holds the bytes its name says; a failed upload is aborted and leaves no
 * object. Temporary files stay on the local disk (`<MEDIA_ROOT>/tmp`), as Pulp's WORKING_DIRECTORY.
 */
export class S3Storage implements Storage {
  readonly client: S3Client;
  private readonly options: S3Options;
  private readonly workDir: string;

  constructor(options: S3Options, workDir: string) {
    this.options = options;
    this.workDir = path.resolve(workDir);
    this.client = new S3Client({
      region: options.region_name,
      ...(options.endpoint_url ? { endpoint: options.endpoint_url } : {}),
      forcePathStyle: options.addressing_style === 'path',
      ...(options.access_key && options.secret_key
        ? { credentials: { accessKeyId: options.access_key, secretAccessKey: options.secret_key } }
        : {}),
      // Many S3-compatible services reject the SDK's default streaming CRC trailers; send checksums only when
      // an operation requires them (artifacts are verified by their sha256 anyway).
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  get bucket(): string {
    return this.options.bucket_name;
  }

  /** The object key of a storage name (names are validated: no `..`, no leading slash). */
  key(name: string): string {
    const parts = name.split('/');
    if (name === '' || name.startsWith('/') || parts.some((p) => p === '' || p === '.' || p === '..')) {
      throw new ConfigurationError(`Storage name is not a safe object key: ${JSON.stringify(name)}`);
    }
    return this.options.location ? `${this.options.location}/${name}` : name;
  }

  localPath(): null {
    return null;
  }

  createReadStream(name: string, range?: { start: number; end: number }): Readable {
    const out = new PassThrough({ highWaterMark: 256 * 1024 });
    const abort = new AbortController();
    out.once('close', () => abort.abort());
    this.client
      .send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: this.key(name),
          ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}),
        }),
        { abortSignal: abort.signal },
      )
      .then(
        (res) => {
          const body = res.Body as Readable;
          body.once('error', (err) => out.destroy(err));
          body.pipe(out);
        },
        (err: unknown) => out.destroy(err as Error),
      );
    return out;
  }

  async size(name: string): Promise<number | null> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.key(name) }));
      return head.ContentLength ?? 0;
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  async saveFromFile(tempPath: string, name: string): Promise<void> {
    if ((await this.size(name)) === null) {
      let bodyError: Error | null = null;
      const body = createReadStream(tempPath, { highWaterMark: 1024 * 1024 });
      body.once('error', (err) => (bodyError = err));
      const upload = new Upload({
        client: this.client,
        params: {
          Bucket: this.bucket,
          Key: this.key(name),
          Body: body,
          ...(this.options.default_acl ? { ACL: this.options.default_acl as ObjectCannedACL } : {}),
        },
        partSize: PART_SIZE,
        queueSize: QUEUE_SIZE,
        leavePartsOnError: false,
      });
      try {
        await upload.done();
      } catch (err) {
        // The SDK aborts the multipart upload (no object is ever visible) and may report the abort's own error.
        body.destroy();
        throw bodyError ?? err;
      }
    }
    await rm(tempPath, { force: true });
  }

  async delete(name: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.key(name) }));
  }

  tempDir(): string {
    return path.join(this.workDir, 'tmp');
  }

  async presignedUrl(name: string, options: PresignOptions = {}): Promise<string> {
    return getSignedUrl(
      this.client,
      new GetObjectCommand({
        Bucket: this.bucket,
        Key: this.key(name),
        ...(options.contentType ? { ResponseContentType: options.contentType } : {}),
        ...(options.filename
          ? { ResponseContentDisposition: `attachment; filename*=UTF-8''${encodeURIComponent(options.filename)}` }
          : {}),
      }),
      { expiresIn: this.options.querystring_expire },
    );
  }

  close(): void {
    this.client.destroy();
  }
}

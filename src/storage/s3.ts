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
import type { S3Options } from './s3-options.js';
import type { PresignOptions, Storage } from './storage.js';

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

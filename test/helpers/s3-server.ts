import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { CreateBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';

/** A real S3-compatible server (s3rver) on a loopback port, over its own folder, with one empty bucket. */
export interface S3TestServer {
  endpoint: string;
  bucket: string;
  /** `STORAGES` for settings, with django-storages' option names. */
  storages(extra?: Record<string, unknown>): Record<string, unknown>;
  client: S3Client;
  /** Every key in the bucket, sorted. */
  keys(prefix?: string): Promise<string[]>;
  close(): Promise<void>;
}

export const S3_TEST_ACCESS_KEY = 'S3RVER';
export const S3_TEST_SECRET_KEY = 'S3RVER';

export async function startS3Server(options: { address?: string; port?: number; bucket?: string } = {}) {
  const dir = await mkdtemp(path.join(tmpdir(), 'pulp-ts-s3-'));
  const bucket = options.bucket ?? 'pulp-test';
  const server = new S3rver({
    address: options.address ?? '127.0.0.1',
    port: options.port ?? 0,
    silent: true,
    directory: dir,
    configureBuckets: [],
  });
  const { address, port } = await server.run();
  const endpoint = `http://${address}:${port}`;
  const client = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: S3_TEST_ACCESS_KEY, secretAccessKey: S3_TEST_SECRET_KEY },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  const s3: S3TestServer = {
    endpoint,
    bucket,
    client,
    storages: (extra = {}) => ({
      default: {
        BACKEND: 'storages.backends.s3.S3Storage',
        OPTIONS: {
          bucket_name: bucket,
          endpoint_url: endpoint,
          region_name: 'us-east-1',
          access_key: S3_TEST_ACCESS_KEY,
          secret_key: S3_TEST_SECRET_KEY,
          addressing_style: 'path',
          ...extra,
        },
      },
    }),
    async keys(prefix) {
      const out: string[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(
          new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
        );
        for (const o of page.Contents ?? []) if (o.Key) out.push(o.Key);
        token = page.NextContinuationToken;
      } while (token);
      return out.sort();
    },
    async close() {
      client.destroy();
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return s3;
}

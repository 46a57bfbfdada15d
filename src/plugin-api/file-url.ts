import { rm } from 'node:fs/promises';

import { Type } from '@sinclair/typebox';

import { ValidationError } from '../core/errors.js';
import { Downloader } from '../download/downloader.js';
import { importArtifactFromFile } from './artifacts.js';
import type { TaskContext } from './tasks.js';

/**
 * `file_url` (core's UploadSerializerFieldsMixin since 3.56.1, on every content upload serializer): a URL the
 * create task downloads and turns into the unit's artifact, in place of `file`, `upload` or `artifact`.
 */
export const fileUrlField = Type.Optional(
  Type.String({ writeOnly: true, description: 'A url that Pulp can download and turn into the content unit.' }),
);

/** What the task needs: the URL without credentials, and the credentials it carried (Pulp moves them out). */
export interface FileUrlSource {
  url: string;
  username?: string;
  password?: string;
}

/** Validates a `file_url` in the request: an absolute http(s) URL; user:password@ becomes Basic credentials. */
export function parseFileUrl(value: unknown): FileUrlSource {
  let u: URL;
  try {
    u = new URL(String(value));
  } catch {
    throw new ValidationError({ file_url: ['Enter a valid URL.'] });
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new ValidationError({ file_url: ['Only http and https URLs can be downloaded.'] });
  const source: FileUrlSource = { url: '' };
  if (u.username) source.username = decodeURIComponent(u.username);
  if (u.password) source.password = decodeURIComponent(u.password);
  u.username = '';
  u.password = '';
  source.url = u.href;
  return source;
}

/** Downloads a `file_url` inside the task (with Pulp's retries) and returns the artifact id it became. */
export async function artifactFromFileUrl(ctx: TaskContext, source: FileUrlSource): Promise<string> {
  const { storage, settings } = ctx.services;
  const downloader = new Downloader(
    { username: source.username ?? null, password: source.password ?? null },
    { tempDir: storage.tempDir(), checksums: settings.ALLOWED_CONTENT_CHECKSUMS },
  );
  try {
    const report = await ctx.progress('Downloading file', 'download.file_url', { total: 1 });
    const result = await downloader.download(source.url, {}, ctx.signal);
    try {
      const artifact = await importArtifactFromFile(ctx.services, result.path, {
        computed: { size: result.size, digests: result.digests },
        signal: ctx.signal,
      });
      report.increment();
      await report.done();
      return artifact.pulp_id;
    } finally {
      await rm(result.path, { force: true });
    }
  } finally {
    await downloader.close();
  }
}

import { Downloader, type Services } from '../../plugin-api/index.js';
import { parseDistFilename } from './filenames.js';
import { DEFAULT_FILE_HOSTS } from './link-policy.js';
import { downloaderFetcher } from './remote-fetcher.js';
import { RemoteFilter } from './remote-filters.js';
import type { SimpleFile } from './simple-pages.js';
import { filterOptions } from './sync-task.js';
import { indexRoot, readSimpleProject } from './upstream-index.js';

/**
 * A pull-through index's files of one project (pulp_python's pull_through_package_simple): the remote's
 * `simple/<name>/` page, filtered by the remote's includes/excludes, each file linked to the content app as
 * `<base>/<filename>?redirect=<upstream url>` so that the content app fetches (and keeps) it on request.
 * An unreachable or missing upstream page gives no files (the caller answers 404), as in Pulp.
 */
export async function pullThroughFiles(
  services: Services,
  remoteId: string,
  normalized: string,
  filesBase: string,
): Promise<SimpleFile[]> {
  const remote = await services.db.selectFrom('remote').selectAll().where('pulp_id', '=', remoteId).executeTakeFirst();
  if (!remote?.url) return [];
  const filter = new RemoteFilter(filterOptions(remote.detail ?? {}));
  if (!filter.allowsProject(normalized)) return [];
  const downloader = new Downloader(remote, {
    tempDir: services.storage.tempDir(),
    checksums: services.settings.ALLOWED_CONTENT_CHECKSUMS,
    retryBaseMs: 200,
  });
  try {
    const root = indexRoot(remote.url);
    let page;
    try {
      page = await readSimpleProject(downloaderFetcher(downloader), root, normalized, {
        fileHosts: DEFAULT_FILE_HOSTS,
      });
    } catch (err) {
      services.logger.info({ err, project: normalized, remote: remote.url }, 'pull-through page not fetched');
      return [];
    }
    const out: SimpleFile[] = [];
    for (const f of page ?? []) {
      const parsed = parseDistFilename(f.filename);
      const sha256 = f.hashes.sha256;
      if (!parsed?.version || !sha256 || !filter.allowsRelease(normalized, parsed.version)) continue;
      if (!filter.allowsFile({ filename: f.filename, packagetype: parsed.packagetype })) continue;
      out.push({
        filename: f.filename,
        url: `${filesBase}${encodeURIComponent(f.filename)}?redirect=${encodeURIComponent(f.url)}`,
        sha256,
        requiresPython: f.requiresPython,
        metadataSha256: null,
        yanked: f.yanked,
        size: f.size ?? 0,
        uploadTime: f.uploadTime,
        version: parsed.version,
        provenanceUrl: null,
      });
    }
    return out;
  } finally {
    await downloader.close();
  }
}

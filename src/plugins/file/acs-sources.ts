import { sql } from 'kysely';

import { type AlternateSource, Downloader, type Services } from '../../plugin-api/index.js';

/*
 * The file ACSes as a source of artifacts for syncs (pulpcore's ACSArtifactHandler stage): a digest that a
 * refreshed ACS path knows, from that ACS's own remote, is fetched from there first. Only what the last refresh of
 * a path found counts (the current content of its hidden repository), and only the ACS remote's own URLs.
 */

export interface AcsSources {
  lookup(sha256s: string[]): Promise<Map<string, AlternateSource>>;
  close(): Promise<void>;
}

/**
 * The sources of every ACS, or null when there is none (a sync then pays no lookup at all). Downloaders are made
 * on first use, one per ACS remote, with that remote's own settings (TLS, proxy, auth, concurrency).
 */
export async function loadAcsSources(
  services: Pick<Services, 'db' | 'storage' | 'settings'>,
  options: { retryBaseMs: number },
): Promise<AcsSources | null> {
  const { db, storage, settings } = services;
  const any = await sql<{
    n: number;
  }>`SELECT count(*)::int AS n FROM file_acs_path WHERE repository_id IS NOT NULL`.execute(db);
  if (!any.rows[0]?.n) return null;
  const downloaders = new Map<string, Promise<Downloader>>();
  const downloaderOf = (remoteId: string) => {
    let d = downloaders.get(remoteId);
    if (!d) {
      d = db
        .selectFrom('remote')
        .selectAll()
        .where('pulp_id', '=', remoteId)
        .executeTakeFirstOrThrow()
        .then(
          (remote) =>
            new Downloader(remote, {
              tempDir: storage.tempDir(),
              checksums: settings.ALLOWED_CONTENT_CHECKSUMS,
              retryBaseMs: options.retryBaseMs,
            }),
        );
      downloaders.set(remoteId, d);
    }
    return d;
  };
  return {
    async lookup(sha256s) {
      const out = new Map<string, AlternateSource>();
      if (sha256s.length === 0) return out;
      // From the digests (indexed) to the few ACS repositories, never a scan of an ACS's whole content.
      const rows = await sql<{ digest: string; url: string; remote_id: string }>`
        SELECT DISTINCT ON (fc.digest) fc.digest, ra.url, ra.remote_id::text
        FROM file_content fc
        JOIN repository_content rc ON rc.content_id = fc.content_id AND rc.version_removed IS NULL
        JOIN file_acs_path p ON p.repository_id = rc.repository_id
        JOIN file_acs a ON a.pulp_id = p.acs_id
        JOIN content_artifact ca ON ca.content_id = fc.content_id
        JOIN remote_artifact ra ON ra.content_artifact_id = ca.pulp_id AND ra.remote_id = a.remote_id
        WHERE fc.digest = ANY(${sha256s}::text[])
        ORDER BY fc.digest, a.name, p.path`.execute(db);
      for (const r of rows.rows) out.set(r.digest, { url: r.url, downloader: await downloaderOf(r.remote_id) });
      return out;
    },
    async close() {
      const all = await Promise.allSettled(downloaders.values());
      for (const d of all) if (d.status === 'fulfilled') await d.value.close();
    },
  };
}

import { once } from 'node:events';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';

import { sql } from 'kysely';
import type { Logger } from 'pino';

import { DigestMismatchError, SizeMismatchError } from '../core/errors.js';
import type { ChecksumName, Settings } from '../core/settings.js';
import type { Database } from '../db/database.js';
import { importArtifactFromFile, verifyExpected } from '../plugin-api/artifacts.js';
import type { Storage } from '../storage/storage.js';
import { parseRange } from './range.js';
import type { DownloadClaims } from './download-claims.js';
import { SharedDownload, type UpstreamSource } from './shared-download.js';
import { StreamHasherPool } from './stream-hasher.js';
import { UpstreamClients, type UpstreamRemote } from './upstream.js';

/** Pulp's REMOTE_CONTENT_FETCH_FAILURE_COOLDOWN: a remote artifact that served bad bytes is skipped this long. */
const FAILURE_COOLDOWN_SECONDS = 300;
const READ_CHUNK = 256 * 1024;
/** Upstream headers that describe the connection or the encoding, never passed on (spec runtime §2.6). */
const HOP_BY_HOP = new Set([
  'connection',
  'content-encoding',
  'content-length',
  'keep-alive',
  'public',
  'proxy-authenticate',
  'transfer-encoding',
  'upgrade',
  'content-type',
  'content-range',
  'accept-ranges',
  'date',
  'server',
]);

export interface Candidate extends UpstreamRemote {
  remote_artifact_id: string;
  ra_url: string;
  ra_size: number | null;
  policy: string;
  digests: Partial<Record<ChecksumName, string | null>>;
}

class SourceError extends Error {}

/** Remote artifact rows (`ra_*` columns next to `remote.*`) as fetch candidates. */
export function toCandidates(rows: Record<string, unknown>[]): Candidate[] {
  return rows
    .filter((r) => r.remote_artifact_id !== null && r.pulp_id !== null)
    .map((r) => {
      const digests: Partial<Record<ChecksumName, string | null>> = {};
      for (const c of ['md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512'] as const)
        digests[c] = r[`ra_${c}`] as string | null;
      return { ...(r as unknown as Candidate), digests };
    });
}

/** Selects the remote artifacts of `ca.pulp_id` not cooling down, with their remotes; see toCandidates. */
export const CANDIDATE_COLUMNS = sql`ra.pulp_id AS remote_artifact_id, ra.url AS ra_url, ra.size AS ra_size,
  ra.md5 AS ra_md5, ra.sha1 AS ra_sha1, ra.sha224 AS ra_sha224, ra.sha256 AS ra_sha256,
  ra.sha384 AS ra_sha384, ra.sha512 AS ra_sha512, r.*`;
export const COOLDOWN_CONDITION = sql`(ra.failed_at IS NULL OR ra.failed_at < clock_timestamp() - make_interval(secs => ${FAILURE_COOLDOWN_SECONDS}))`;

export interface OnDemandOptions {
  db: Database;
  storage: Storage;
  settings: Settings;
  logger: Logger;
  /** Cluster-wide claims, so that one process on one host fetches each missing file (see download-claims.ts). */
  claims?: DownloadClaims;
  /**
   * Told of each upstream download this process starts, each request served from a download it did not
   * start (in this process or another), and each download that failed (for the metrics).
   */
  onEvent?: (event: 'started' | 'shared' | 'failed') => void;
}

/** What a request does about a missing file once it looked (see OnDemand.plan). */
type Plan =
  | { kind: 'stored'; file: string; size: number }
  | { kind: 'none' }
  | { kind: 'local' }
  /** Another process holds the claim: wait for it, then look again. */
  | { kind: 'elsewhere' };

/** Serves content whose artifact is not downloaded yet (spec runtime §2.6), one shared download per file. */
export class OnDemand {
  private readonly downloads = new Map<string, SharedDownload>();
  /** One look-and-claim per file at a time in this process; requests arriving meanwhile share its plan. */
  private readonly planning = new Map<string, Promise<Plan>>();
  private readonly upstream: UpstreamClients;
  private readonly hashers = new StreamHasherPool();

  constructor(private readonly options: OnDemandOptions) {
    this.upstream = new UpstreamClients({ denyPrivate: options.settings.DENY_PRIVATE_REMOTE_ADDRESSES });
  }

  /** In one query: the artifact if someone saved it meanwhile, else the remote artifacts to try, oldest first. */
  private async lookup(
    contentArtifactId: string,
  ): Promise<{ stored: { file: string; size: number } | null; candidates: Candidate[] }> {
    const { rows } = await sql<Record<string, unknown>>`
      SELECT a.file AS a_file, a.size AS a_size, ${CANDIDATE_COLUMNS}
      FROM content_artifact ca
      LEFT JOIN artifact a ON a.pulp_id = ca.artifact_id
      LEFT JOIN remote_artifact ra ON ra.content_artifact_id = ca.pulp_id AND ${COOLDOWN_CONDITION}
      LEFT JOIN remote r ON r.pulp_id = ra.remote_id
      WHERE ca.pulp_id = ${contentArtifactId}
      ORDER BY ra.pulp_created, ra.pulp_id`.execute(this.options.db);
    const first = rows[0];
    if (first && typeof first.a_file === 'string')
      return { stored: { file: first.a_file, size: Number(first.a_size) }, candidates: [] };
    return { stored: null, candidates: toCandidates(rows) };
  }

  private source(c: Candidate): UpstreamSource & { candidate: Candidate } {
    return {
      candidate: c,
      describe: c.ra_url,
      expectedSize: c.ra_size,
      open: async (signal) => {
        const res = await this.upstream.get(c, c.ra_url, signal);
        if (res.statusCode >= 400) {
          res.body.destroy();
          throw new SourceError(`HTTP ${res.statusCode}`);
        }
        return { headers: res.headers, body: res.body };
      },
    };
  }

  private startDownload(contentArtifactId: string, candidates: Candidate[]): SharedDownload {
    const { db, storage, settings, logger } = this.options;
    const allowed = settings.ALLOWED_CONTENT_CHECKSUMS;
    const sources = candidates.map((c) => this.source(c));
    const byDescribe = new Map(sources.map((s) => [s, s.candidate]));
    const download = new SharedDownload(
      sources,
      storage.tempDir(),
      {
        shouldSave: (s) => byDescribe.get(s as never)?.policy !== 'streamed',
        // Streamed content is only verified: sha256 plus the allowed digests the remote artifact announces.
        digestsFor: (s, save) => {
          if (save) return allowed;
          const c = byDescribe.get(s as never)!;
          return allowed.filter((name) => name === 'sha256' || Boolean(c.digests[name]));
        },
        verify: async (s, result) => {
          const c = byDescribe.get(s as never)!;
          try {
            verifyExpected(result, { size: c.ra_size, digests: c.digests }, allowed);
          } catch (err) {
            await db
              .updateTable('remote_artifact')
              .set({ failed_at: sql<string>`clock_timestamp()` })
              .where('pulp_id', '=', c.remote_artifact_id)
              .execute();
            throw err;
          }
        },
        save: async (_s, tempPath, result) => {
          const artifact = await importArtifactFromFile({ db, storage, settings }, tempPath, { computed: result });
          await db
            .updateTable('content_artifact')
            .set({ artifact_id: artifact.pulp_id, pulp_last_updated: sql<string>`clock_timestamp()` })
            .where('pulp_id', '=', contentArtifactId)
            .where('artifact_id', 'is', null)
            .execute();
        },
        onError: (err, s) => {
          const mismatch = err instanceof DigestMismatchError || err instanceof SizeMismatchError;
          logger[mismatch ? 'error' : 'warn'](
            { err, url: s.describe, content_artifact: contentArtifactId },
            mismatch ? 'on-demand file failed verification; nothing saved' : 'on-demand fetch failed',
          );
        },
      },
      this.hashers,
    );
    this.downloads.set(contentArtifactId, download);
    this.options.onEvent?.('started');
    download.finished.catch(() => this.options.onEvent?.('failed'));
    void download.finished.then(() => {
      if (this.downloads.get(contentArtifactId) === download) this.downloads.delete(contentArtifactId);
    });
    return download;
  }

  /** A download of this process that clients can still join. */
  private live(contentArtifactId: string): SharedDownload | null {
    const d = this.downloads.get(contentArtifactId);
    return d && d.state !== 'done' && d.state !== 'failed' ? d : null;
  }

  /**
   * Looks for the artifact and, when it is missing, claims its download cluster-wide: a download of this
   * process starts only under the claim, after a second look (the claim's previous holder may just have saved
   * it). Streamed content is never saved, so waiting for another process would gain nothing: it is fetched here.
   */
  private plan(contentArtifactId: string, fresh: Candidate[] | undefined): Promise<Plan> {
    let p = this.planning.get(contentArtifactId);
    if (!p) {
      p = (async (): Promise<Plan> => {
        let candidates = fresh;
        if (!candidates) {
          const found = await this.lookup(contentArtifactId);
          if (found.stored) return { kind: 'stored', ...found.stored };
          candidates = found.candidates;
        }
        if (this.live(contentArtifactId)) return { kind: 'local' };
        if (candidates.length === 0) return { kind: 'none' };
        const claims = this.options.claims;
        if (claims && candidates[0]!.policy !== 'streamed') {
          if (!(await claims.claim(contentArtifactId))) return { kind: 'elsewhere' };
          const again = await this.lookup(contentArtifactId).catch(async (err: unknown) => {
            await claims.release(contentArtifactId);
            throw err;
          });
          if (again.stored || again.candidates.length === 0) {
            await claims.release(contentArtifactId);
            return again.stored ? { kind: 'stored', ...again.stored } : { kind: 'none' };
          }
          const download = this.startDownload(contentArtifactId, again.candidates);
          void download.finished.finally(() => claims.release(contentArtifactId));
          return { kind: 'local' };
        }
        this.startDownload(contentArtifactId, candidates);
        return { kind: 'local' };
      })().finally(() => this.planning.delete(contentArtifactId));
      this.planning.set(contentArtifactId, p);
    }
    return p;
  }

  /**
   * Streams the file to the client, joining a running download of this process if there is one, else after
   * the plan: the stored file, a download of this process, or a wait for the process that fetches it. `fresh`
   * are candidates this request already read along with the path resolution, which saves a query on a first
   * request.
   */
  async serve(
    req: IncomingMessage,
    res: ServerResponse,
    contentArtifactId: string,
    contentType: string,
    serveStored: (file: string, size: number) => Promise<void>,
    fresh?: Candidate[],
  ): Promise<void> {
    let candidates = fresh;
    let gone: AbortController | null = null;
    let planned = false;
    try {
      for (;;) {
        const download = this.live(contentArtifactId);
        if (download) {
          if (!planned) this.options.onEvent?.('shared');
          download.acquire();
          try {
            await this.pump(req, res, download, contentType);
          } finally {
            download.release();
          }
          return;
        }
        const plan = await this.plan(contentArtifactId, candidates);
        planned = true;
        candidates = undefined;
        if (plan.kind === 'stored') return await serveStored(plan.file, plan.size);
        if (plan.kind === 'none') return notFound(res, req, 'No remote artifact is available for this content.');
        if (plan.kind === 'elsewhere') {
          this.options.onEvent?.('shared');
          if (!gone) {
            const controller = (gone = new AbortController());
            res.once('close', () => controller.abort());
          }
          await this.options.claims!.waitForOther(contentArtifactId, gone.signal);
          if (gone.signal.aborted || res.destroyed) return;
        }
        // 'local': the download is registered now; the next turn joins it (or, finished already, looks again).
        if (plan.kind === 'local' && !this.live(contentArtifactId)) {
          const finished = this.downloads.get(contentArtifactId);
          if (finished?.state === 'failed')
            return notFound(res, req, `The content could not be fetched from its remote: ${finished.error?.message}`);
        }
      }
    } finally {
      gone?.abort();
    }
  }

  private async pump(
    req: IncomingMessage,
    res: ServerResponse,
    download: SharedDownload,
    contentType: string,
  ): Promise<void> {
    try {
      await download.ready;
    } catch (err) {
      return notFound(res, req, `The content could not be fetched from its remote: ${(err as Error).message}`);
    }
    const total = download.total;
    let start = 0;
    let end = total !== null ? total - 1 : Infinity;
    let status = 200;
    const headers: OutgoingHttpHeaders = { 'Content-Type': contentType, 'Accept-Ranges': 'bytes' };
    for (const [k, v] of Object.entries(download.upstreamHeaders))
      if (v !== undefined && !HOP_BY_HOP.has(k)) headers[k] = v;
    if (total !== null) {
      headers['X-PULP-ARTIFACT-SIZE'] = String(total);
      const range = parseRange(req.headers.range, total);
      if (range === 'unsatisfiable') {
        res.writeHead(416, { 'Content-Range': `bytes */${total}`, 'Content-Type': 'text/plain; charset=utf-8' });
        res.end('416: Range Not Satisfiable');
        return;
      }
      if (range) {
        status = 206;
        start = range.start;
        end = range.end;
        headers['Content-Range'] = `bytes ${start}-${end}/${total}`;
      }
      headers['Content-Length'] = String(end - start + 1);
    }
    res.writeHead(status, headers);
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    let position = start;
    const limit = end + 1;
    // One listener for the whole response: a fresh once() per wait would pile up listeners.
    const closed = once(res, 'close').then(
      () => undefined,
      () => undefined,
    );
    while (position < limit && !res.destroyed) {
      if (download.state === 'failed') {
        // Cut the connection without a proper end, so the client cannot take the bytes for a whole file.
        res.socket?.resetAndDestroy();
        res.destroy();
        return;
      }
      const available = Math.min(download.released, limit);
      if (position < available) {
        const chunk = await download.read(position, Math.min(READ_CHUNK, available - position));
        if (chunk.length === 0) throw new Error('on-demand temporary file is shorter than announced');
        position += chunk.length;
        if (!res.write(chunk)) await Promise.race([once(res, 'drain'), closed]);
      } else if (download.state === 'done') {
        break;
      } else {
        await Promise.race([download.changed(), closed]);
      }
    }
    if (!res.destroyed) res.end();
  }

  async close(): Promise<void> {
    for (const d of this.downloads.values()) d.cancel();
    await Promise.all([...this.downloads.values()].map((d) => d.finished.catch(() => undefined)));
    await this.upstream.close();
    await this.hashers.close();
  }
}

function notFound(res: ServerResponse, req: IncomingMessage, message: string): void {
  const body = Buffer.from(`404: ${message}`);
  res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': String(body.length) });
  res.end(req.method === 'HEAD' ? undefined : body);
}

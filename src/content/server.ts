import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { Logger } from 'pino';

import type { PoolCounts } from '../core/metrics.js';
import { configuredDatabaseUrl, type Settings } from '../core/settings.js';
import { PULP_TS_VERSION, PULP_VERSION } from '../core/version.js';
import { registerApp, startHeartbeat, unregisterApp, processName } from '../db/app-status.js';
import { type Database, databaseTimeouts } from '../db/database.js';
import { isDatabaseUnavailable } from '../db/unavailable.js';
import type { PluginRegistry } from '../plugin-api/registry.js';
import type { Storage } from '../storage/storage.js';
import { ARTIFACT_DISTRIBUTION_TYPE, serveArtifactById } from './artifact-distribution.js';
import { resolveCheckpoint } from './checkpoints.js';
import { ContentCache } from './content-cache.js';
import { DownloadClaims } from './download-claims.js';
import { contentTypeFor } from './content-types.js';
import {
  childSegments,
  type DistributionInfo,
  type DistributionSnapshot,
  hasDistributionsBelow,
  loadDistributions,
  loadServingTarget,
  matchDistribution,
  type ServingTarget,
} from './distributions.js';
import { isAllowedByGuard, registerGuardCache } from './guards/index.js';
import { DatabaseOutage, LastGoodFiles } from './last-good.js';
import { renderListing } from './listing.js';
import { contentMetrics } from './metrics.js';
import { type Candidate, OnDemand } from './on-demand.js';
import { splitRequestPath } from './request-path.js';
import { resolvePath } from './resolve.js';
import { MissingFileError, prepareStoredFile, sendStoredFile, type StoredFile } from './serve-file.js';

export interface ContentAppOptions {
  settings: Settings;
  db: Database;
  /** URL of the same database, for the LISTEN connection of the cache; default from the settings. Without one nothing is cached. */
  databaseUrl?: string;
  logger: Logger;
  storage: Storage;
  host?: string;
  port?: number;
  /** Registers in app_status and heartbeats (default true). */
  heartbeat?: boolean;
  /** Names the answering process (its app_status name) in `X-Pulp-Served-By`, so tests can reach every process. */
  servedByHeader?: boolean;
  /** What the installed plugins add: publication-served distribution types and their own path handlers. */
  plugins: Pick<PluginRegistry, 'publicationDistributionTypes' | 'contentHandlers'>;
  /** The database pool, reported in the metrics. */
  pool?: PoolCounts;
}

export interface ContentApp {
  port: number;
  server: Server;
  close(): Promise<void>;
}

/** What a resolved path answers, kept per process until the next content change. */
type Prepared =
  | { kind: 'file'; file: StoredFile }
  /** Not downloaded when resolved: each request asks on-demand whether it is stored by now. */
  | { kind: 'remote'; contentArtifactId: string; contentType: string }
  | { kind: 'redirect' }
  | { kind: 'html'; body: Buffer }
  | { kind: 'notfound'; body: string };

const SMALL_FILE_BUDGET = 256 * 1024 * 1024;

function sendText(
  res: ServerResponse,
  status: number,
  body: string,
  head: boolean,
  extra: Record<string, string> = {},
): void {
  const buf = Buffer.from(body);
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': String(buf.length),
    ...extra,
  });
  res.end(head ? undefined : buf);
}

function sendHtml(res: ServerResponse, body: Buffer, head: boolean): void {
  res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': String(body.length) });
  res.end(head ? undefined : body);
}

function redirect(res: ServerResponse, location: string): void {
  res.writeHead(301, { Location: location, 'Content-Length': '0' });
  res.end();
}

/** Starts the content app (spec runtime §2) on host:port; `port` 0 picks a free port. */
export async function startContentApp(options: ContentAppOptions): Promise<ContentApp> {
  const { settings, db, storage } = options;
  // Object storage: clients get a presigned URL (Pulp's REDIRECT_TO_OBJECT_STORAGE), else the app streams it.
  const redirectToStorage = settings.REDIRECT_TO_OBJECT_STORAGE && typeof storage.presignedUrl === 'function';
  const logger = options.logger.child({ component: 'content' });
  const prefix = settings.CONTENT_PATH_PREFIX;
  const publicationTypes = new Set(options.plugins.publicationDistributionTypes);
  const handlers = options.plugins.contentHandlers;
  const handlerServices = { db, settings, logger, storage };
  const databaseUrl = options.databaseUrl ?? configuredDatabaseUrl(settings);
  const timeouts = databaseTimeouts(settings);
  // While the database does not answer, paths served before are served from storage (see last-good.ts).
  const outage = new DatabaseOutage(Math.max(1000, settings.DB_CONNECT_TIMEOUT * 1000));
  const lastGood = new LastGoodFiles();
  const noteOutage = () => {
    if (outage.failed()) logger.warn('the database is not answering; serving paths from their last good resolution');
  };
  const cache = new ContentCache(databaseUrl, logger, { ...timeouts, onUnavailable: noteOutage });
  const claims = new DownloadClaims(databaseUrl, logger, timeouts);
  const targets = cache.createMap<string, ServingTarget>();
  const resolutions = cache.createMap<string, Prepared>();
  let snapshot: DistributionSnapshot | null = null;
  // Bytes of small files held with their resolutions; bounded so that a huge catalogue cannot exhaust memory.
  let bodyBytes = 0;
  const keepBodies = () => cache.enabled && bodyBytes < SMALL_FILE_BUDGET;
  cache.onInvalidate(() => {
    snapshot = null;
    bodyBytes = 0;
  });
  const metrics = settings.METRICS_ENABLED ? await contentMetrics(options.pool) : null;
  cache.onContentChange(() => lastGood.clear());
  const onDemand = new OnDemand({ db, storage, settings, logger, claims, onEvent: metrics?.onDemand });
  registerGuardCache(db, cache);

  async function getSnapshot(): Promise<DistributionSnapshot> {
    if (snapshot && cache.enabled) return snapshot;
    const generation = cache.generation;
    const fresh = await loadDistributions(db);
    if (cache.enabled && generation === cache.generation) snapshot = fresh;
    return fresh;
  }

  async function getTarget(dist: DistributionInfo): Promise<ServingTarget> {
    const hit = targets.get(dist.pulp_id);
    if (hit) return hit;
    const generation = cache.generation;
    const target = await loadServingTarget(db, dist, publicationTypes.has(dist.pulp_type));
    cache.store(targets, dist.pulp_id, target, generation);
    return target;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    if (method !== 'GET' && method !== 'HEAD') {
      sendText(res, 405, '405: Method Not Allowed', false, { Allow: 'GET, HEAD' });
      return;
    }
    const head = method === 'HEAD';
    if (handlers.length > 0) {
      const url = req.url ?? '/';
      for (const h of handlers) if (url.startsWith(h.prefix) && (await h.handle(req, res, handlerServices))) return;
    }
    const parsed = splitRequestPath(req.url ?? '/', prefix);
    if (parsed === null) {
      sendText(res, 404, '404: Not Found', head);
      return;
    }
    const { sub, rawPath } = parsed;
    if (outage.active() && (await serveLastGood(req, res, sub))) return;
    if (sub === '') {
      if (head) return sendHtml(res, Buffer.alloc(0), true);
      await cache.fresh();
      const snap = await getSnapshot();
      const entries = childSegments(snap, '').map((name) => ({ name, date: null, size: null }));
      return sendHtml(res, Buffer.from(renderListing(prefix, entries, true)), false);
    }
    await cache.fresh();
    if (outage.active() && (await serveLastGood(req, res, sub))) return;
    const endsSlash = sub.endsWith('/');
    const path = endsSlash ? sub.slice(0, -1) : sub;
    const snap = snapshot && cache.enabled ? snapshot : await getSnapshot();
    const dist = matchDistribution(snap, path);
    if (!dist) {
      if (!hasDistributionsBelow(snap, `${path}/`)) return sendText(res, 404, '404: Not Found', head);
      if (!endsSlash) return redirect(res, `${rawPath}/`);
      const entries = childSegments(snap, `${path}/`).map((name) => ({ name, date: null, size: null }));
      return sendHtml(res, Buffer.from(renderListing(`${prefix}${sub}`, entries, false)), head);
    }
    if (dist.content_guard_id !== null) {
      const allowed = await isAllowedByGuard(db, dist.content_guard_id, { request: req, path: sub });
      if (!allowed)
        return sendText(res, 403, '403: Access to the requested resource is forbidden by the content guard.', head);
    }
    const rel = path.length > dist.base_path.length ? path.slice(dist.base_path.length + 1) : '';
    if (dist.pulp_type === ARTIFACT_DISTRIBUTION_TYPE) {
      if (!(await serveArtifactById(db, storage, req, res, rel))) sendText(res, 404, '404: Not Found', head);
      return;
    }
    if (rel === '' && !endsSlash) return redirect(res, `${rawPath}/`);
    let key = `${dist.pulp_id}\n${sub.slice(dist.base_path.length)}`;
    let servedRel = rel;
    let checkpointTarget: ServingTarget | undefined;
    if (dist.checkpoint) {
      // A timestamped checkpoint root needs its slash too; the checkpoint is chosen afresh on every request.
      if (!endsSlash && !rel.includes('/')) return redirect(res, `${rawPath}/`);
      const cp = await resolveCheckpoint(db, dist.repository_id, rel);
      if (cp.kind === 'notfound') return sendText(res, 404, '404: Not Found', head);
      if (cp.kind === 'redirect')
        return redirect(
          res,
          `${prefix}${dist.base_path}/${cp.relativePath}${endsSlash && !cp.relativePath.endsWith('/') ? '/' : ''}`,
        );
      if (cp.kind === 'listing')
        return sendHtml(res, Buffer.from(renderListing(`${prefix}${sub}`, cp.entries, false)), head);
      checkpointTarget = cp.target;
      servedRel = cp.relativePath;
      key = `${dist.pulp_id}\n@${cp.target.publicationId}\n${servedRel}${endsSlash ? '/' : ''}`;
    }
    // A guard's verdict needs the database: such paths are never answered without it.
    const remember = dist.content_guard_id === null;
    let prepared = resolutions.get(key);
    const generation = cache.generation;
    let freshCandidates: Candidate[] | undefined;
    if (prepared === undefined) {
      const target = checkpointTarget ?? (await getTarget(dist));
      const resolution = await resolvePath(db, target, servedRel, endsSlash);
      switch (resolution.kind) {
        case 'served': {
          const served = resolution.served;
          if (served.kind === 'remote') {
            prepared = {
              kind: 'remote',
              contentArtifactId: served.contentArtifactId,
              contentType: contentTypeFor(resolution.relativePath),
            };
            freshCandidates = served.candidates;
            break;
          }
          const file = await prepareStoredFile(
            storage,
            served.file,
            served.size,
            contentTypeFor(resolution.relativePath),
            keepBodies(),
          );
          bodyBytes += file.body?.length ?? 0;
          prepared = { kind: 'file', file };
          break;
        }
        case 'redirect':
          prepared = { kind: 'redirect' };
          break;
        case 'listing':
          prepared = { kind: 'html', body: Buffer.from(renderListing(`${prefix}${sub}`, resolution.entries, false)) };
          break;
        case 'notfound':
          prepared = { kind: 'notfound', body: `404: ${resolution.reason ?? 'Not Found'}` };
          break;
        case 'error':
          throw new Error(resolution.message);
      }
      cache.store(resolutions, key, prepared, generation);
      if (prepared.kind === 'file' && remember) lastGood.record(sub, prepared.file);
      else lastGood.forget(sub);
    }
    switch (prepared.kind) {
      case 'file':
        try {
          await sendStoredFile(req, res, storage, prepared.file, redirectToStorage);
        } catch (err) {
          // Storage lost the file (repair, reclaim): forget the resolution so a fixed state is seen at once.
          if (err instanceof MissingFileError) resolutions.delete(key);
          throw err;
        }
        return;
      case 'remote': {
        const { contentType } = prepared;
        return onDemand.serve(
          req,
          res,
          prepared.contentArtifactId,
          contentType,
          async (name, size) => {
            const file = await prepareStoredFile(storage, name, size, contentType, cache.enabled);
            // Saved meanwhile: later requests go straight to storage.
            cache.store(resolutions, key, { kind: 'file', file }, generation);
            if (remember) lastGood.record(sub, file);
            await sendStoredFile(req, res, storage, file, redirectToStorage);
          },
          freshCandidates,
        );
      }
      case 'redirect':
        return redirect(res, `${rawPath}/`);
      case 'html':
        return sendHtml(res, prepared.body, head);
      case 'notfound':
        return sendText(res, 404, prepared.body, head);
    }
  }

  /** Answers `sub` from its last good resolution; false when there is none. */
  async function serveLastGood(req: IncomingMessage, res: ServerResponse, sub: string): Promise<boolean> {
    const file = lastGood.get(sub);
    if (!file) return false;
    try {
      await sendStoredFile(req, res, storage, file, redirectToStorage);
    } catch (err) {
      if (err instanceof MissingFileError) lastGood.forget(sub);
      throw err;
    }
    return true;
  }

  /** The database did not answer: the last good file of the path, else 503 with Retry-After. */
  async function answerWithoutDatabase(req: IncomingMessage, res: ServerResponse): Promise<void> {
    noteOutage();
    const parsed = splitRequestPath(req.url ?? '/', prefix);
    if (parsed !== null && (await serveLastGood(req, res, parsed.sub))) return;
    const retryAfter = String(Math.max(1, Math.ceil(settings.DB_CONNECT_TIMEOUT)));
    sendText(res, 503, '503: Service Unavailable (the database is not answering)', req.method === 'HEAD', {
      'Retry-After': retryAfter,
    });
  }

  const servedBy = options.servedByHeader ? processName() : null;
  const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    if (servedBy) res.setHeader('X-Pulp-Served-By', servedBy);
    if (metrics) {
      if (req.url === '/metrics') return void metrics.answer(res);
      metrics.track(req, res, prefix);
    }
    handle(req, res).catch(async (err: unknown) => {
      // A client that hangs up mid-body is normal traffic, not an error of ours.
      if ((err as NodeJS.ErrnoException).code === 'ERR_STREAM_PREMATURE_CLOSE') return;
      if (isDatabaseUnavailable(err) && !res.headersSent) {
        try {
          return await answerWithoutDatabase(req, res);
        } catch (second) {
          err = second;
        }
      }
      logger.error({ err, url: req.url }, 'content request failed');
      if (!res.headersSent) sendText(res, 500, '500: Internal Server Error', req.method === 'HEAD');
      else res.destroy();
    });
  });

  await Promise.all([cache.start(), claims.start()]);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  let stopHeartbeat: (() => void) | null = null;
  let appId: string | null = null;
  if (options.heartbeat !== false) {
    const app = await registerApp(db, 'content', processName(), { core: PULP_VERSION, 'pulp-ts': PULP_TS_VERSION });
    appId = app.pulp_id;
    stopHeartbeat = startHeartbeat(db, app.pulp_id, Math.max(1000, (settings.WORKER_TTL * 1000) / 3), (err) =>
      logger.warn({ err }, 'content app heartbeat failed'),
    );
  }
  logger.info({ host: options.host ?? '127.0.0.1', port }, 'content app listening');

  return {
    port,
    server,
    async close() {
      stopHeartbeat?.();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await onDemand.close();
      await claims.close();
      await cache.close();
      if (appId) await unregisterApp(db, appId).catch(() => undefined);
    },
  };
}

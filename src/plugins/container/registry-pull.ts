import { sql } from 'kysely';

import { loadUserPermissions, objectIdsWithPermission, preauthenticateUrl } from '../../plugin-api/index.js';
import { findUpload } from './blob-uploads.js';
import { clientAccepts, EMPTY_BLOB } from './media-types.js';
import { classifyReference } from './names.js';
import { createThrough, findPullThroughDistribution, mayCreateThrough } from './pull-through.js';
import { fetchThrough } from './pull-through-fetch.js';
import { pushTarget, redirectGuardId } from './push-target.js';
import { blobUnknown, digestInvalid, manifestUnknown, nameUnknown, RegistryError } from './registry-errors.js';
import type { RegistryContext } from './registry-http.js';
import { DISTRIBUTION_TYPE, PUSH_REPOSITORY_TYPE } from './resource-names.js';
import { contentOrigin } from './registry-settings.js';
import {
  availableBlobs,
  manifestByDigest,
  manifestByTag,
  type Scope,
  type ServedManifest,
  tagNames,
} from './repository-content.js';

/** Pulp's PAGE_SIZE: the default page of tag and catalog lists; at most ten times as many per page. */
const PAGE_SIZE = 100;

export interface PullSource {
  distributionId: string;
  contentGuardId: string | null;
  scope: Scope;
  /** Push repositories also serve what was pushed but not yet tagged (a list's children while it uploads). */
  pending: boolean;
  /** A distribution created by a pull-through distribution: what it lacks may be fetched from its remote. */
  pullThrough: { remoteId: string; namespaceId: string | null; pullThroughId: string } | null;
}

/** What a pull of `name` reads: the distribution's repository (latest version) or its pinned version. */
export async function pullSource(ctx: RegistryContext, name: string, create = true): Promise<PullSource> {
  const source = await findSource(ctx, name);
  if (source) return source;
  const pt = create ? await findPullThroughDistribution(ctx.registry.services.db, name) : undefined;
  if (pt && (await mayCreateThrough(ctx.registry.services, ctx.caller.user, pt))) {
    await createThrough(ctx.registry.services, pt, name);
    const created = await findSource(ctx, name);
    if (created) return created;
  }
  throw nameUnknown(name);
}

async function findSource(ctx: RegistryContext, name: string): Promise<PullSource | null> {
  const { rows } = await sql<{
    pulp_id: string;
    content_guard_id: string | null;
    remote_id: string | null;
    detail: Record<string, unknown>;
    repository_id: string | null;
    repository_type: string | null;
    version_repository_id: string | null;
    version_number: number | null;
  }>`
    SELECT d.pulp_id, d.content_guard_id, d.remote_id, d.detail, d.repository_id, r.pulp_type AS repository_type,
      rv.repository_id AS version_repository_id, rv.number AS version_number
    FROM distribution d
    LEFT JOIN repository r ON r.pulp_id = d.repository_id
    LEFT JOIN repository_version rv ON rv.pulp_id = d.repository_version_id
    WHERE d.base_path = ${name} AND d.pulp_type = ${DISTRIBUTION_TYPE}`.execute(ctx.registry.services.db);
  const d = rows[0];
  if (!d) return null;
  const ptId = d.detail.pull_through_distribution_id;
  const pullThrough =
    d.remote_id && typeof ptId === 'string'
      ? {
          remoteId: d.remote_id,
          pullThroughId: ptId,
          namespaceId: typeof d.detail.namespace_id === 'string' ? d.detail.namespace_id : null,
        }
      : null;
  if (d.repository_id)
    return {
      distributionId: d.pulp_id,
      contentGuardId: d.content_guard_id,
      scope: { repositoryId: d.repository_id, latest: true },
      pending: d.repository_type === PUSH_REPOSITORY_TYPE,
      pullThrough,
    };
  if (d.version_repository_id !== null && d.version_number !== null)
    return {
      distributionId: d.pulp_id,
      contentGuardId: d.content_guard_id,
      scope: { repositoryId: d.version_repository_id, number: d.version_number },
      pending: false,
      pullThrough: null,
    };
  throw nameUnknown(name);
}

function pageSize(query: URLSearchParams): number {
  const raw = query.get('n');
  if (raw === null || !/^-?\d+$/.test(raw)) return PAGE_SIZE;
  return Math.min(Math.max(Number(raw), 0), 10 * PAGE_SIZE);
}

function nextPageLink(ctx: RegistryContext, n: number, last: string): string {
  const q = new URLSearchParams(ctx.query);
  q.set('n', String(n));
  q.set('last', last);
  return `<${new URL(ctx.request.url, 'http://x').pathname}?${q.toString()}>; rel="next"`;
}

function sendManifest(ctx: RegistryContext, m: ServedManifest): unknown {
  void ctx.reply
    .code(200)
    .header('content-type', m.media_type)
    .header('docker-content-digest', m.digest)
    .header('etag', `"${m.digest}"`)
    .header('content-length', String(m.data.length));
  return ctx.method === 'HEAD' ? ctx.reply.send() : ctx.reply.send(m.data);
}

async function getManifest(ctx: RegistryContext, name: string, reference: string): Promise<unknown> {
  const db = ctx.registry.services.db;
  const source = await pullSource(ctx, name);
  const kind = classifyReference(reference);
  if (kind === 'invalid-digest') throw digestInvalid(reference, 'unsupported or malformed digest');
  if (kind === 'invalid') throw manifestUnknown(reference);
  if (kind === 'tag') {
    const m = (await manifestByTag(db, source.scope, reference)) ?? (await fetchThrough(ctx, source, reference, 'tag'));
    // pulp_container answers a tag whose format the client does not accept as unknown: no conversion.
    if (!m || !clientAccepts(ctx.request.headers.accept, m.media_type)) throw manifestUnknown(reference);
    return sendManifest(ctx, m);
  }
  const m =
    (await manifestByDigest(db, source.scope, reference, source.pending)) ??
    (await fetchThrough(ctx, source, reference, 'digest'));
  if (!m) throw manifestUnknown(reference);
  return sendManifest(ctx, m);
}

/** Blobs are served by the content app: a redirect to its signed, expiring URL. */
async function getBlob(ctx: RegistryContext, name: string, digest: string): Promise<unknown> {
  const db = ctx.registry.services.db;
  const source = await pullSource(ctx, name);
  if (classifyReference(digest) !== 'digest') throw digestInvalid(digest, 'unsupported or malformed digest');
  const found = await availableBlobs(db, source.scope, [digest], source.pending);
  if (!found.has(digest) && digest !== EMPTY_BLOB) throw blobUnknown(digest);
  const guardId = source.contentGuardId ?? (await redirectGuardId(db));
  const url = `${contentOrigin(ctx.registry.settings, ctx.origin)}/pulp/container/${name}/blobs/${digest}`;
  const location = guardId ? await preauthenticateUrl(db, guardId, url) : url;
  return ctx.reply.code(302).header('location', location).header('docker-content-digest', digest).send();
}

async function listTags(ctx: RegistryContext, name: string): Promise<unknown> {
  const source = await pullSource(ctx, name);
  const n = pageSize(ctx.query);
  const tags = n === 0 ? [] : await tagNames(ctx.registry.services.db, source.scope, n, ctx.query.get('last'));
  if (n > 0 && tags.length === n) void ctx.reply.header('link', nextPageLink(ctx, n, tags.at(-1)!));
  return ctx.reply.code(200).type('application/json').send({ name, tags });
}

/** `_catalog`: the distributions the caller may pull from, by name, paged like tag lists. */
async function catalog(ctx: RegistryContext): Promise<unknown> {
  const { services, settings } = ctx.registry;
  const n = pageSize(ctx.query);
  const last = ctx.query.get('last');
  const user = ctx.caller.user;
  let visible = sql`true`;
  if (!settings.TOKEN_AUTH_DISABLED) {
    const perms = user ? await loadUserPermissions(services.db, user) : null;
    const all =
      perms &&
      (perms.hasModel('container.pull_containerdistribution') ||
        perms.hasModel('container.namespace_pull_containerdistribution'));
    if (!all)
      visible = user
        ? sql`(coalesce((d.detail->>'private')::boolean, false) = false
            OR d.pulp_id::text IN ${objectIdsWithPermission(user.id, 'container.containerdistribution', 'container.pull_containerdistribution')}
            OR d.detail->>'namespace_id' IN ${objectIdsWithPermission(user.id, 'container.containernamespace', 'container.namespace_pull_containerdistribution')})`
        : sql`coalesce((d.detail->>'private')::boolean, false) = false`;
  }
  const { rows } =
    n === 0
      ? { rows: [] }
      : await sql<{ base_path: string }>`
    SELECT d.base_path FROM distribution d WHERE d.pulp_type = ${DISTRIBUTION_TYPE} AND ${visible}
      ${last === null ? sql`` : sql`AND d.base_path > ${last}`}
    ORDER BY d.base_path LIMIT ${n}`.execute(services.db);
  const names = rows.map((r) => r.base_path);
  if (n > 0 && names.length === n) void ctx.reply.header('link', nextPageLink(ctx, n, names.at(-1)!));
  return ctx.reply.code(200).type('application/json').send({ repositories: names });
}

/** pulp_container's signature extension: the atomic signatures of a manifest (often none). */
async function getSignatures(ctx: RegistryContext, name: string, digest: string): Promise<unknown> {
  const db = ctx.registry.services.db;
  const source = await pullSource(ctx, name, false);
  if (classifyReference(digest) !== 'digest') throw manifestUnknown(digest);
  const manifest =
    (await manifestByDigest(db, source.scope, digest, source.pending)) ??
    (await sql<ServedManifest>`SELECT content_id FROM container_manifest WHERE digest = ${digest}`.execute(db)).rows[0];
  if (!manifest) throw manifestUnknown(digest);
  const scope = source.scope;
  const inScope =
    'latest' in scope
      ? sql`rc.version_removed IS NULL`
      : sql`rc.version_added <= ${scope.number} AND (rc.version_removed IS NULL OR rc.version_removed > ${scope.number})`;
  const { rows } = await sql<{ type: string; name: string; data: string }>`
    SELECT s.type, s.name, s.data FROM container_manifest_signature s
    JOIN repository_content rc ON rc.content_id = s.content_id AND rc.repository_id = ${scope.repositoryId} AND ${inScope}
    WHERE s.signed_manifest_id = ${manifest.content_id} ORDER BY s.name`.execute(db);
  return ctx.reply
    .code(200)
    .type('application/json')
    .send({ signatures: rows.map((r) => ({ schemaVersion: 2, type: r.type, name: r.name, content: r.data })) });
}

async function uploadStatus(ctx: RegistryContext, name: string, uuid: string): Promise<unknown> {
  const target = await pushTarget(ctx.registry.services, name, ctx.caller.user, false);
  const upload = await findUpload(ctx.registry.services.db, target.repositoryId, uuid);
  return ctx.reply
    .code(204)
    .header('location', `/v2/${name}/blobs/uploads/${upload.pulp_id}`)
    .header('range', `0-${Math.max(upload.size - 1, 0)}`)
    .header('docker-upload-uuid', upload.pulp_id)
    .send();
}

/** GET and HEAD of the registry API. */
export async function handlePull(ctx: RegistryContext): Promise<unknown> {
  const p = ctx.path;
  switch (p.kind) {
    case 'catalog':
      return catalog(ctx);
    case 'tags':
      return listTags(ctx, p.name);
    case 'manifest':
      return getManifest(ctx, p.name, p.reference);
    case 'blob':
      return getBlob(ctx, p.name, p.digest);
    case 'signatures':
      return getSignatures(ctx, p.name, p.digest);
    case 'upload':
      return uploadStatus(ctx, p.name, p.uuid);
    case 'uploads':
      throw new RegistryError('UNSUPPORTED', 'Method not allowed.');
  }
}

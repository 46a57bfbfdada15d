import { sql } from 'kysely';

import {
  appendToUpload,
  cancelUpload,
  completeUpload,
  createUpload,
  findUpload,
  type UploadRow,
  uploadWhole,
} from './blob-uploads.js';
import { ensureBlob } from './content-store.js';
import { MAX_MANIFEST_SIZE } from './manifest.js';
import { classifyReference, isValidRepositoryName } from './names.js';
import { pushTarget } from './push-target.js';
import { PUSH_REPOSITORY_TYPE } from './resource-names.js';
import { receiveManifest } from './receive-manifest.js';
import { digestInvalid, manifestUnknown, RegistryError, sizeInvalid, unsupported } from './registry-errors.js';
import type { RegistryContext } from './registry-http.js';
import { applyVersionChange } from './version-change.js';
import { pullSource } from './registry-pull.js';
import { addPendingBlob, availableBlobs, manifestByDigest, manifestByTag } from './repository-content.js';

function uploadHeaders(ctx: RegistryContext, name: string, upload: { pulp_id: string; size: number }) {
  void ctx.reply
    .header('location', `/v2/${name}/blobs/uploads/${upload.pulp_id}`)
    .header('range', `0-${Math.max(upload.size - 1, 0)}`)
    .header('docker-upload-uuid', upload.pulp_id)
    .header('content-length', '0');
}

function blobCreated(ctx: RegistryContext, name: string, digest: string): unknown {
  return ctx.reply
    .code(201)
    .header('location', `/v2/${name}/blobs/${digest}`)
    .header('docker-content-digest', digest)
    .header('content-length', '0')
    .send();
}

/** Whether the request carries a body (PUT of an upload may or may not carry the last chunk). */
function hasBody(ctx: RegistryContext): boolean {
  const length = ctx.request.headers['content-length'];
  if (length !== undefined) return length !== '0';
  return ctx.request.headers['transfer-encoding'] !== undefined;
}

function requireDigest(value: string | null): string {
  if (value === null || classifyReference(value) !== 'digest')
    throw digestInvalid(value ?? '', 'a sha256 digest parameter is required');
  return value;
}

/** `Content-Range: <start>-<end>` (Docker's form; a `bytes` prefix is tolerated). */
function contentRange(header: string | undefined): { start: number; length: number } | null {
  if (header === undefined) return null;
  const m = /^(?:bytes[ =])?(\d+)-(\d+)$/.exec(header.trim());
  if (!m) throw new RegistryError('BLOB_UPLOAD_INVALID', 'Invalid Content-Range header.');
  const start = Number(m[1]);
  const end = Number(m[2]);
  if (end < start) throw new RegistryError('BLOB_UPLOAD_INVALID', 'Invalid Content-Range header.');
  return { start, length: end - start + 1 };
}

/** POST /v2/<name>/blobs/uploads/: a new upload, a monolithic upload (?digest=), or a mount (?mount=&from=). */
async function startUpload(ctx: RegistryContext, name: string): Promise<unknown> {
  const { services } = ctx.registry;
  const target = await pushTarget(services, name, ctx.caller.user, true);
  const mount = ctx.query.get('mount');
  const from = ctx.query.get('from');
  if (mount !== null && from !== null && isValidRepositoryName(from)) {
    const digest = requireDigest(mount);
    const source = await pullSource(ctx, from, false).catch(() => null);
    const found = source ? await availableBlobs(services.db, source.scope, [digest], source.pending) : null;
    const blobId = found?.get(digest);
    if (blobId) {
      await addPendingBlob(services.db, target.repositoryId, blobId);
      return blobCreated(ctx, name, digest);
    }
    // The distribution spec: a mount that cannot be done starts an ordinary upload instead.
  }
  const digestParam = ctx.query.get('digest');
  if (digestParam !== null && mount === null) {
    const digest = requireDigest(digestParam);
    const artifact = await uploadWhole(services, ctx.request.raw, digest);
    const blobId = await ensureBlob(services.db, digest, artifact.pulp_id);
    await addPendingBlob(services.db, target.repositoryId, blobId);
    return blobCreated(ctx, name, digest);
  }
  const id = await createUpload(services, target.repositoryId);
  uploadHeaders(ctx, name, { pulp_id: id, size: 0 });
  return ctx.reply.code(202).send();
}

async function currentUpload(ctx: RegistryContext, name: string, uuid: string): Promise<UploadRow> {
  const target = await pushTarget(ctx.registry.services, name, ctx.caller.user, false);
  return findUpload(ctx.registry.services.db, target.repositoryId, uuid);
}

/** PATCH: a chunk, at the offset its Content-Range states or appended (streamed upload). */
async function patchUpload(ctx: RegistryContext, name: string, uuid: string): Promise<unknown> {
  const upload = await currentUpload(ctx, name, uuid);
  const range = contentRange(ctx.request.headers['content-range']);
  const size = await appendToUpload(
    ctx.registry.services,
    upload,
    ctx.request.raw,
    range?.start ?? upload.size,
    range?.length ?? null,
  );
  uploadHeaders(ctx, name, { pulp_id: upload.pulp_id, size });
  return ctx.reply.code(202).send();
}

/** PUT ?digest=: completes the upload (with an optional last chunk); the blob becomes available to the push. */
async function putUpload(ctx: RegistryContext, name: string, uuid: string): Promise<unknown> {
  const { services } = ctx.registry;
  const digest = requireDigest(ctx.query.get('digest'));
  const upload = await currentUpload(ctx, name, uuid);
  const artifact = await completeUpload(services, upload, hasBody(ctx) ? ctx.request.raw : null, digest);
  const blobId = await ensureBlob(services.db, digest, artifact.pulp_id);
  await addPendingBlob(services.db, upload.repository_id, blobId);
  return blobCreated(ctx, name, digest);
}

async function deleteUpload(ctx: RegistryContext, name: string, uuid: string): Promise<unknown> {
  const upload = await currentUpload(ctx, name, uuid);
  await cancelUpload(ctx.registry.services, upload);
  return ctx.reply.code(204).send();
}

async function readBody(ctx: RegistryContext, limit: number): Promise<Buffer> {
  const declared = Number(ctx.request.headers['content-length'] ?? '0');
  if (declared > limit)
    throw new RegistryError('SIZE_INVALID', `manifest is larger than ${limit} bytes`, {}, { status: 413 });
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.request.raw) {
    size += (chunk as Buffer).length;
    if (size > limit)
      throw new RegistryError('SIZE_INVALID', `manifest is larger than ${limit} bytes`, {}, { status: 413 });
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** PUT /v2/<name>/manifests/<reference>. */
async function putManifest(ctx: RegistryContext, name: string, reference: string): Promise<unknown> {
  const { services } = ctx.registry;
  const bytes = await readBody(ctx, MAX_MANIFEST_SIZE);
  const target = await pushTarget(services, name, ctx.caller.user, true);
  const received = await receiveManifest(
    services,
    target.repositoryId,
    reference,
    bytes,
    ctx.request.headers['content-type'],
  );
  if (received.version)
    await applyVersionChange(
      ctx,
      PUSH_REPOSITORY_TYPE,
      target.repositoryId,
      received.version.add,
      received.version.remove,
    );
  return ctx.reply
    .code(201)
    .header('location', `/v2/${name}/manifests/${received.parsed.digest}`)
    .header('docker-content-digest', received.parsed.digest)
    .header('content-length', '0')
    .send();
}

/** DELETE of a manifest by digest (with the tags naming it) or of a tag, as a new version. */
async function deleteManifest(ctx: RegistryContext, name: string, reference: string): Promise<unknown> {
  const { services } = ctx.registry;
  const target = await pushTarget(services, name, ctx.caller.user, false);
  const scope = { repositoryId: target.repositoryId, latest: true } as const;
  const kind = classifyReference(reference);
  let remove: string[];
  if (kind === 'digest') {
    const manifest = await manifestByDigest(services.db, scope, reference);
    if (!manifest) throw manifestUnknown(reference);
    const { rows } = await sql<{ content_id: string }>`
      SELECT content_id FROM container_tag WHERE tagged_manifest_id = ${manifest.content_id}
      UNION SELECT content_id FROM container_manifest_signature WHERE signed_manifest_id = ${manifest.content_id}`.execute(
      services.db,
    );
    remove = [manifest.content_id, ...rows.map((r) => r.content_id)];
  } else if (kind === 'tag') {
    const manifest = await manifestByTag(services.db, scope, reference);
    if (!manifest) throw manifestUnknown(reference);
    const { rows } = await sql<{ content_id: string }>`
      SELECT content_id FROM container_tag WHERE name = ${reference} AND tagged_manifest_id = ${manifest.content_id}`.execute(
      services.db,
    );
    remove = rows.map((r) => r.content_id);
  } else throw digestInvalid(reference, 'unsupported or malformed digest');
  await applyVersionChange(ctx, PUSH_REPOSITORY_TYPE, target.repositoryId, [], remove);
  return ctx.reply.code(202).header('content-length', '0').send();
}

/** POST, PUT, PATCH and DELETE of the registry API. */
export async function handlePush(ctx: RegistryContext): Promise<unknown> {
  const p = ctx.path;
  const m = ctx.method;
  if (p.kind === 'uploads' && m === 'POST') return startUpload(ctx, p.name);
  if (p.kind === 'upload' && m === 'PATCH') return patchUpload(ctx, p.name, p.uuid);
  if (p.kind === 'upload' && m === 'PUT') return putUpload(ctx, p.name, p.uuid);
  if (p.kind === 'upload' && m === 'DELETE') return deleteUpload(ctx, p.name, p.uuid);
  if (p.kind === 'manifest' && m === 'PUT') return putManifest(ctx, p.name, p.reference);
  if (p.kind === 'manifest' && m === 'DELETE') return deleteManifest(ctx, p.name, p.reference);
  if (p.kind === 'blob' && m === 'PUT') throw sizeInvalid('Blobs are pushed through uploads.');
  throw unsupported('The operation is unsupported.');
}

import { sql } from 'kysely';

import { createRepositoryVersion, NotFoundError, type TaskContext } from '../../plugin-api/index.js';
import { type Db, ensureTag, manifestClosure } from './content-store.js';
import { finalizeContainerVersion } from './finalize-version.js';
import { LIST_MEDIA_TYPES } from './media-types.js';

/** Pulp's task names (pulp_container/app/tasks/). */
export const RECURSIVE_ADD_TASK = 'pulp_container.app.tasks.recursive_add.recursive_add_content';
export const RECURSIVE_REMOVE_TASK = 'pulp_container.app.tasks.recursive_remove.recursive_remove_content';
export const TAG_TASK = 'pulp_container.app.tasks.tag.tag_image';
export const UNTAG_TASK = 'pulp_container.app.tasks.untag.untag_image';

async function newVersion(ctx: TaskContext, repositoryId: string, add: string[], remove: string[] | '*') {
  const version = await createRepositoryVersion(
    ctx.services.db,
    repositoryId,
    remove === '*' ? { add, removeAll: true } : { add, remove },
    { apiPrefix: ctx.services.apiPrefix, finalize: finalizeContainerVersion },
  );
  if (version) await ctx.addCreatedResource(version.href);
}

/** Ids of the repository's latest content, by pulp_type. */
async function latestContent(db: Db, repositoryId: string): Promise<Map<string, string>> {
  const { rows } = await sql<{ id: string; pulp_type: string }>`
    SELECT c.pulp_id AS id, c.pulp_type FROM repository_content rc JOIN content c ON c.pulp_id = rc.content_id
    WHERE rc.repository_id = ${repositoryId} AND rc.version_removed IS NULL`.execute(db);
  return new Map(rows.map((r) => [r.id, r.pulp_type]));
}

/**
 * Everything the given units need to be pullable (pulp_container's recursive_add_content): a tag brings its
 * manifest, a list its children, a manifest its config and layers, and manifests their signatures.
 */
export async function recursiveClosure(db: Db, ids: string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const tagged = await sql<{ id: string }>`
    SELECT tagged_manifest_id AS id FROM container_tag WHERE content_id = ANY(${ids}::uuid[])
    UNION SELECT content_id FROM container_manifest WHERE content_id = ANY(${ids}::uuid[])`.execute(db);
  const manifests = await manifestClosure(
    db,
    tagged.rows.map((r) => r.id),
  );
  const signatures = await sql<{ id: string }>`
    SELECT content_id AS id FROM container_manifest_signature
    WHERE signed_manifest_id = ANY(${manifests}::uuid[])`.execute(db);
  return [...new Set([...ids, ...manifests, ...signatures.rows.map((r) => r.id)])];
}

export async function recursiveAdd(ctx: TaskContext): Promise<void> {
  const args = ctx.args as { repository_pk: string; content_units?: string[] };
  const add = await recursiveClosure(ctx.services.db, args.content_units ?? []);
  await newVersion(ctx, args.repository_pk, add, []);
}

/**
 * pulp_container's recursive_remove_content: the given units and what only they reference, level by level
 * (tags, then lists, then images, then blobs); anything still referenced by content that stays, stays.
 */
export async function recursiveRemove(ctx: TaskContext): Promise<void> {
  const args = ctx.args as { repository_pk: string; content_units?: string[] };
  const units = args.content_units ?? [];
  if (units.includes('*')) return newVersion(ctx, args.repository_pk, [], '*');
  const db = ctx.services.db;
  const latest = await latestContent(db, args.repository_pk);
  const inRepo = [...latest.keys()];
  const given = new Set(units);
  const tags = (
    await sql<{ id: string; manifest: string }>`
    SELECT content_id AS id, tagged_manifest_id AS manifest FROM container_tag
    WHERE content_id = ANY(${inRepo}::uuid[])`.execute(db)
  ).rows;
  const manifests = (
    await sql<{ id: string; media_type: string; config: string | null }>`
    SELECT content_id AS id, media_type, config_blob_id AS config FROM container_manifest
    WHERE content_id = ANY(${inRepo}::uuid[])`.execute(db)
  ).rows;
  const listed = (
    await sql<{ list: string; manifest: string }>`
    SELECT list_id AS list, manifest_id AS manifest FROM container_manifest_list_manifest
    WHERE list_id = ANY(${inRepo}::uuid[])`.execute(db)
  ).rows;
  const blobLinks = (
    await sql<{ manifest: string; blob: string }>`
    SELECT manifest_id AS manifest, blob_id AS blob FROM container_blob_manifest
    WHERE manifest_id = ANY(${inRepo}::uuid[])`.execute(db)
  ).rows;
  const isList = (m: { media_type: string }) => LIST_MEDIA_TYPES.includes(m.media_type);

  const tagsToRemove = new Set(tags.filter((t) => given.has(t.id)).map((t) => t.id));
  const taggedRemain = new Set(tags.filter((t) => !tagsToRemove.has(t.id)).map((t) => t.manifest));
  const taggedRemove = new Set(tags.filter((t) => tagsToRemove.has(t.id)).map((t) => t.manifest));

  const lists = manifests.filter(isList);
  const listsToRemove = new Set(
    lists.filter((m) => (given.has(m.id) || taggedRemove.has(m.id)) && !taggedRemain.has(m.id)).map((m) => m.id),
  );
  const listedRemain = new Set(listed.filter((l) => !listsToRemove.has(l.list)).map((l) => l.manifest));
  const listedRemove = new Set(listed.filter((l) => listsToRemove.has(l.list)).map((l) => l.manifest));

  const images = manifests.filter((m) => !isList(m));
  const imagesToRemove = new Set(
    images
      .filter((m) => given.has(m.id) || taggedRemove.has(m.id) || listedRemove.has(m.id))
      .filter((m) => !taggedRemain.has(m.id) && !listedRemain.has(m.id))
      .map((m) => m.id),
  );
  const blobsOf = (keep: boolean) => {
    const out = new Set<string>();
    for (const m of images) {
      if (imagesToRemove.has(m.id) === keep) continue;
      if (m.config) out.add(m.config);
    }
    for (const b of blobLinks) if (imagesToRemove.has(b.manifest) !== keep) out.add(b.blob);
    return out;
  };
  const blobsRemain = blobsOf(true);
  const blobsRemove = blobsOf(false);
  const blobsToRemove = [...latest]
    .filter(([id, type]) => type === 'container.blob' && (given.has(id) || blobsRemove.has(id)))
    .map(([id]) => id)
    .filter((id) => !blobsRemain.has(id));
  const removedManifests = [...listsToRemove, ...imagesToRemove];
  const signatures = (
    await sql<{ id: string }>`
    SELECT content_id AS id FROM container_manifest_signature
    WHERE content_id = ANY(${inRepo}::uuid[])
      AND (content_id = ANY(${[...given]}::uuid[]) OR signed_manifest_id = ANY(${removedManifests}::uuid[]))`.execute(
      db,
    )
  ).rows.map((r) => r.id);
  await newVersion(
    ctx,
    args.repository_pk,
    [],
    [...tagsToRemove, ...removedManifests, ...blobsToRemove, ...signatures],
  );
}

/** pulp_container's tag_image: the tag (created when new) replaces the repository's tag of that name. */
export async function tagImage(ctx: TaskContext): Promise<void> {
  const args = ctx.args as { manifest_pk: string; tag: string; repository_pk: string };
  const db = ctx.services.db;
  const exists = await sql`SELECT 1 FROM container_manifest WHERE content_id = ${args.manifest_pk}`.execute(db);
  if (exists.rows.length === 0) throw new NotFoundError('The manifest no longer exists.');
  const tagId = await ensureTag(db, args.tag, args.manifest_pk);
  // finalizeContainerVersion removes the older tag of the same name.
  await newVersion(ctx, args.repository_pk, [tagId], []);
}

/** pulp_container's untag_image: a version without the repository's tag of that name. */
export async function untagImage(ctx: TaskContext): Promise<void> {
  const args = ctx.args as { tag: string; repository_pk: string };
  const { rows } = await sql<{ id: string }>`
    SELECT t.content_id AS id FROM container_tag t
    JOIN repository_content rc ON rc.content_id = t.content_id AND rc.repository_id = ${args.repository_pk}
      AND rc.version_removed IS NULL
    WHERE t.name = ${args.tag}`.execute(ctx.services.db);
  await newVersion(
    ctx,
    args.repository_pk,
    [],
    rows.map((r) => r.id),
  );
}

import { sql } from 'kysely';

import type { Services } from '../../plugin-api/index.js';
import type { ParsedManifest } from './manifest.js';
import type { ImageConfigInfo } from './manifest-metadata.js';
import { manifestType } from './manifest-metadata.js';

/** A connection or a transaction (Kysely's Transaction is a Kysely). */
export type Db = Services['db'];

export const BLOB_TYPE = 'container.blob';
export const MANIFEST_TYPE = 'container.manifest';
export const TAG_TYPE = 'container.tag';
export const SIGNATURE_TYPE = 'container.signature';

/**
 * Writes of container content units: each is found by its natural key (digest; tag name and manifest) or
 * created once. Creation runs in its own transaction: the content row and the detail row appear together, and
 * when another process created the same unit first, ours is rolled back and theirs returned.
 */
class LostRace extends Error {}

async function createOnce(
  db: Db,
  find: (db: Db) => Promise<string | undefined>,
  insert: (trx: Db, contentId: string) => Promise<boolean>,
  pulpType: string,
): Promise<{ id: string; created: boolean }> {
  const found = await find(db);
  if (found) return { id: found, created: false };
  try {
    const id = await db.transaction().execute(async (trx) => {
      const { rows } = await sql<{ pulp_id: string }>`
        INSERT INTO content (pulp_type) VALUES (${pulpType}) RETURNING pulp_id`.execute(trx);
      const contentId = rows[0]!.pulp_id;
      if (!(await insert(trx, contentId))) throw new LostRace();
      return contentId;
    });
    return { id, created: true };
  } catch (err) {
    if (!(err instanceof LostRace)) throw err;
    const winner = await find(db);
    if (!winner) throw new Error(`The ${pulpType} unit vanished while it was being created.`, { cause: err });
    return { id: winner, created: false };
  }
}

/** Protects reused units from orphan cleanup (Pulp's `touch`). */
export async function touchContent(db: Db, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await sql`UPDATE content SET timestamp_of_interest = clock_timestamp() WHERE pulp_id = ANY(${ids}::uuid[])`.execute(
    db,
  );
}

/** Blob content ids by digest, for the digests that exist. */
export async function blobIds(db: Db, digests: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (digests.length === 0) return out;
  const { rows } = await sql<{ content_id: string; digest: string }>`
    SELECT content_id, digest FROM container_blob WHERE digest = ANY(${[...digests]}::text[])`.execute(db);
  for (const r of rows) out.set(r.digest, r.content_id);
  return out;
}

/**
 * The blob unit of `digest`, linked to `artifactId` when given. An existing blob whose artifact was missing
 * (on-demand, or reclaimed) gets this one: pulp_container's re-upload repair.
 */
export async function ensureBlob(db: Db, digest: string, artifactId: string | null): Promise<string> {
  const { id, created } = await createOnce(
    db,
    async (d) => (await blobIds(d, [digest])).get(digest),
    async (trx, contentId) => {
      const { rows } = await sql<{ content_id: string }>`
        INSERT INTO container_blob (content_id, digest) VALUES (${contentId}, ${digest})
        ON CONFLICT (digest) DO NOTHING RETURNING content_id`.execute(trx);
      if (rows.length === 0) return false;
      await sql`INSERT INTO content_artifact (content_id, artifact_id, relative_path)
        VALUES (${contentId}, ${artifactId}, ${digest})`.execute(trx);
      return true;
    },
    BLOB_TYPE,
  );
  if (!created) {
    await touchContent(db, [id]);
    if (artifactId)
      await sql`INSERT INTO content_artifact (content_id, artifact_id, relative_path) VALUES (${id}, ${artifactId}, ${digest})
        ON CONFLICT (content_id, relative_path) DO UPDATE SET artifact_id = EXCLUDED.artifact_id
        WHERE content_artifact.artifact_id IS NULL`.execute(db);
  }
  return id;
}

export interface ManifestRow {
  content_id: string;
  digest: string;
  media_type: string;
  data: Buffer;
}

export async function manifestIds(db: Db, digests: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (digests.length === 0) return out;
  const { rows } = await sql<{ content_id: string; digest: string }>`
    SELECT content_id, digest FROM container_manifest WHERE digest = ANY(${[...digests]}::text[])`.execute(db);
  for (const r of rows) out.set(r.digest, r.content_id);
  return out;
}

export interface ManifestLinks {
  /** The image's config blob (images only). */
  configBlobId: string | null;
  /** The layer blobs an image names (foreign layers aside), by content id; the config is `configBlobId`. */
  blobIds: string[];
  /** Child manifests of a list, by content id, with their entry. */
  children: Array<{ manifestId: string; entry: { platform: ListPlatform | null } }>;
  config: ImageConfigInfo;
}

interface ListPlatform {
  architecture: string;
  os: string;
  'os.version'?: string;
  'os.features'?: string[];
  variant?: string;
  features?: string[];
}

/**
 * The manifest unit of a parsed manifest, with its blob and child relations. The relations are written with
 * the unit, so a manifest never exists without the blobs or children it names.
 */
export async function ensureManifest(db: Db, parsed: ParsedManifest, links: ManifestLinks): Promise<string> {
  const { id, created } = await createOnce(
    db,
    async (d) => (await manifestIds(d, [parsed.digest])).get(parsed.digest),
    async (trx, contentId) => {
      const type = manifestType(parsed, links.config.labels);
      const { rows } = await sql<{ content_id: string }>`
        INSERT INTO container_manifest (content_id, digest, schema_version, media_type, type, data, annotations,
          labels, architecture, os, compressed_image_size, is_bootable, is_flatpak, config_blob_id)
        VALUES (${contentId}, ${parsed.digest}, 2, ${parsed.mediaType}, ${type}, ${parsed.bytes},
          ${JSON.stringify(parsed.annotations)}::jsonb, ${JSON.stringify(links.config.labels)}::jsonb,
          ${links.config.architecture}, ${links.config.os},
          ${parsed.kind === 'image' ? parsed.compressedSize : null}, ${type === 'bootable'}, ${type === 'flatpak'},
          ${links.configBlobId})
        ON CONFLICT (digest) DO NOTHING RETURNING content_id`.execute(trx);
      if (rows.length === 0) return false;
      if (links.blobIds.length > 0)
        await sql`INSERT INTO container_blob_manifest (manifest_id, blob_id)
          SELECT ${contentId}, b FROM unnest(${[...new Set(links.blobIds)]}::uuid[]) AS b`.execute(trx);
      const seen = new Set<string>();
      const children = links.children.filter((c) => !seen.has(c.manifestId) && seen.add(c.manifestId));
      if (children.length > 0) {
        const p = (f: (pl: ListPlatform) => string | string[] | undefined) =>
          children.map((c) => {
            const v = c.entry.platform ? f(c.entry.platform) : undefined;
            return Array.isArray(v) ? v.join(',') : (v ?? '');
          });
        await sql`INSERT INTO container_manifest_list_manifest
            (list_id, manifest_id, architecture, os, os_version, os_features, features, variant)
          SELECT ${contentId}, * FROM unnest(${children.map((c) => c.manifestId)}::uuid[],
            ${p((x) => x.architecture)}::text[], ${p((x) => x.os)}::text[], ${p((x) => x['os.version'])}::text[],
            ${p((x) => x['os.features'])}::text[], ${p((x) => x.features)}::text[], ${p((x) => x.variant)}::text[])`.execute(
          trx,
        );
      }
      return true;
    },
    MANIFEST_TYPE,
  );
  if (!created) await touchContent(db, [id]);
  return id;
}

/** The tag unit naming `manifestId` as `name`. */
export async function ensureTag(db: Db, name: string, manifestId: string): Promise<string> {
  const find = async (d: Db) => {
    const { rows } = await sql<{ content_id: string }>`
      SELECT content_id FROM container_tag WHERE name = ${name} AND tagged_manifest_id = ${manifestId}`.execute(d);
    return rows[0]?.content_id;
  };
  const { id, created } = await createOnce(
    db,
    find,
    async (trx, contentId) => {
      const { rows } = await sql<{ content_id: string }>`
        INSERT INTO container_tag (content_id, name, tagged_manifest_id) VALUES (${contentId}, ${name}, ${manifestId})
        ON CONFLICT (name, tagged_manifest_id) DO NOTHING RETURNING content_id`.execute(trx);
      return rows.length > 0;
    },
    TAG_TYPE,
  );
  if (!created) await touchContent(db, [id]);
  return id;
}

/**
 * Everything a version must hold for a manifest to be pullable: for an image its config and layers, for a
 * list its children with theirs (pulp_container's recursive add).
 */
export async function manifestClosure(db: Db, manifestIds: readonly string[]): Promise<string[]> {
  if (manifestIds.length === 0) return [];
  const { rows } = await sql<{ id: string }>`
    WITH RECURSIVE m(id) AS (
      SELECT unnest(${[...manifestIds]}::uuid[])
      UNION SELECT l.manifest_id FROM container_manifest_list_manifest l JOIN m ON l.list_id = m.id
    )
    SELECT id FROM m
    UNION SELECT bm.blob_id FROM container_blob_manifest bm JOIN m ON bm.manifest_id = m.id
    UNION SELECT cm.config_blob_id FROM container_manifest cm JOIN m ON cm.content_id = m.id
      WHERE cm.config_blob_id IS NOT NULL`.execute(db);
  return rows.map((r) => r.id);
}

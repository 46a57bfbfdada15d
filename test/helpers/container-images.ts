import { createHash, randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

/**
 * Container images built by the tests themselves, without Docker: layers are tar.gz archives made here, and
 * images are written as an OCI image layout (`oci:` transport of skopeo) that real clients copy from.
 */

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
const OCI_LAYER = 'application/vnd.oci.image.layer.v1.tar+gzip';

export const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

function tarHeader(name: string, size: number, mode = 0o644, type = '0'): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100, 'utf8');
  h.write(`${mode.toString(8).padStart(7, '0')}\0`, 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
  h.write(`${(1_700_000_000).toString(8).padStart(11, '0')}\0`, 136);
  h.write('        ', 148);
  h.write(type, 156);
  h.write('ustar\0', 257);
  h.write('00', 263);
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return h;
}

/** A ustar archive of the given files (regular files only, fixed mtime). */
export function tar(files: Array<{ name: string; content: Buffer }>): Buffer {
  const parts: Buffer[] = [];
  for (const f of files) {
    parts.push(tarHeader(f.name, f.content.length), f.content);
    const pad = (512 - (f.content.length % 512)) % 512;
    if (pad) parts.push(Buffer.alloc(pad));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

export interface Blob {
  digest: string;
  size: number;
  bytes: Buffer;
  mediaType: string;
  /** Layers: digest of the uncompressed tar (the config's diff_id). */
  diffId?: string;
}

function blob(bytes: Buffer, mediaType: string): Blob {
  return { digest: sha256(bytes), size: bytes.length, bytes, mediaType };
}

/** A gzipped layer holding one file; `randomSize` bytes of incompressible data make big layers cheaply. */
export function makeLayer(name: string, options: { text?: string; randomSize?: number } = {}): Blob {
  const content = options.randomSize ? randomBytes(options.randomSize) : Buffer.from(options.text ?? `${name}\n`);
  const archive = tar([{ name, content }]);
  return { ...blob(gzipSync(archive, { level: options.randomSize ? 1 : 6 }), OCI_LAYER), diffId: sha256(archive) };
}

export interface BuiltImage {
  manifest: Blob;
  config: Blob;
  layers: Blob[];
  architecture: string;
}

/** An OCI image manifest with its config for one architecture. */
export function makeImage(architecture: string, layers: Blob[], labels: Record<string, string> = {}): BuiltImage {
  const diffIds = layers.map((l) => l.diffId ?? l.digest);
  const config = blob(
    Buffer.from(
      JSON.stringify({
        architecture,
        os: 'linux',
        config: { Labels: labels, Cmd: ['/bin/true'] },
        rootfs: { type: 'layers', diff_ids: diffIds },
        history: layers.map(() => ({ created_by: 'pulp-ts test' })),
      }),
    ),
    OCI_CONFIG,
  );
  const manifest = blob(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: { mediaType: config.mediaType, digest: config.digest, size: config.size },
        layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
      }),
    ),
    OCI_MANIFEST,
  );
  return { manifest, config, layers, architecture };
}

/** An OCI index listing images by platform. */
export function makeIndex(images: BuiltImage[]): Blob {
  return blob(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_INDEX,
        manifests: images.map((i) => ({
          mediaType: i.manifest.mediaType,
          digest: i.manifest.digest,
          size: i.manifest.size,
          platform: { architecture: i.architecture, os: 'linux' },
        })),
      }),
    ),
    OCI_INDEX,
  );
}

export interface MultiArchImage {
  index: Blob;
  images: BuiltImage[];
  /** Every blob of the image: index, manifests, configs, layers. */
  blobs: Blob[];
}

/**
 * A two-architecture image (amd64 and arm64) with `layersPerImage` layers each; the first layer is shared by
 * both architectures, as base layers usually are.
 */
export function makeMultiArchImage(
  options: { layersPerImage?: number; layerSize?: number; seed?: string } = {},
): MultiArchImage {
  const n = options.layersPerImage ?? 2;
  const seed = options.seed ?? randomBytes(4).toString('hex');
  const shared = makeLayer(`base-${seed}`, options.layerSize ? { randomSize: options.layerSize } : {});
  const images = ['amd64', 'arm64'].map((arch) => {
    const own = Array.from({ length: n - 1 }, (_, i) =>
      makeLayer(`${arch}-${i}-${seed}`, options.layerSize ? { randomSize: options.layerSize } : {}),
    );
    return makeImage(arch, [shared, ...own], { 'org.example.seed': seed });
  });
  const index = makeIndex(images);
  const blobs = new Map<string, Blob>();
  for (const b of [index, ...images.flatMap((i) => [i.manifest, i.config, ...i.layers])]) blobs.set(b.digest, b);
  return { index, images, blobs: [...blobs.values()] };
}

/** Writes an OCI image layout at `dir` whose index.json names `entry` (an index or a manifest) as `tag`. */
export async function writeOciLayout(
  dir: string,
  blobs: Blob[],
  entries: Array<{ blob: Blob; tag: string }>,
): Promise<void> {
  await mkdir(path.join(dir, 'blobs', 'sha256'), { recursive: true });
  await writeFile(path.join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  for (const b of blobs) await writeFile(path.join(dir, 'blobs', 'sha256', b.digest.slice(7)), b.bytes);
  await writeFile(
    path.join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      manifests: entries.map((e) => ({
        mediaType: e.blob.mediaType,
        digest: e.blob.digest,
        size: e.blob.size,
        annotations: { 'org.opencontainers.image.ref.name': e.tag },
      })),
    }),
  );
}

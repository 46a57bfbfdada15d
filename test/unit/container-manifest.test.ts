import { describe, expect, it } from 'vitest';

import { digestOf, MAX_MANIFEST_SIZE, parseManifest } from '../../src/plugins/container/manifest.js';
import { imageConfigInfo, manifestType } from '../../src/plugins/container/manifest-metadata.js';
import { acceptedMediaTypes, clientAccepts, MEDIA_TYPE } from '../../src/plugins/container/media-types.js';
import { RegistryError } from '../../src/plugins/container/registry-errors.js';

const D = (c: string) => `sha256:${c.repeat(64)}`;

const ociManifest = (over: Record<string, unknown> = {}) => ({
  schemaVersion: 2,
  mediaType: MEDIA_TYPE.MANIFEST_OCI,
  config: { mediaType: MEDIA_TYPE.CONFIG_BLOB_OCI, digest: D('c'), size: 10 },
  layers: [
    { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: D('a'), size: 100 },
    { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: D('b'), size: 200 },
  ],
  ...over,
});

const bytes = (o: unknown) => Buffer.from(JSON.stringify(o));

function errorOf(fn: () => unknown): RegistryError {
  try {
    fn();
  } catch (err) {
    if (err instanceof RegistryError) return err;
    throw err;
  }
  throw new Error('expected a RegistryError');
}

describe('manifest parsing', () => {
  it('parses an OCI image manifest: digest of the exact bytes, blob references and size', () => {
    const raw = Buffer.from(`${JSON.stringify(ociManifest(), null, 3)}\n`);
    const parsed = parseManifest(raw);
    expect(parsed.digest).toBe(digestOf(raw));
    expect(parsed.mediaType).toBe(MEDIA_TYPE.MANIFEST_OCI);
    expect(parsed.kind).toBe('image');
    if (parsed.kind !== 'image') return;
    expect(parsed.blobDigests).toEqual([D('c'), D('a'), D('b')]);
    expect(parsed.compressedSize).toBe(300);
    expect(parsed.bytes.equals(raw)).toBe(true);
  });

  it('parses a Docker manifest list with platforms, and infers an OCI index without mediaType', () => {
    const list = parseManifest(
      bytes({
        schemaVersion: 2,
        mediaType: MEDIA_TYPE.MANIFEST_LIST,
        manifests: [
          {
            mediaType: MEDIA_TYPE.MANIFEST_V2,
            digest: D('1'),
            size: 5,
            platform: { architecture: 'arm', os: 'linux', variant: 'v7' },
          },
        ],
      }),
    );
    expect(list.kind).toBe('list');
    if (list.kind === 'list')
      expect(list.manifests[0]?.platform).toEqual({ architecture: 'arm', os: 'linux', variant: 'v7' });
    const index = parseManifest(
      bytes({ schemaVersion: 2, manifests: [{ mediaType: MEDIA_TYPE.MANIFEST_OCI, digest: D('2'), size: 5 }] }),
    );
    expect(index.mediaType).toBe(MEDIA_TYPE.INDEX_OCI);
    if (index.kind === 'list') expect(index.manifests[0]?.platform).toBeNull();
  });

  it('takes the media type from Content-Type when the document has none', () => {
    const doc = ociManifest();
    delete (doc as Record<string, unknown>).mediaType;
    const docker = {
      ...doc,
      config: { mediaType: MEDIA_TYPE.CONFIG_BLOB, digest: D('c'), size: 1 },
    };
    expect(parseManifest(bytes(doc)).mediaType).toBe(MEDIA_TYPE.MANIFEST_OCI);
    expect(() => parseManifest(bytes(docker), { contentType: MEDIA_TYPE.MANIFEST_V2 })).toThrow(/mediaType/);
    expect(
      parseManifest(bytes({ ...docker, mediaType: MEDIA_TYPE.MANIFEST_V2 }), { contentType: MEDIA_TYPE.MANIFEST_V2 })
        .mediaType,
    ).toBe(MEDIA_TYPE.MANIFEST_V2);
  });

  it('refuses bytes whose digest is not the one they are known by (DIGEST_INVALID)', () => {
    const err = errorOf(() => parseManifest(bytes(ociManifest()), { expectedDigest: D('0') }));
    expect(err.code).toBe('DIGEST_INVALID');
    expect(err.status).toBe(400);
  });

  it('refuses manifests over 4 MiB before parsing them', () => {
    const big = Buffer.alloc(MAX_MANIFEST_SIZE + 1, 0x20);
    const err = errorOf(() => parseManifest(big));
    expect(err.code).toBe('SIZE_INVALID');
    expect(err.status).toBe(413);
  });

  it.each([
    ['not JSON', Buffer.from('{nope'), /not valid JSON/],
    ['a JSON array', bytes([1]), /JSON object/],
    ['schema version 1', bytes({ schemaVersion: 1, name: 'x', tag: 'y', fsLayers: [], history: [] }), /version 1/],
    ['an unknown media type', bytes({ ...ociManifest(), mediaType: 'text/plain' }), /unknown media type/],
    ['a wrong schema version', bytes(ociManifest({ schemaVersion: 3 })), /schemaVersion/],
    ['no config', bytes(ociManifest({ config: undefined })), /config: must be an object/],
    ['layers not a list', bytes(ociManifest({ layers: {} })), /layers: must be a list/],
    [
      'a layer with a bad digest',
      bytes(ociManifest({ layers: [{ mediaType: 'x', digest: 'md5:abc', size: 1 }] })),
      /layers.0.digest/,
    ],
    [
      'a negative size',
      bytes(ociManifest({ layers: [{ mediaType: 'x', digest: D('a'), size: -1 }] })),
      /layers.0.size/,
    ],
    [
      'a fractional size',
      bytes(ociManifest({ layers: [{ mediaType: 'x', digest: D('a'), size: 1.5 }] })),
      /layers.0.size/,
    ],
    [
      'a foreign layer without URLs',
      bytes(ociManifest({ layers: [{ mediaType: MEDIA_TYPE.FOREIGN_BLOB_OCI_TAR_GZIP, digest: D('a'), size: 1 }] })),
      /foreign layer/,
    ],
    ['non-string annotations', bytes(ociManifest({ annotations: { a: 1 } })), /annotations/],
    [
      'a Docker list entry without platform',
      bytes({
        schemaVersion: 2,
        mediaType: MEDIA_TYPE.MANIFEST_LIST,
        manifests: [{ mediaType: MEDIA_TYPE.MANIFEST_V2, digest: D('1'), size: 5 }],
      }),
      /platform: is required/,
    ],
    [
      'an index entry of a blob media type',
      bytes({
        schemaVersion: 2,
        mediaType: MEDIA_TYPE.INDEX_OCI,
        manifests: [{ mediaType: 'application/octet-stream', digest: D('1'), size: 5 }],
      }),
      /manifests.0.mediaType/,
    ],
    [
      'a Docker manifest with an OCI config type',
      bytes({ ...ociManifest(), mediaType: MEDIA_TYPE.MANIFEST_V2 }),
      /config.mediaType/,
    ],
  ])('refuses %s as MANIFEST_INVALID', (_what, raw, message) => {
    const err = errorOf(() => parseManifest(raw));
    expect(err.code).toBe('MANIFEST_INVALID');
    expect(err.status).toBe(400);
    expect(err.message).toMatch(message);
    expect(err.body().errors[0]?.detail).toEqual({ digest: digestOf(raw) });
  });

  it('does not require foreign layers with URLs to be pushed', () => {
    const parsed = parseManifest(
      bytes(
        ociManifest({
          layers: [
            {
              mediaType: MEDIA_TYPE.FOREIGN_BLOB_OCI_TAR_GZIP,
              digest: D('f'),
              size: 1,
              urls: ['https://example.com/f'],
            },
          ],
        }),
      ),
    );
    expect(parsed.kind === 'image' && parsed.blobDigests).toEqual([D('c')]);
  });
});

describe('manifest metadata', () => {
  it('reads architecture, os and labels from a config blob, and nothing from junk', () => {
    const info = imageConfigInfo(bytes({ architecture: 'arm64', os: 'linux', config: { Labels: { a: 'b', n: 1 } } }));
    expect(info).toEqual({ architecture: 'arm64', os: 'linux', labels: { a: 'b' } });
    expect(imageConfigInfo(Buffer.from('junk'))).toEqual({ architecture: null, os: null, labels: {} });
  });

  it('classifies manifests as pulp_container does', () => {
    const image = parseManifest(bytes(ociManifest()));
    expect(manifestType(image, {})).toBe('image');
    expect(manifestType(image, { 'containers.bootc': '1' })).toBe('bootable');
    expect(manifestType(image, { 'org.flatpak.ref': 'app/x' })).toBe('flatpak');
    const artifact = parseManifest(
      bytes(ociManifest({ config: { mediaType: MEDIA_TYPE.OCI_EMPTY_JSON, digest: D('e'), size: 2 } })),
    );
    expect(manifestType(artifact, {})).toBe('artifact');
    const cosign = parseManifest(
      bytes(ociManifest({ layers: [{ mediaType: MEDIA_TYPE.COSIGN_BLOB, digest: D('a'), size: 1 }] })),
    );
    expect(manifestType(cosign, {})).toBe('cosign_signature');
    const helm = parseManifest(
      bytes(ociManifest({ config: { mediaType: MEDIA_TYPE.CONFIG_BLOB_HELM, digest: D('e'), size: 2 } })),
    );
    expect(manifestType(helm, {})).toBe('helm');
  });
});

describe('media type negotiation', () => {
  it('strips parameters and honours wildcards; no Accept accepts what is stored', () => {
    expect([...acceptedMediaTypes(`${MEDIA_TYPE.MANIFEST_OCI};q=0.5, ${MEDIA_TYPE.INDEX_OCI}`).types]).toEqual([
      MEDIA_TYPE.MANIFEST_OCI,
      MEDIA_TYPE.INDEX_OCI,
    ]);
    expect(clientAccepts(MEDIA_TYPE.MANIFEST_V2, MEDIA_TYPE.INDEX_OCI)).toBe(false);
    expect(clientAccepts([MEDIA_TYPE.MANIFEST_V2, `${MEDIA_TYPE.INDEX_OCI}; q=0.9`], MEDIA_TYPE.INDEX_OCI)).toBe(true);
    expect(clientAccepts('*/*', MEDIA_TYPE.INDEX_OCI)).toBe(true);
    expect(clientAccepts(undefined, MEDIA_TYPE.INDEX_OCI)).toBe(true);
  });
});

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { extractPackageMetadata, PackageError } from '../../src/plugins/python/package-metadata.js';
import { buildSdist, buildWheel } from '../helpers/python-packages.js';
import { tarGz } from '../helpers/python-tar.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'pulp-ts-pymeta-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function extract(
  bytes: Buffer | Uint8Array,
  filename: string,
  limits?: Parameters<typeof extractPackageMetadata>[2],
) {
  const file = path.join(dir, `${Math.random().toString(36).slice(2)}-${filename}`);
  await writeFile(file, bytes);
  return extractPackageMetadata(file, filename, limits);
}

describe('wheel and sdist metadata', () => {
  it('reads a wheel METADATA with its PEP 658 digest and the python tag', async () => {
    const wheel = buildWheel({
      name: 'Shelf.Reader',
      version: '1.0.post1',
      requiresDist: ['pulpts-beta>=1.0', 'rich; extra == "pretty"'],
      requiresPython: '>=3.8',
      extraHeaders: ['Project-URL: Source, https://example.org/src', 'Provides-Extra: pretty', 'Keywords: a,b'],
    });
    const { metadata, metadataFile } = await extract(wheel.bytes, wheel.filename);
    expect(metadata).toMatchObject({
      name: 'Shelf.Reader',
      version: '1.0.post1',
      metadata_version: '2.1',
      packagetype: 'bdist_wheel',
      python_version: 'py3',
      filename: 'shelf_reader-1.0.post1-py3-none-any.whl',
      requires_python: '>=3.8',
      requires_dist: ['pulpts-beta>=1.0', 'rich; extra == "pretty"'],
      provides_extras: ['pretty'],
      project_urls: { Source: 'https://example.org/src' },
      classifiers: ['Programming Language :: Python :: 3'],
      keywords: 'a,b',
      author: 'pulp-ts tests',
      description: 'A package built by the pulp-ts test suite.\n',
    });
    expect(metadataFile?.equals(wheel.metadata!)).toBe(true);
    expect(metadata.metadata_sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('reads an sdist PKG-INFO (python_version "source", no metadata file)', async () => {
    const sdist = buildSdist({ name: 'pulpts-beta', version: '1.2.0' });
    const { metadata, metadataFile } = await extract(sdist.bytes, sdist.filename);
    expect(metadata).toMatchObject({
      name: 'pulpts-beta',
      version: '1.2.0',
      packagetype: 'sdist',
      python_version: 'source',
    });
    expect(metadata.metadata_sha256).toBeNull();
    expect(metadataFile).toBeNull();
  });

  it('reads a zip sdist and a long member name written with a pax record', async () => {
    const zip = zipSync({
      'legacy-0.1/PKG-INFO': new TextEncoder().encode('Metadata-Version: 1.0\nName: legacy\nVersion: 0.1\n'),
    });
    expect((await extract(zip, 'legacy-0.1.zip')).metadata.packagetype).toBe('sdist');
    const long = `deep-1.0/${'d/'.repeat(60)}file.py`;
    const tgz = tarGz([
      { name: long, data: 'x = 1\n' },
      { name: 'deep-1.0/PKG-INFO', data: 'Metadata-Version: 2.1\nName: deep\nVersion: 1.0\n' },
    ]);
    expect((await extract(tgz, 'deep-1.0.tar.gz')).metadata.name).toBe('deep');
  });
});

describe('refused distributions', () => {
  const cases: Array<[string, () => { bytes: Buffer | Uint8Array; filename: string }, RegExp]> = [
    [
      'an unknown extension',
      () => ({ bytes: Buffer.from('x'), filename: 'pkg-1.0.rpm' }),
      /not a valid python extension/,
    ],
    [
      'a file that is no zip',
      () => ({ bytes: Buffer.from('not a zip'), filename: 'a-1.0-py3-none-any.whl' }),
      /not a readable zip/,
    ],
    [
      'a gzip that is no tar',
      () => ({ bytes: Buffer.from('nope'), filename: 'a-1.0.tar.gz' }),
      /not a readable \.tar\.gz/,
    ],
    [
      'a wheel without METADATA',
      () => buildWheel({ name: 'a', version: '1.0' }, { 'a-1.0.dist-info/METADATA': null }),
      /no \.dist-info\/METADATA file/,
    ],
    [
      'metadata without a Version',
      () =>
        buildWheel({ name: 'a', version: '1.0' }, { 'a-1.0.dist-info/METADATA': 'Metadata-Version: 2.1\nName: a\n' }),
      /no Version/,
    ],
    [
      'malformed metadata headers',
      () => buildWheel({ name: 'a', version: '1.0' }, { 'a-1.0.dist-info/METADATA': 'this is not a header\n' }),
      /Malformed metadata header/,
    ],
    [
      'an invalid version',
      () =>
        buildWheel(
          { name: 'a', version: '1.0' },
          { 'a-1.0.dist-info/METADATA': 'Metadata-Version: 2.1\nName: a\nVersion: one\n' },
        ),
      /not a valid PEP 440 version/,
    ],
    [
      'a filename naming another project',
      () => ({ ...buildWheel({ name: 'a', version: '1.0' }), filename: 'b-1.0-py3-none-any.whl' }),
      /names project b but the metadata says a/,
    ],
    [
      'a filename with another version',
      () => ({ ...buildSdist({ name: 'a', version: '1.0' }), filename: 'a-2.0.tar.gz' }),
      /has version 2\.0 but the metadata says 1\.0/,
    ],
    [
      'a zip member with ".."',
      () => ({
        bytes: zipSync({ '../evil.py': new Uint8Array([1]), 'a-1.0.dist-info/METADATA': new Uint8Array([1]) }),
        filename: 'a-1.0-py3-none-any.whl',
      }),
      /\.\./,
    ],
    [
      'an absolute zip member',
      () => ({ bytes: zipSync({ '/etc/passwd': new Uint8Array([1]) }), filename: 'a-1.0-py3-none-any.whl' }),
      /absolute/,
    ],
    [
      'a tar member with ".." after PKG-INFO',
      () => ({
        bytes: tarGz([
          { name: 'a-1.0/PKG-INFO', data: 'Metadata-Version: 2.1\nName: a\nVersion: 1.0\n' },
          { name: 'a-1.0/../../evil', data: 'x' },
        ]),
        filename: 'a-1.0.tar.gz',
      }),
      /member path with "\.\."/,
    ],
    [
      'a tar symlink pointing outside',
      () => ({ bytes: tarGz([{ name: 'a-1.0/link', type: '2', linkname: '/etc/passwd' }]), filename: 'a-1.0.tar.gz' }),
      /points outside the archive/,
    ],
  ];
  it.each(cases)('%s', async (_label, make, message) => {
    const { bytes, filename } = make();
    await expect(extract(bytes, filename)).rejects.toThrow(PackageError);
    await expect(extract(bytes, filename)).rejects.toThrow(message);
  });

  it('refuses a zip member that declares a huge size before inflating it', async () => {
    const wheel = buildWheel({ name: 'a', version: '1.0' });
    const patched = patchZipSizes(Buffer.from(wheel.bytes), 'a-1.0.dist-info/METADATA', 0x7fffffff);
    await expect(extract(patched, wheel.filename)).rejects.toThrow(/declares 2147483647 bytes/);
  });

  it('refuses a zip member that inflates past its declared size', async () => {
    const meta = Buffer.from('Metadata-Version: 2.1\nName: a\nVersion: 1.0\n' + 'x'.repeat(100_000));
    const wheel = buildWheel({ name: 'a', version: '1.0' }, { 'a-1.0.dist-info/METADATA': meta });
    const patched = patchZipSizes(Buffer.from(wheel.bytes), 'a-1.0.dist-info/METADATA', 100);
    await expect(extract(patched, wheel.filename)).rejects.toThrow(PackageError);
  });

  it('stops a gzip bomb at the scanning limit', async () => {
    const bomb = tarGz([
      { name: 'a-1.0/zeros', data: Buffer.alloc(8 * 1024 * 1024) },
      { name: 'a-1.0/PKG-INFO', data: 'x' },
    ]);
    expect(bomb.length).toBeLessThan(64 * 1024);
    const limits = { maxMemberBytes: 1024 * 1024, maxEntries: 100, maxScannedBytes: 1024 * 1024 };
    await expect(extract(bomb, 'a-1.0.tar.gz', limits)).rejects.toThrow(/scanning limit/);
  });

  it('refuses a PKG-INFO declared past the member limit', async () => {
    const tgz = tarGz([{ name: 'a-1.0/PKG-INFO', data: 'x', declaredSize: 64 * 1024 * 1024 }]);
    await expect(extract(tgz, 'a-1.0.tar.gz')).rejects.toThrow(/declares 67108864 bytes/);
  });
});

/** Rewrite the uncompressed size of one member in both its local header and the central directory. */
function patchZipSizes(zip: Buffer, name: string, size: number): Buffer {
  const out = Buffer.from(zip);
  const nameBuf = Buffer.from(name);
  for (let i = 0; i < out.length - 4; i++) {
    const sig = out.readUInt32LE(i);
    if (sig === 0x04034b50 && out.subarray(i + 30, i + 30 + nameBuf.length).equals(nameBuf))
      out.writeUInt32LE(size, i + 22);
    if (sig === 0x02014b50 && out.subarray(i + 46, i + 46 + nameBuf.length).equals(nameBuf))
      out.writeUInt32LE(size, i + 24);
  }
  return out;
}

import { createHash } from 'node:crypto';

import { ArchiveError, type ArchiveLimits, DEFAULT_ARCHIVE_LIMITS } from './archive-errors.js';
import { type CoreMetadata, MetadataError, parseCoreMetadata } from './core-metadata.js';
import { EXTENSION_MESSAGE, type PackageType, parseDistFilename } from './filenames.js';
import { canonicalizeName } from './names.js';
import { versionsEqual } from './pep440.js';
import { readTarGzMember } from './tar-reader.js';
import { readZipMember } from './zip-reader.js';

/** A distribution refused at upload or sync; the message names the file and the reason. */
export class PackageError extends Error {}

/** What Pulp stores for a package beyond its artifact: core metadata plus release fields. */
export interface PackageMetadata extends CoreMetadata {
  filename: string;
  packagetype: PackageType;
  python_version: string;
  /** sha256 of the wheel's METADATA file (PEP 658), null for other types. */
  metadata_sha256: string | null;
}

export interface ExtractedPackage {
  metadata: PackageMetadata;
  /** The wheel's METADATA bytes, served as `<filename>.metadata`; null for other types. */
  metadataFile: Buffer | null;
}

/**
 * Read a distribution's metadata from the file at `path`, uploaded or downloaded as `filename`. Wheels read
 * `<name>.dist-info/METADATA`, eggs `EGG-INFO/PKG-INFO`, sdists `<dir>/PKG-INFO`. Stricter than Pulp: the
 * project name and version in the filename must match the metadata (PEP 503 / PEP 440 equal).
 */
export async function extractPackageMetadata(
  path: string,
  filename: string,
  limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS,
): Promise<ExtractedPackage> {
  const parsed = parseDistFilename(filename);
  if (!parsed || filename.includes('/')) {
    throw new PackageError(`Extension on ${filename} is not a valid python extension ${EXTENSION_MESSAGE}`);
  }
  let member: { name: string; bytes: Buffer } | null;
  try {
    member = await readMetadataMember(path, parsed.extension, limits);
  } catch (err) {
    if (err instanceof ArchiveError || err instanceof PackageError) {
      throw new PackageError(`${filename}: ${err.message}`, { cause: err });
    }
    throw err;
  }
  if (!member) throw new PackageError(`${filename}: no ${metadataName(parsed.extension)} file found in the archive`);
  let core: CoreMetadata;
  try {
    core = parseCoreMetadata(member.bytes);
  } catch (err) {
    if (err instanceof MetadataError) throw new PackageError(`${filename}: ${err.message}`, { cause: err });
    throw err;
  }
  if (parsed.name !== null && canonicalizeName(parsed.name) !== canonicalizeName(core.name)) {
    throw new PackageError(`${filename}: the filename names project ${parsed.name} but the metadata says ${core.name}`);
  }
  if (parsed.version !== null && !versionsEqual(parsed.version, core.version) && parsed.version !== core.version) {
    throw new PackageError(
      `${filename}: the filename has version ${parsed.version} but the metadata says ${core.version}`,
    );
  }
  const isWheel = parsed.packagetype === 'bdist_wheel';
  return {
    metadata: {
      ...core,
      filename,
      packagetype: parsed.packagetype,
      python_version: parsed.pythonVersion,
      metadata_sha256: isWheel ? createHash('sha256').update(member.bytes).digest('hex') : null,
    },
    metadataFile: isWheel ? member.bytes : null,
  };
}

function metadataName(extension: string): string {
  return extension === '.whl' ? '.dist-info/METADATA' : 'PKG-INFO';
}

async function readMetadataMember(
  path: string,
  extension: string,
  limits: ArchiveLimits,
): Promise<{ name: string; bytes: Buffer } | null> {
  switch (extension) {
    case '.whl':
      return readZipMember(
        path,
        (names) => single(names.filter((n) => /^[^/]+\.dist-info\/METADATA$/.test(n))),
        limits,
      );
    case '.egg':
      return readZipMember(path, (names) => (names.includes('EGG-INFO/PKG-INFO') ? 'EGG-INFO/PKG-INFO' : null), limits);
    case '.zip':
      return readZipMember(path, (names) => names.find((n) => /^[^/]+\/PKG-INFO$/.test(n)) ?? null, limits);
    case '.tar.gz':
      return readTarGzMember(path, (name) => /^[^/]+\/PKG-INFO$/.test(name), limits);
    default:
      throw new PackageError(`reading ${extension} distributions is not supported`);
  }
}

// A wheel has exactly one .dist-info directory (the binary distribution format); two is ambiguous.
function single(names: string[]): string | null {
  if (names.length > 1) throw new PackageError(`several .dist-info/METADATA files: ${names.join(', ')}`);
  return names[0] ?? null;
}

import yauzl from 'yauzl';

import { ArchiveError, type ArchiveLimits, memberNameProblem } from './archive-errors.js';

/**
 * Read one member of a zip (wheel, egg, zip sdist) chosen from the central directory, without reading any
 * other. Every member name is checked (yauzl checks too), the chosen member's declared size is checked
 * before inflating, and yauzl verifies the inflated size matches the declared one, so a lying header is an
 * error rather than a bomb. `choose` sees every name and returns the one to read (or null for none).
 */
export async function readZipMember(
  path: string,
  choose: (names: string[]) => string | null,
  limits: ArchiveLimits,
): Promise<{ name: string; bytes: Buffer } | null> {
  const zip = await openZip(path);
  try {
    const entries = await listEntries(zip, limits);
    const name = choose(entries.map((e) => e.fileName));
    if (name === null) return null;
    const entry = entries.find((e) => e.fileName === name);
    if (!entry) return null;
    if (entry.uncompressedSize > limits.maxMemberBytes) {
      throw new ArchiveError(
        `${name} declares ${entry.uncompressedSize} bytes, over the ${limits.maxMemberBytes} limit`,
      );
    }
    if (entry.isEncrypted()) throw new ArchiveError(`${name} is encrypted`);
    return { name, bytes: await readEntry(zip, entry, limits) };
  } finally {
    zip.close();
  }
}

function openZip(path: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => {
    yauzl.open(path, { lazyEntries: true, autoClose: false, validateEntrySizes: true }, (err, zip) => {
      if (err) reject(new ArchiveError(`not a readable zip archive: ${err.message}`, { cause: err }));
      else resolve(zip);
    });
  });
}

function listEntries(zip: yauzl.ZipFile, limits: ArchiveLimits): Promise<yauzl.Entry[]> {
  if (zip.entryCount > limits.maxEntries) {
    return Promise.reject(new ArchiveError(`${zip.entryCount} members, over the ${limits.maxEntries} limit`));
  }
  return new Promise((resolve, reject) => {
    const entries: yauzl.Entry[] = [];
    zip.on('entry', (entry: yauzl.Entry) => {
      const problem = memberNameProblem(entry.fileName);
      if (problem) {
        zip.removeAllListeners();
        reject(new ArchiveError(problem));
        return;
      }
      entries.push(entry);
      zip.readEntry();
    });
    zip.on('end', () => resolve(entries));
    zip.on('error', (err: Error) =>
      reject(new ArchiveError(`unsafe or corrupt zip archive: ${err.message}`, { cause: err })),
    );
    zip.readEntry();
  });
}

function readEntry(zip: yauzl.ZipFile, entry: yauzl.Entry, limits: ArchiveLimits): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    zip.openReadStream(entry, (err, stream) => {
      if (err) {
        reject(new ArchiveError(`cannot read ${entry.fileName}: ${err.message}`, { cause: err }));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      stream.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > limits.maxMemberBytes) {
          stream.destroy(new Error(`inflates past the ${limits.maxMemberBytes} byte limit`));
          return;
        }
        chunks.push(chunk);
      });
      stream.on('error', (e: Error) =>
        reject(new ArchiveError(`cannot read ${entry.fileName}: ${e.message}`, { cause: e })),
      );
      stream.on('end', () => resolve(Buffer.concat(chunks)));
    });
  });
}

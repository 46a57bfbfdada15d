import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';

import { ArchiveError, type ArchiveLimits, memberNameProblem } from './archive-errors.js';

/**
 * Scan a .tar.gz (an sdist) and return the first regular member `wanted` accepts. A small reader of our own
 * rather than tar-stream: tar-stream buffers pax and GNU long-name records whole, whatever size they declare,
 * while here every record is bounded (metadata records by maxMemberBytes, the whole scan by maxScannedBytes)
 * and every member name and link target is checked, including those after the wanted one.
 */
export async function readTarGzMember(
  path: string,
  wanted: (name: string) => boolean,
  limits: ArchiveLimits,
): Promise<{ name: string; bytes: Buffer } | null> {
  const source = createReadStream(path);
  const gunzip = createGunzip();
  source.on('error', (err) => gunzip.destroy(err));
  source.pipe(gunzip);
  const reader = new ChunkReader(gunzip[Symbol.asyncIterator]() as AsyncIterator<Buffer>, limits.maxScannedBytes);
  try {
    return await scan(reader, wanted, limits);
  } catch (err) {
    if (err instanceof ArchiveError) throw err;
    throw new ArchiveError(`not a readable .tar.gz archive: ${(err as Error).message}`, { cause: err });
  } finally {
    source.destroy();
    gunzip.destroy();
  }
}

async function scan(
  reader: ChunkReader,
  wanted: (name: string) => boolean,
  limits: ArchiveLimits,
): Promise<{ name: string; bytes: Buffer } | null> {
  let found: { name: string; bytes: Buffer } | null = null;
  let entries = 0;
  let longName: string | null = null;
  let pax: Record<string, string> = {};
  for (;;) {
    const header = await reader.read(512, true);
    if (header === null || header.every((b) => b === 0)) return found;
    verifyChecksum(header);
    if (++entries > limits.maxEntries) throw new ArchiveError(`over ${limits.maxEntries} members`);
    const type = String.fromCharCode(header[156] ?? 0);
    const size = readSize(header);
    const padded = Math.ceil(size / 512) * 512;
    if (type === 'x' || type === 'g' || type === 'L' || type === 'K') {
      if (size > limits.maxMemberBytes) throw new ArchiveError(`a ${size} byte tar header record`);
      const body = await readBody(reader, size, padded);
      if (type === 'L') longName = cString(body);
      else if (type === 'x') pax = parsePax(body);
      continue;
    }
    const name = pax.path ?? longName ?? headerName(header);
    const link = pax.linkpath ?? cString(header.subarray(157, 257));
    longName = null;
    pax = {};
    const problem = memberNameProblem(name.replace(/^\.\//, ''));
    if (problem) throw new ArchiveError(problem);
    if ((type === '1' || type === '2') && (link.startsWith('/') || link.split('/').includes('..'))) {
      throw new ArchiveError(`link ${JSON.stringify(name)} points outside the archive: ${JSON.stringify(link)}`);
    }
    const regular = type === '0' || type === '\0' || type === '7';
    if (regular && found === null && wanted(name.replace(/^\.\//, ''))) {
      if (size > limits.maxMemberBytes) throw new ArchiveError(`${name} declares ${size} bytes, over the limit`);
      found = { name, bytes: await readBody(reader, size, padded) };
    } else {
      await reader.skip(padded);
    }
  }
}

async function readBody(reader: ChunkReader, size: number, padded: number): Promise<Buffer> {
  const body = await reader.read(padded, false);
  return Buffer.from((body as Buffer).subarray(0, size));
}

function verifyChecksum(header: Buffer): void {
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : (header[i] ?? 0);
  const stored = parseInt(cString(header.subarray(148, 156)).trim() || 'x', 8);
  if (stored !== sum) throw new ArchiveError('corrupt tar header (checksum mismatch)');
}

function readSize(header: Buffer): number {
  const field = header.subarray(124, 136);
  if ((field[0] ?? 0) & 0x80) {
    // Base-256 (GNU) for sizes past 8 GiB: far over any limit, so only the magnitude matters.
    let n = 0;
    for (let i = 1; i < 12; i++) n = n * 256 + (field[i] ?? 0);
    return n;
  }
  const text = cString(field).trim();
  const n = text === '' ? 0 : parseInt(text, 8);
  if (!Number.isFinite(n) || n < 0) throw new ArchiveError('corrupt tar header (size)');
  return n;
}

function headerName(header: Buffer): string {
  const name = cString(header.subarray(0, 100));
  const ustar = header.subarray(257, 262).toString('latin1') === 'ustar';
  const prefix = ustar ? cString(header.subarray(345, 500)) : '';
  return prefix ? `${prefix}/${name}` : name;
}

function cString(buf: Buffer): string {
  const end = buf.indexOf(0);
  return buf.subarray(0, end < 0 ? buf.length : end).toString('utf8');
}

function parsePax(body: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let pos = 0;
  while (pos < body.length) {
    const space = body.indexOf(0x20, pos);
    if (space < 0) break;
    const len = parseInt(body.subarray(pos, space).toString('latin1'), 10);
    if (!Number.isFinite(len) || len <= 0 || pos + len > body.length) throw new ArchiveError('corrupt pax header');
    const record = body.subarray(space + 1, pos + len - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq > 0) out[record.slice(0, eq)] = record.slice(eq + 1);
    pos += len;
  }
  return out;
}

/** Pulls exact byte counts from a chunk iterator, counting what it consumed against a cap. */
class ChunkReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private consumed = 0;
  private done = false;
  constructor(
    private readonly source: AsyncIterator<Buffer>,
    private readonly maxBytes: number,
  ) {}

  /** Exactly n bytes; at a clean end of stream null when `allowEnd`, else an error. */
  async read(n: number, allowEnd: boolean): Promise<Buffer | null> {
    this.charge(n);
    while (this.buffered < n && (await this.fill()));
    if (this.buffered < n) {
      if (allowEnd && this.buffered === 0) return null;
      throw new ArchiveError('truncated tar archive');
    }
    const all = Buffer.concat(this.chunks);
    this.chunks = [all.subarray(n)];
    this.buffered -= n;
    return all.subarray(0, n);
  }

  async skip(n: number): Promise<void> {
    this.charge(n);
    let left = n;
    while (left > 0) {
      if (this.buffered === 0 && !(await this.fill())) throw new ArchiveError('truncated tar archive');
      const head = this.chunks[0] as Buffer;
      const take = Math.min(left, head.length);
      if (take === head.length) this.chunks.shift();
      else this.chunks[0] = head.subarray(take);
      this.buffered -= take;
      left -= take;
    }
  }

  private charge(n: number): void {
    this.consumed += n;
    if (this.consumed > this.maxBytes) {
      throw new ArchiveError(`inflates past the ${this.maxBytes} byte scanning limit (archive bomb?)`);
    }
  }

  private async fill(): Promise<boolean> {
    if (this.done) return false;
    const next = await this.source.next();
    if (next.done) {
      this.done = true;
      return false;
    }
    if (next.value.length > 0) {
      this.chunks.push(next.value);
      this.buffered += next.value.length;
    }
    return true;
  }
}

import { createReadStream, createWriteStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable, type Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { crc32 } from 'node:zlib';

import tarStream from 'tar-stream';

import { ValidationError } from '../../core/errors.js';
import type { ProgressReporter } from '../../plugin-api/tasks.js';

/*
 * Reading an export: the table of contents and its chunks (Pulp's ChunkedFile), and the tar members, each
 * checked before a byte of it is written anywhere. The archive is read as a stream (chunks concatenated in
 * name order), never seeked, so nothing but the member being copied is in memory.
 */

export interface ArchiveSource {
  /** The files whose concatenation is the tar, in order. */
  files: string[];
}

/**
 * Longest table of contents or versions file read: a few hundred bytes per chunk or component, so even an
 * export of 100,000 chunks fits; anything larger is not one, and is refused before it is read.
 */
export const MAX_SMALL_FILE_BYTES = 16 * 1024 * 1024;

/** A small JSON file of an export, read whole once its size is known to be within MAX_SMALL_FILE_BYTES. */
export async function readSmallFile(file: string): Promise<string> {
  const { size } = await stat(file);
  if (size > MAX_SMALL_FILE_BYTES)
    throw new ValidationError([`${path.basename(file)} is larger than ${MAX_SMALL_FILE_BYTES} bytes.`]);
  return readFile(file, 'utf8');
}

/**
 * Parses and checks a `-toc.json`: `files` and `meta` present, every file a plain name in the toc's own
 * directory (a name with a path separator or `..` points outside the export and is refused), every chunk
 * present with the crc32 the toc records. All mismatches are reported together, as Pulp's validate_chunks.
 */
export async function checkToc(tocPath: string, progress?: ProgressReporter): Promise<ArchiveSource> {
  let toc: unknown;
  const text = await readSmallFile(tocPath);
  try {
    toc = JSON.parse(text);
  } catch (err) {
    throw new ValidationError([`Table-of-contents ${tocPath} is not valid JSON.`], { cause: err });
  }
  const t = toc as { files?: unknown; meta?: unknown };
  if (!t || typeof t !== 'object' || typeof t.files !== 'object' || !t.files || typeof t.meta !== 'object' || !t.meta)
    throw new ValidationError(["Missing 'files' or 'meta' keys in table-of-contents!"]);
  const files = t.files as Record<string, unknown>;
  const names = Object.keys(files).sort();
  if (names.length === 0) throw new ValidationError(['The table-of-contents names no files.']);
  for (const n of names) {
    if (n !== path.basename(n) || n === '.' || n === '..' || n.includes('\\') || n.includes('\0'))
      throw new ValidationError([`Table-of-contents names a file outside the export directory: ${JSON.stringify(n)}.`]);
    if (typeof files[n] !== 'string') throw new ValidationError([`Table-of-contents has no checksum for ${n}.`]);
  }
  const meta = t.meta as Record<string, unknown>;
  if (meta.checksum_type !== undefined && meta.checksum_type !== 'crc32')
    throw new ValidationError([
      `Unsupported checksum_type ${JSON.stringify(meta.checksum_type)} in table-of-contents.`,
    ]);
  if (names.length > 1 && !(Number(meta.chunk_size) > 0))
    throw new ValidationError(['chunk_size must exist and be non-zero if more than one chunk exists']);
  const dir = path.dirname(tocPath);
  const paths = names.map((n) => path.join(dir, n));
  const missing: string[] = [];
  for (const p of paths) if (!(await stat(p).catch(() => null))?.isFile()) missing.push(p);
  if (missing.length > 0)
    throw new ValidationError([`Missing import-chunks named in table-of-contents: ${JSON.stringify(missing)}.`]);
  const errors: string[] = [];
  progress?.setTotal(paths.length);
  for (const [i, p] of paths.entries()) {
    let crc = 0;
    for await (const chunk of createReadStream(p)) crc = crc32(chunk as Buffer, crc);
    const computed = (crc >>> 0).toString(16);
    if (computed !== files[names[i]!])
      errors.push(`File ${names[i]} expected checksum : ${String(files[names[i]!])}, computed checksum : ${computed}`);
    progress?.increment();
  }
  if (errors.length > 0) throw new ValidationError([`Import chunk hash mismatch: ${JSON.stringify(errors)}.`]);
  // Chunk sizes: every chunk but the last must be exactly chunk_size (Pulp's reader fails on a short chunk).
  const size = Number(meta.chunk_size);
  if (paths.length > 1)
    for (const p of paths.slice(0, -1))
      if ((await stat(p)).size !== size) throw new ValidationError([`Short read from chunk ${path.basename(p)}.`]);
  return { files: paths };
}

/** The archive's bytes as one stream. */
export function archiveStream(source: ArchiveSource): Readable {
  async function* bytes() {
    for (const f of source.files) yield* createReadStream(f);
  }
  return Readable.from(bytes(), { objectMode: false });
}

/**
 * Why a member name may not be extracted, or null: absolute names, `.`/`..` or empty segments, backslashes
 * and control characters are refused (a member may only land inside the extraction directory).
 */
export function memberNameProblem(name: string): string | null {
  if (name === '' || name.length > 4096) return 'empty or too long';
  if (/[\u0000-\u001f\\]/.test(name)) return 'control character or backslash';
  if (name.startsWith('/')) return 'absolute path';
  for (const s of name.split('/')) if (s === '' || s === '.' || s === '..') return 'relative path segment';
  return null;
}

/** Where a member goes: a new file (optionally through a hashing transform), only a hash, or nowhere. */
export type MemberAction = { write: string; hash?: Transform } | { write: null; hash: Transform } | 'skip';

/** Swallows what it is given: a member only hashed (already stored) still flows through its hash. */
const discard = () =>
  new Writable({
    write(_chunk, _enc, cb) {
      cb();
    },
  });

/**
 * Reads every member of the archive. Only regular files and directories are accepted: a symlink, hard
 * link, device or FIFO member, or an unsafe name, fails the whole read. `decide` says per file where to
 * write it (an absolute path), to only hash it (`write: null`) or to skip it; skipped members are still
 * read through (and so checked).
 */
export async function readArchive(
  source: ArchiveSource,
  decide: (name: string, size: number) => MemberAction | Promise<MemberAction>,
  signal?: AbortSignal,
): Promise<void> {
  const extract = tarStream.extract();
  const input = archiveStream(source);
  input.on('error', (err) => extract.destroy(err));
  input.pipe(extract);
  try {
    for await (const entry of extract) {
      signal?.throwIfAborted();
      const h = entry.header;
      const name = h.type === 'directory' ? h.name.replace(/\/+$/, '') : h.name;
      const problem = memberNameProblem(name);
      if (problem) throw new ValidationError([`Refusing tar member ${JSON.stringify(h.name)}: ${problem}.`]);
      if (h.type !== 'file' && h.type !== 'directory' && h.type !== 'contiguous-file')
        throw new ValidationError([`Refusing tar member ${JSON.stringify(h.name)}: type ${h.type ?? 'unknown'}.`]);
      if (h.type === 'directory') {
        entry.resume();
        continue;
      }
      const action = await decide(name, h.size ?? 0);
      if (action === 'skip') {
        for await (const _ of entry) signal?.throwIfAborted();
        continue;
      }
      const out = action.write === null ? discard() : createWriteStream(action.write, { flags: 'wx' });
      if (action.hash) await pipeline(entry, action.hash, out, { signal });
      else await pipeline(entry, out, { signal });
    }
  } catch (err) {
    input.destroy();
    if (err instanceof ValidationError || signal?.aborted) throw err;
    throw new ValidationError([`The export is not a readable tar archive: ${(err as Error).message}`], { cause: err });
  }
}

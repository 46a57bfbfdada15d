import { createReadStream } from 'node:fs';

import { boundedLines, relativePathProblem } from '../../plugin-api/index.js';

/** One PULP_MANIFEST entry. */
export interface ManifestEntry {
  relativePath: string;
  digest: string;
  size: number;
  /** 1-based line number in the manifest. */
  line: number;
}

/**
 * A manifest line that breaks the format. The message names the line, never its content: the "manifest" may
 * be anything a remote URL answered (an internal service's page), and task errors are shown to users.
 */
export class ManifestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ManifestError';
  }
}

const FORMAT = 'Each line must be "<relative_path>,<sha256>,<size>".';

/**
 * Parses one manifest line (Pulp's rules: blank and `#` lines are skipped, the line splits on its last two
 * commas so paths may contain commas). Whitespace around the digest and the size is dropped, but the path is
 * taken as written: it must be a canonical, safe relative path (no surrounding whitespace either), since it
 * becomes a path in storage listings and distributions.
 */
export function parseManifestLine(text: string, line: number): ManifestEntry | null {
  const trimmed = text.trim();
  if (trimmed === '' || trimmed.startsWith('#')) return null;
  const raw = text.replace(/\r$/, '');
  const last = raw.lastIndexOf(',');
  const middle = last > 0 ? raw.lastIndexOf(',', last - 1) : -1;
  if (middle < 0) throw new ManifestError(`Manifest line ${line} is malformed: ${FORMAT}`);
  const relativePath = raw.slice(0, middle);
  const digest = raw
    .slice(middle + 1, last)
    .trim()
    .toLowerCase();
  const sizeText = raw.slice(last + 1).trim();
  if (!/^[0-9a-f]{64}$/.test(digest)) {
    throw new ManifestError(`Manifest line ${line} is malformed: the digest must be a sha256 hex digest.`);
  }
  if (!/^\d{1,15}$/.test(sizeText)) {
    throw new ManifestError(`Manifest line ${line} is malformed: the size must be a decimal number of bytes.`);
  }
  const problem = relativePathProblem(relativePath);
  if (problem) {
    throw new ManifestError(`Manifest line ${line} has an invalid relative path: ${problem}`);
  }
  return { relativePath, digest, size: Number(sizeText), line };
}

/**
 * Longest manifest line accepted, in bytes: a path of the longest allowed length, a digest and a size fit
 * well within it. A longer line is an error as soon as its first MAX_LINE_BYTES arrived, so one huge line
 * cannot take a worker's memory.
 */
export const MAX_LINE_BYTES = 16 * 1024;

/** The lines of a file, each decoded as UTF-8 and at most MAX_LINE_BYTES long (else a ManifestError). */
async function* manifestLines(filePath: string): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let line = 0;
  const chunks = createReadStream(filePath, { highWaterMark: 64 * 1024 }) as AsyncIterable<Buffer>;
  for await (const bytes of boundedLines(chunks, MAX_LINE_BYTES, tooLong)) {
    line++;
    try {
      yield decoder.decode(bytes);
    } catch {
      throw new ManifestError(`Manifest line ${line} is not valid UTF-8.`);
    }
  }
}

function tooLong(line: number): ManifestError {
  return new ManifestError(`Manifest line ${line} is longer than ${MAX_LINE_BYTES} bytes.`);
}

/** Reads a manifest file line by line (never the whole file, nor a whole overlong line, in memory). */
export async function* readManifest(filePath: string): AsyncGenerator<ManifestEntry> {
  let line = 0;
  for await (const text of manifestLines(filePath)) {
    line++;
    const entry = parseManifestLine(text, line);
    if (entry) yield entry;
  }
}

/** Checks every line and counts entries (the "Parsing Metadata Lines" total) before anything is stored. */
export async function validateManifest(filePath: string): Promise<number> {
  let count = 0;
  for await (const _ of readManifest(filePath)) count++;
  return count;
}

/** The URL of an entry: the manifest URL with its last segment replaced by the quoted relative path. */
export function entryUrl(manifestUrl: string, relativePath: string): string {
  const base = new URL(manifestUrl);
  const quoted = relativePath
    .split('/')
    .map((s) => encodeURIComponent(s).replace(/%3A/gi, ':'))
    .join('/');
  base.pathname = base.pathname.replace(/[^/]*$/, '') + quoted;
  base.search = '';
  base.hash = '';
  return base.href;
}

/** One manifest line as the publisher writes it. */
export function manifestLine(relativePath: string, digest: string, size: number): string {
  return `${relativePath},${digest},${size}\n`;
}

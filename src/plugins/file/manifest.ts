import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

import { relativePathProblem } from '../../core/safe-path.js';

/** One PULP_MANIFEST entry. */
export interface ManifestEntry {
  relativePath: string;
  digest: string;
  size: number;
  /** 1-based line number in the manifest. */
  line: number;
}

/** A manifest line that breaks the format; the message names the line, as Pulp's does. */
export class ManifestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ManifestError';
  }
}

const FORMAT = 'Each line must be "<relative_path>,<sha256>,<size>".';

/**
 * Parses one manifest line (Pulp's rules: blank and `#` lines are skipped, the line splits on its last two
 * commas so paths may contain commas, parts are trimmed). The relative path must also be a canonical, safe
 * relative path, since it becomes a path in storage listings and distributions.
 */
export function parseManifestLine(text: string, line: number): ManifestEntry | null {
  const trimmed = text.trim();
  if (trimmed === '' || trimmed.startsWith('#')) return null;
  const last = trimmed.lastIndexOf(',');
  const middle = last > 0 ? trimmed.lastIndexOf(',', last - 1) : -1;
  if (middle < 0)
    throw new ManifestError(`Manifest line ${line} is malformed: ${FORMAT} Got ${JSON.stringify(truncate(trimmed))}.`);
  const relativePath = trimmed.slice(0, middle).trim();
  const digest = trimmed
    .slice(middle + 1, last)
    .trim()
    .toLowerCase();
  const sizeText = trimmed.slice(last + 1).trim();
  if (!/^[0-9a-f]{64}$/.test(digest)) {
    throw new ManifestError(
      `Manifest line ${line} is malformed: the digest must be a sha256 hex digest. Got ${JSON.stringify(truncate(digest))}.`,
    );
  }
  if (!/^\d{1,15}$/.test(sizeText)) {
    throw new ManifestError(
      `Manifest line ${line} is malformed: the size must be a decimal number of bytes. Got ${JSON.stringify(truncate(sizeText))}.`,
    );
  }
  const problem = relativePathProblem(relativePath);
  if (problem) {
    throw new ManifestError(
      `Manifest line ${line} has an invalid relative path ${JSON.stringify(truncate(relativePath))}: ${problem}`,
    );
  }
  return { relativePath, digest, size: Number(sizeText), line };
}

function truncate(s: string): string {
  return s.length > 200 ? `${s.slice(0, 200)}…` : s;
}

/** Reads a manifest file line by line (never the whole file in memory), yielding its entries. */
export async function* readManifest(filePath: string): AsyncGenerator<ManifestEntry> {
  const rl = createInterface({ input: createReadStream(filePath, { encoding: 'utf8' }), crlfDelay: Infinity });
  let line = 0;
  for await (const text of rl) {
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

import { canonicalizeName } from './names.js';

/**
 * The simple repository API as pulp_python 3.25 renders it: PEP 503 HTML (with PEP 592 yanked, PEP 658/714
 * metadata and data-requires-python) and PEP 691 JSON (api-version 1.1, PEP 700 versions/size/upload-time).
 * Rendering is pure; callers give absolute file URLs.
 */

export const SIMPLE_API_VERSION = '1.1';
/** pulp_python answers a constant serial until repositories carry one (its PYPI_SERIAL_CONSTANT). */
export const PYPI_SERIAL_CONSTANT = 1000000000;
export const LAST_SERIAL_HEADER = 'X-PyPI-Last-Serial';

/** One file on a project page. */
export interface SimpleFile {
  filename: string;
  /** Absolute download URL without fragment. */
  url: string;
  sha256: string;
  requiresPython: string | null;
  /** sha256 of the PEP 658 metadata file, null when there is none. */
  metadataSha256: string | null;
  /** false, or the reason (true when yanked without one). */
  yanked: false | true | string;
  size: number;
  /** ISO 8601 upload time, or null when unknown. */
  uploadTime: string | null;
  version: string;
  provenanceUrl: string | null;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function renderSimpleIndexHtml(names: Iterable<string>): string {
  const links = [...names].map((n) => `    <a href="${escapeHtml(canonicalizeName(n))}/">${escapeHtml(n)}</a><br/>\n`);
  return (
    '<!DOCTYPE html>\n<html>\n  <head>\n    <title>Simple Index</title>\n' +
    `    <meta name="pypi:repository-version" content="${SIMPLE_API_VERSION}">\n  </head>\n  <body>\n` +
    links.join('') +
    '  </body>\n</html>\n'
  );
}

export function renderSimpleIndexJson(names: Iterable<string>): unknown {
  return {
    meta: { 'api-version': SIMPLE_API_VERSION, '_last-serial': PYPI_SERIAL_CONSTANT },
    projects: [...names].map((name) => ({ name, '_last-serial': PYPI_SERIAL_CONSTANT })),
  };
}

export function renderSimpleDetailHtml(project: string, files: SimpleFile[]): string {
  const name = escapeHtml(canonicalizeName(project));
  const links = files.map((f) => {
    const attrs = [`href="${escapeHtml(`${f.url}#sha256=${f.sha256}`)}"`, 'rel="internal"'];
    if (f.requiresPython) attrs.push(`data-requires-python="${escapeHtml(f.requiresPython)}"`);
    if (f.metadataSha256) {
      attrs.push(
        `data-dist-info-metadata="sha256=${f.metadataSha256}"`,
        `data-core-metadata="sha256=${f.metadataSha256}"`,
      );
    }
    if (f.yanked !== false) attrs.push(`data-yanked="${f.yanked === true ? '' : escapeHtml(f.yanked)}"`);
    if (f.provenanceUrl) attrs.push(`data-provenance="${escapeHtml(f.provenanceUrl)}"`);
    return `    <a ${attrs.join(' ')}>${escapeHtml(f.filename)}</a><br/>\n`;
  });
  return (
    `<!DOCTYPE html>\n<html>\n  <head>\n    <title>Links for ${name}</title>\n` +
    `    <meta name="pypi:repository-version" content="${SIMPLE_API_VERSION}">\n  </head>\n  <body>\n` +
    `    <h1>Links for ${name}</h1>\n` +
    links.join('') +
    '  </body>\n</html>\n'
  );
}

export function renderSimpleDetailJson(project: string, files: SimpleFile[]): unknown {
  const versions = [...new Set(files.map((f) => f.version))].sort();
  return {
    meta: { 'api-version': SIMPLE_API_VERSION, '_last-serial': PYPI_SERIAL_CONSTANT },
    name: canonicalizeName(project),
    files: files.map((f) => ({
      filename: f.filename,
      url: f.url,
      hashes: { sha256: f.sha256 },
      'requires-python': f.requiresPython || null,
      'data-dist-info-metadata': f.metadataSha256 ? { sha256: f.metadataSha256 } : false,
      'core-metadata': f.metadataSha256 ? { sha256: f.metadataSha256 } : false,
      ...(f.yanked !== false ? { yanked: f.yanked } : {}),
      size: f.size,
      'upload-time': f.uploadTime,
      provenance: f.provenanceUrl,
    })),
    versions,
  };
}

/** Pulp's upload-time: UTC with a `Z` suffix (Python isoformat keeps microseconds). */
export function formatUploadTime(date: Date | string | null): string | null {
  if (date === null) return null;
  const d = typeof date === 'string' ? new Date(date) : date;
  return Number.isNaN(d.getTime()) ? null : d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

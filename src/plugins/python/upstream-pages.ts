import { Parser } from 'htmlparser2';

import { parseDistFilename } from './filenames.js';
import { IndexError } from './index-errors.js';
import { type LinkPolicy, resolveFileLink } from './link-policy.js';

/** A file an upstream project page lists. */
export interface UpstreamFile {
  filename: string;
  url: string;
  /** Lowercase hex digests by algorithm, from the URL fragment or PEP 691 `hashes`. */
  hashes: Record<string, string>;
  requiresPython: string | null;
  yanked: false | true | string;
  /** PEP 658/714: false when absent, true when present without a digest, else its sha256. */
  metadata: false | true | { sha256: string };
  size: number | null;
  uploadTime: string | null;
  provenanceUrl: string | null;
}

const HEX = /^[0-9a-f]+$/;

/** Parse a PEP 503 HTML project page. Links are resolved on the page URL (or its `<base href>`) and checked. */
export function parseProjectHtml(html: string, pageUrl: string, indexUrl: string, policy: LinkPolicy): UpstreamFile[] {
  const files: UpstreamFile[] = [];
  let base = pageUrl;
  let anchor: Record<string, string> | null = null;
  const parser = new Parser(
    {
      onopentag(name, attribs) {
        if (name === 'base' && attribs.href) base = new URL(attribs.href, pageUrl).toString();
        if (name === 'a' && attribs.href !== undefined) anchor = attribs;
      },
      onclosetag(name) {
        if (name !== 'a' || !anchor) return;
        const attrs: Record<string, string> = anchor;
        anchor = null;
        files.push(fileFromAnchor(attrs, base, pageUrl, indexUrl, policy));
      },
    },
    { decodeEntities: true, lowerCaseAttributeNames: true },
  );
  parser.write(html);
  parser.end();
  return files;
}

function fileFromAnchor(
  attrs: Record<string, string>,
  base: string,
  pageUrl: string,
  indexUrl: string,
  policy: LinkPolicy,
): UpstreamFile {
  const href = attrs.href ?? '';
  const { url, fragment } = resolveFileLink(href, base, indexUrl, policy);
  const hashes: Record<string, string> = {};
  const hash = /^([a-z0-9]+)=([0-9a-fA-F]+)$/.exec(fragment);
  if (hash?.[1] && hash[2]) hashes[hash[1]] = hash[2].toLowerCase();
  const core = attrs['data-core-metadata'] ?? attrs['data-dist-info-metadata'];
  let metadata: UpstreamFile['metadata'] = false;
  if (core !== undefined) {
    const digest = /^sha256=([0-9a-fA-F]{64})$/.exec(core.trim());
    metadata = digest?.[1] ? { sha256: digest[1].toLowerCase() } : core.trim() === 'true' || core === '' ? true : false;
  }
  const yanked = attrs['data-yanked'];
  return {
    filename: filenameOf(url, pageUrl),
    url,
    hashes,
    requiresPython: attrs['data-requires-python'] || null,
    yanked: yanked === undefined ? false : yanked === '' ? true : yanked,
    metadata,
    size: null,
    uploadTime: null,
    provenanceUrl: attrs['data-provenance'] ?? null,
  };
}

/** Parse a PEP 691 JSON project page. */
export function parseProjectJson(body: unknown, pageUrl: string, indexUrl: string, policy: LinkPolicy): UpstreamFile[] {
  const page = body as { files?: unknown };
  if (typeof body !== 'object' || body === null || !Array.isArray(page.files)) {
    throw new IndexError(`${pageUrl}: not a PEP 691 project page (no "files" list)`);
  }
  return page.files.map((raw: unknown) => {
    const f = raw as Record<string, unknown>;
    if (typeof f !== 'object' || f === null || typeof f.url !== 'string' || typeof f.filename !== 'string') {
      throw new IndexError(`${pageUrl}: a file entry without "url" and "filename"`);
    }
    const { url } = resolveFileLink(f.url, pageUrl, indexUrl, policy);
    const hashes: Record<string, string> = {};
    if (typeof f.hashes === 'object' && f.hashes !== null) {
      for (const [k, v] of Object.entries(f.hashes as Record<string, unknown>)) {
        if (typeof v === 'string' && HEX.test(v.toLowerCase())) hashes[k] = v.toLowerCase();
      }
    }
    const core = f['core-metadata'] ?? f['data-dist-info-metadata'] ?? f['dist-info-metadata'];
    const coreSha = typeof core === 'object' && core !== null ? (core as Record<string, unknown>).sha256 : undefined;
    const filename = filenameOf(url, pageUrl);
    if (filename !== f.filename) {
      throw new IndexError(`${pageUrl}: file ${JSON.stringify(f.filename)} links to ${JSON.stringify(filename)}`);
    }
    return {
      filename,
      url,
      hashes,
      requiresPython: typeof f['requires-python'] === 'string' && f['requires-python'] ? f['requires-python'] : null,
      yanked:
        f.yanked === true
          ? true
          : typeof f.yanked === 'string' && f.yanked !== ''
            ? f.yanked
            : f.yanked === ''
              ? true
              : false,
      metadata:
        typeof coreSha === 'string' && /^[0-9a-fA-F]{64}$/.test(coreSha)
          ? { sha256: coreSha.toLowerCase() }
          : core
            ? true
            : false,
      size: typeof f.size === 'number' && Number.isSafeInteger(f.size) && f.size >= 0 ? f.size : null,
      uploadTime: typeof f['upload-time'] === 'string' ? f['upload-time'] : null,
      provenanceUrl: typeof f.provenance === 'string' ? f.provenance : null,
    };
  });
}

// pip takes the filename from the URL path, not the anchor text; it must be a distribution Pulp accepts.
function filenameOf(url: string, pageUrl: string): string {
  const last = new URL(url).pathname.split('/').pop() ?? '';
  let name: string;
  try {
    name = decodeURIComponent(last);
  } catch {
    name = last;
  }
  if (!parseDistFilename(name) || name.includes('/') || name.includes('\\')) {
    throw new IndexError(`${pageUrl}: link ${JSON.stringify(url)} is not a Python distribution file`);
  }
  return name;
}

/** Project names of a PEP 503 root page (the anchor texts) or a PEP 691 JSON root page. */
export function parseIndexPage(body: string, contentType: string, pageUrl: string): string[] {
  if (contentType.includes('json')) {
    let json: { projects?: unknown };
    try {
      json = JSON.parse(body) as { projects?: unknown };
    } catch (err) {
      throw new IndexError(`${pageUrl}: invalid JSON`, { cause: err });
    }
    if (!Array.isArray(json.projects)) throw new IndexError(`${pageUrl}: not a PEP 691 index (no "projects")`);
    return json.projects.flatMap((p: unknown) =>
      typeof p === 'object' && p !== null && typeof (p as { name?: unknown }).name === 'string'
        ? [(p as { name: string }).name]
        : [],
    );
  }
  const names: string[] = [];
  let inAnchor = false;
  let text = '';
  const parser = new Parser(
    {
      onopentag(name) {
        if (name === 'a') {
          inAnchor = true;
          text = '';
        }
      },
      ontext(data) {
        if (inAnchor) text += data;
      },
      onclosetag(name) {
        if (name === 'a' && inAnchor) {
          inAnchor = false;
          if (text.trim()) names.push(text.trim());
        }
      },
    },
    { decodeEntities: true },
  );
  parser.write(body);
  parser.end();
  return names;
}

import { isValidProjectName } from './names.js';
import { isValidVersion } from './pep440.js';

/**
 * The core metadata fields Pulp keeps for a package (pulp_python's PythonPackageContent), named as its
 * serializer names them. Lists are JSON arrays; `project_urls` is a label -> URL object as PyPI's JSON API
 * has it.
 */
export interface CoreMetadata {
  metadata_version: string;
  name: string;
  version: string;
  summary: string;
  description: string;
  description_content_type: string;
  keywords: string;
  home_page: string;
  download_url: string;
  author: string;
  author_email: string;
  maintainer: string;
  maintainer_email: string;
  license: string;
  license_expression: string;
  license_file: string[];
  platform: string;
  supported_platform: string;
  classifiers: string[];
  requires_dist: string[];
  requires_python: string;
  requires_external: string[];
  provides_dist: string[];
  obsoletes_dist: string[];
  provides_extras: string[];
  project_url: string;
  project_urls: Record<string, string>;
  dynamic: string[];
}

export class MetadataError extends Error {}

/** pulp_python's SUPPORTED_METADATA_VERSIONS. */
export const SUPPORTED_METADATA_VERSIONS = ['1.0', '1.1', '1.2', '2.0', '2.1', '2.2', '2.3', '2.4'];

const SINGLE: Record<string, keyof CoreMetadata> = {
  'metadata-version': 'metadata_version',
  name: 'name',
  version: 'version',
  summary: 'summary',
  description: 'description',
  'description-content-type': 'description_content_type',
  keywords: 'keywords',
  'home-page': 'home_page',
  'download-url': 'download_url',
  author: 'author',
  'author-email': 'author_email',
  maintainer: 'maintainer',
  'maintainer-email': 'maintainer_email',
  license: 'license',
  'license-expression': 'license_expression',
  'requires-python': 'requires_python',
};
const MULTI: Record<string, keyof CoreMetadata> = {
  'license-file': 'license_file',
  classifier: 'classifiers',
  'requires-dist': 'requires_dist',
  'requires-external': 'requires_external',
  'provides-dist': 'provides_dist',
  'obsoletes-dist': 'obsoletes_dist',
  'provides-extra': 'provides_extras',
  dynamic: 'dynamic',
};
const JOINED: Record<string, keyof CoreMetadata> = { platform: 'platform', 'supported-platform': 'supported_platform' };

export function emptyCoreMetadata(): CoreMetadata {
  return {
    metadata_version: '',
    name: '',
    version: '',
    summary: '',
    description: '',
    description_content_type: '',
    keywords: '',
    home_page: '',
    download_url: '',
    author: '',
    author_email: '',
    maintainer: '',
    maintainer_email: '',
    license: '',
    license_expression: '',
    license_file: [],
    platform: '',
    supported_platform: '',
    classifiers: [],
    requires_dist: [],
    requires_python: '',
    requires_external: [],
    provides_dist: [],
    obsoletes_dist: [],
    provides_extras: [],
    project_url: '',
    project_urls: {},
    dynamic: [],
  };
}

/**
 * Parse a METADATA / PKG-INFO file (RFC 822 style headers, continuation lines, the description as the body
 * from metadata 2.1). Throws MetadataError when Metadata-Version, Name or Version is missing or invalid;
 * unknown headers are ignored, as pkginfo does.
 */
export function parseCoreMetadata(bytes: Uint8Array): CoreMetadata {
  const text = new TextDecoder('utf-8').decode(bytes).replace(/\r\n?/g, '\n');
  const meta = emptyCoreMetadata();
  const platforms: Record<string, string[]> = { platform: [], supported_platform: [] };
  const lines = text.split('\n');
  let i = 0;
  let sawHeader = false;
  while (i < lines.length) {
    const line = lines[i] ?? '';
    if (line === '') break;
    const colon = line.indexOf(':');
    if (colon <= 0 || /^\s/.test(line)) {
      throw new MetadataError(`Malformed metadata header line ${i + 1}: ${JSON.stringify(line.slice(0, 80))}`);
    }
    const key = line.slice(0, colon).trim().toLowerCase();
    let value = line.slice(colon + 1).replace(/^[ \t]/, '');
    i++;
    while (i < lines.length && /^[ \t]/.test(lines[i] ?? '')) {
      value += '\n' + (lines[i] ?? '');
      i++;
    }
    sawHeader = true;
    assign(meta, platforms, key, value);
  }
  if (!sawHeader) throw new MetadataError('The metadata file has no headers.');
  const body = lines.slice(i + 1).join('\n');
  if (body.trim() !== '' && meta.description === '') meta.description = body.replace(/\n+$/, '\n');
  meta.platform = platforms.platform?.join(', ') ?? '';
  meta.supported_platform = platforms.supported_platform?.join(', ') ?? '';
  validate(meta);
  return meta;
}

function assign(meta: CoreMetadata, platforms: Record<string, string[]>, key: string, raw: string): void {
  const value = raw.trim();
  const single = SINGLE[key];
  if (single) {
    (meta as unknown as Record<string, string>)[single] = key === 'description' ? unfoldDescription(raw) : value;
    return;
  }
  const multi = MULTI[key];
  if (multi) {
    if (value !== '') (meta[multi] as string[]).push(value);
    return;
  }
  const joined = JOINED[key];
  if (joined) {
    if (value !== '' && value.toUpperCase() !== 'UNKNOWN') platforms[joined]?.push(value);
    return;
  }
  if (key === 'project-url') {
    const comma = value.indexOf(',');
    const label = comma >= 0 ? value.slice(0, comma).trim() : '';
    const url = comma >= 0 ? value.slice(comma + 1).trim() : value;
    meta.project_urls[label || url] = url;
  }
}

// Older tools fold the description with 8 spaces or "       |" on every continuation line.
function unfoldDescription(raw: string): string {
  const [first = '', ...rest] = raw.split('\n');
  return [first.trim(), ...rest.map((l) => l.replace(/^( {8}|\t| {7}\|)/, ''))].join('\n').trim();
}

function validate(meta: CoreMetadata): void {
  if (meta.metadata_version === '') throw new MetadataError('The metadata has no Metadata-Version.');
  if (!/^[12]\.\d+$/.test(meta.metadata_version)) {
    throw new MetadataError(`Unsupported Metadata-Version ${JSON.stringify(meta.metadata_version)}.`);
  }
  if (meta.name === '') throw new MetadataError('The metadata has no Name.');
  if (!isValidProjectName(meta.name)) throw new MetadataError(`Invalid project name ${JSON.stringify(meta.name)}.`);
  if (meta.version === '') throw new MetadataError('The metadata has no Version.');
  if (!isValidVersion(meta.version)) {
    throw new MetadataError(`Version ${JSON.stringify(meta.version)} is not a valid PEP 440 version.`);
  }
}

import type { PythonPackageRow } from './package-row.js';
import { compareVersions, versionsEqual } from './pep440.js';

/** A package with what its download entry needs beyond the row. */
export interface JsonApiPackage {
  row: PythonPackageRow;
  /** Absolute download URL. */
  url: string;
  /** md5 of the artifact when known (Pulp reports '' otherwise). */
  md5: string | null;
}

/**
 * pulp_python's `pypi/<name>/json` and `pypi/<name>/<version>/json` body (its python_content_to_json): the
 * latest release's info (or the requested version's), every release's files, the chosen release's files as
 * `urls`. Null when the version is given and absent (or there are no packages): the caller answers 404.
 */
export function renderProjectJson(packages: JsonApiPackage[], version?: string): unknown {
  const chosen = chooseRelease(packages, version);
  const first = chosen[0];
  if (!first) return null;
  const releases: Record<string, unknown[]> = {};
  for (const p of packages) (releases[p.row.version] ??= []).push(downloadInfo(p));
  return {
    last_serial: 0,
    info: info(first.row),
    releases,
    urls: chosen.map(downloadInfo),
  };
}

function chooseRelease(packages: JsonApiPackage[], version: string | undefined): JsonApiPackage[] {
  if (version !== undefined) {
    return packages.filter((p) => p.row.version === version || versionsEqual(p.row.version, version));
  }
  let latest: JsonApiPackage[] = [];
  for (const p of packages) {
    const head = latest[0];
    const order = head ? compareVersions(p.row.version, head.row.version) : 1;
    if (order > 0) latest = [p];
    else if (order === 0) latest.push(p);
  }
  return latest;
}

const orNull = <T>(v: T[] | Record<string, string>): typeof v | null =>
  (Array.isArray(v) ? v.length : Object.keys(v).length) ? v : null;

function info(row: PythonPackageRow): Record<string, unknown> {
  return {
    name: row.name,
    version: row.version,
    summary: row.summary,
    keywords: row.keywords,
    description: row.description,
    description_content_type: row.description_content_type,
    bugtrack_url: null,
    docs_url: null,
    downloads: { last_day: -1, last_month: -1, last_week: -1 },
    download_url: row.download_url,
    home_page: row.home_page,
    author: row.author,
    author_email: row.author_email,
    maintainer: row.maintainer,
    maintainer_email: row.maintainer_email,
    license: row.license,
    requires_python: row.requires_python || null,
    package_url: row.project_url,
    project_url: row.project_url,
    release_url: row.project_url ? `${row.project_url}${row.version}/` : '',
    project_urls: orNull(row.project_urls),
    platform: row.platform,
    requires_dist: orNull(row.requires_dist),
    classifiers: orNull(row.classifiers),
    yanked: false,
    yanked_reason: null,
    provides_extras: orNull(row.provides_extras),
    dynamic: orNull(row.dynamic),
    license_expression: row.license_expression,
    license_file: orNull(row.license_file),
  };
}

function downloadInfo(p: JsonApiPackage): Record<string, unknown> {
  const { row } = p;
  const created = new Date(row.pulp_created);
  const md5 = p.md5 ?? '';
  return {
    comment_text: '',
    digests: { md5, sha256: row.sha256 },
    downloads: -1,
    filename: row.filename,
    has_sig: false,
    md5_digest: md5,
    packagetype: row.packagetype,
    python_version: row.python_version,
    requires_python: row.requires_python || null,
    size: Number(row.size),
    upload_time: pythonDatetime(created, ' '),
    upload_time_iso_8601: pythonDatetime(created, 'T'),
    url: p.url,
    yanked: row.yanked,
    yanked_reason: row.yanked_reason,
  };
}

/** Python's str()/isoformat() of an aware UTC datetime: microseconds and `+00:00`. */
export function pythonDatetime(date: Date, separator: ' ' | 'T'): string {
  const iso = date.toISOString();
  return `${iso.slice(0, 10)}${separator}${iso.slice(11, 23)}000+00:00`;
}

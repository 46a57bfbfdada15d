import * as pep440 from '@renovatebot/pep440';

/**
 * PEP 440 versions and specifiers, through @renovatebot/pep440 (4.x: the 5.x line needs Node 22). Everything a
 * remote or an uploader sends goes through these, so none of them throws on garbage: an invalid version is
 * `null` or `false`, the way packaging's `InvalidVersion` is treated by Pulp's filters.
 */

/** The version as PEP 440 reads it, or null when it is not a valid version. */
export function parseVersion(version: string): pep440.Pep440Version | null {
  return pep440.explain(version);
}

export function isValidVersion(version: string): boolean {
  return pep440.valid(version) !== null;
}

/** Sort order of two valid versions (invalid ones sort first, in string order, so sorting never throws). */
export function compareVersions(a: string, b: string): number {
  const va = isValidVersion(a);
  const vb = isValidVersion(b);
  if (va && vb) return pep440.compare(a, b);
  if (va !== vb) return va ? 1 : -1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** PEP 440 equality (`1.0` == `1.0.0`); false when either is invalid. */
export function versionsEqual(a: string, b: string): boolean {
  return isValidVersion(a) && isValidVersion(b) && pep440.eq(a, b);
}

/** Pre-, dev- releases (as packaging's `is_prerelease`); false for an invalid version. */
export function isPrerelease(version: string): boolean {
  return parseVersion(version)?.is_prerelease ?? false;
}

/** A specifier set such as `>=1.0,<2`; the empty string is valid and matches every version. */
export function isValidSpecifier(specifier: string): boolean {
  return specifier.trim() === '' || pep440.validRange(specifier);
}

/**
 * Whether the version is in the specifier set. Pre-releases always count, as Pulp sets
 * `specifier.prereleases = True` on include/exclude requirements; the remote's `prereleases` flag is a
 * separate filter.
 */
export function satisfiesSpecifier(version: string, specifier: string): boolean {
  if (!isValidVersion(version)) return false;
  if (specifier.trim() === '') return true;
  return pep440.satisfies(version, specifier, { prereleases: true });
}

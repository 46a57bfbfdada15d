/** Why a distribution archive was refused: unreadable, unsafe or too large to read within the limits. */
export class ArchiveError extends Error {}

/**
 * Reading limits. Metadata files are small (a few KiB; a long description rarely passes 1 MiB), so a member
 * declared or inflating past `maxMemberBytes` is refused rather than read. A tar must be scanned
 * sequentially up to its PKG-INFO, so the inflated bytes scanned are capped too: a gzip bomb stops there.
 */
export interface ArchiveLimits {
  maxMemberBytes: number;
  maxEntries: number;
  maxScannedBytes: number;
}

export const DEFAULT_ARCHIVE_LIMITS: ArchiveLimits = {
  maxMemberBytes: 16 * 1024 * 1024,
  maxEntries: 200_000,
  maxScannedBytes: 2 * 1024 * 1024 * 1024,
};

/** Why an archive member name is unsafe (absolute, drive letter, `..`, backslash, NUL), or null. */
export function memberNameProblem(name: string): string | null {
  if (name.includes('\0')) return `member name with a NUL byte: ${JSON.stringify(name)}`;
  if (name.includes('\\')) return `member name with a backslash: ${JSON.stringify(name)}`;
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) return `absolute member path: ${JSON.stringify(name)}`;
  if (name.split('/').includes('..')) return `member path with "..": ${JSON.stringify(name)}`;
  return null;
}

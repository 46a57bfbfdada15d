import { isValidVersion } from './pep440.js';

/** Pulp's PACKAGE_TYPES, in its order. */
export const PACKAGE_TYPES = [
  'bdist_dmg',
  'bdist_dumb',
  'bdist_egg',
  'bdist_msi',
  'bdist_rpm',
  'bdist_wheel',
  'bdist_wininst',
  'sdist',
] as const;
export type PackageType = (typeof PACKAGE_TYPES)[number];

/** Pulp's PLATFORMS (remote `exclude_platforms` choices). */
export const PLATFORMS = ['windows', 'macos', 'freebsd', 'linux'] as const;

// pulp_python's DIST_EXTENSIONS, in the order it tries them.
const EXTENSIONS: Array<[string, PackageType]> = [
  ['.whl', 'bdist_wheel'],
  ['.exe', 'bdist_wininst'],
  ['.egg', 'bdist_egg'],
  ['.tar.bz2', 'sdist'],
  ['.tar.gz', 'sdist'],
  ['.zip', 'sdist'],
];

export const EXTENSION_MESSAGE = '(.whl, .exe, .egg, .tar.gz, .tar.bz2, .zip)';

/** What a distribution's filename says about it. */
export interface DistFilename {
  packagetype: PackageType;
  extension: string;
  /** Project name as written in the filename (wheel and sdist names are escaped, `-` -> `_`). */
  name: string | null;
  version: string | null;
  /** Pulp's `python_version`: `source` for sdists, the python tag for built distributions. */
  pythonVersion: string;
}

// Same shape as pip's wheel filename regex (pulp_python's DIST_REGEXES).
const WHEEL = /^(?<name>.+?)-(?<version>.*?)(-(?<build>\d[^-]*?))?-(?<pyver>.+?)-(?<abi>.+?)-(?<plat>.+?)\.whl$/;
const EGG = /^(?<name>.+?)-(?<version>.*?)(-(?<pyver>.+?(-(?<plat>.+?))?))?\.egg$/;
const EXE = /^(?<name>.+?)-(?<version>.*?)\.(?<plat>.+?)(-(?<pyver>.+?))?\.exe$/;

/** The package type of a filename by its extension, or null when it is not a Python distribution. */
export function packageTypeOf(filename: string): PackageType | null {
  return EXTENSIONS.find(([ext]) => filename.endsWith(ext))?.[1] ?? null;
}

/** Parse a distribution filename; null when the extension is not one Pulp accepts. */
export function parseDistFilename(filename: string): DistFilename | null {
  const found = EXTENSIONS.find(([ext]) => filename.endsWith(ext));
  if (!found) return null;
  const [extension, packagetype] = found;
  if (packagetype === 'sdist') {
    const stem = filename.slice(0, -extension.length);
    const split = splitSdistStem(stem);
    return {
      packagetype,
      extension,
      name: split?.name ?? null,
      version: split?.version ?? null,
      pythonVersion: 'source',
    };
  }
  const regex = extension === '.whl' ? WHEEL : extension === '.egg' ? EGG : EXE;
  const groups = regex.exec(filename)?.groups;
  return {
    packagetype,
    extension,
    name: groups?.name ?? null,
    version: groups?.version ?? null,
    pythonVersion: groups?.pyver ?? '',
  };
}

/**
 * `<name>-<version>`: legacy sdist names may contain `-`, so take the longest valid PEP 440 version at the end
 * (`foo-bar-1.0` is foo-bar 1.0; `foo-1.0-2` keeps 1.0-2, a valid post release).
 */
function splitSdistStem(stem: string): { name: string; version: string } | null {
  for (let i = stem.indexOf('-'); i > 0; i = stem.indexOf('-', i + 1)) {
    const version = stem.slice(i + 1);
    if (isValidVersion(version)) return { name: stem.slice(0, i), version };
  }
  const last = stem.lastIndexOf('-');
  return last > 0 ? { name: stem.slice(0, last), version: stem.slice(last + 1) } : null;
}

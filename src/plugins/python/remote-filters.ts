import { canonicalizeName } from './names.js';
import { compareVersions, isPrerelease, isValidVersion, satisfiesSpecifier } from './pep440.js';
import { parseRequirement, type Requirement } from './requirement.js';

/** The remote fields that select what a sync (or pull-through) takes from the index. */
export interface RemoteFilterOptions {
  includes: string[];
  excludes: string[];
  prereleases: boolean;
  package_types: string[];
  keep_latest_packages: number;
  exclude_platforms: string[];
}

/** A file as the filters see it. */
export interface FilterableFile {
  filename: string;
  packagetype: string;
}

// bandersnatch's exclude_platform plugin: filename fragments (and package types) of each platform.
const PLATFORM_PATTERNS: Record<string, { fragments: string[]; packagetypes: string[] }> = {
  windows: {
    fragments: ['.win32', '-win32', 'win_amd64', 'win-amd64', 'win_arm64', 'win-arm64'],
    packagetypes: ['bdist_msi', 'bdist_wininst'],
  },
  macos: { fragments: ['macosx_', 'macosx-'], packagetypes: ['bdist_dmg'] },
  freebsd: { fragments: ['.freebsd', '-freebsd'], packagetypes: [] },
  linux: {
    fragments: [
      'linux-i686',
      'linux-x86_64',
      'linux_armv7l',
      'linux_armv6l',
      'manylinux1_i686',
      'manylinux1_x86_64',
      'manylinux2010_i686',
      'manylinux2010_x86_64',
      'manylinux2014_x86_64',
      'manylinux2014_i686',
      'manylinux2014_aarch64',
      'manylinux2014_armv7l',
      'manylinux2014_ppc64',
      'manylinux2014_ppc64le',
      'manylinux2014_s390x',
      '-manylinux_',
      'musllinux',
    ],
    packagetypes: ['bdist_rpm'],
  },
};

/**
 * The filters pulp_python configures in bandersnatch (allowlist/blocklist project and release, prerelease,
 * package type, latest_release, exclude_platform), as one object built once per sync.
 */
export class RemoteFilter {
  private readonly includes = new Map<string, Requirement[]>();
  private readonly excludes = new Map<string, Requirement[]>();
  private readonly fragments: string[] = [];
  private readonly excludedTypes = new Set<string>();

  constructor(private readonly options: RemoteFilterOptions) {
    for (const text of options.includes) push(this.includes, parseRequirement(text));
    for (const text of options.excludes) push(this.excludes, parseRequirement(text));
    for (const platform of options.exclude_platforms) {
      const p = PLATFORM_PATTERNS[platform];
      if (!p) continue;
      this.fragments.push(...p.fragments);
      for (const t of p.packagetypes) this.excludedTypes.add(t);
    }
  }

  /** The project names the includes list, in PEP 503 form; null when every project is wanted. */
  includedProjects(): string[] | null {
    return this.includes.size ? [...this.includes.keys()] : null;
  }

  /** Whether the project passes: listed in includes (when there are any) and not excluded as a whole. */
  allowsProject(name: string): boolean {
    const canonical = canonicalizeName(name);
    if (this.includes.size && !this.includes.has(canonical)) return false;
    return !(this.excludes.get(canonical) ?? []).some((r) => r.specifier === '');
  }

  /** Whether one release passes the include/exclude specifiers and the prereleases flag. */
  allowsRelease(name: string, version: string): boolean {
    if (!this.allowsProject(name) || !isValidVersion(version)) return false;
    if (!this.options.prereleases && isPrerelease(version)) return false;
    const canonical = canonicalizeName(name);
    const includes = this.includes.get(canonical);
    if (includes && !includes.some((r) => satisfiesSpecifier(version, r.specifier))) return false;
    const excludes = (this.excludes.get(canonical) ?? []).filter((r) => r.specifier !== '');
    return !excludes.some((r) => satisfiesSpecifier(version, r.specifier));
  }

  /** Whether one file passes package_types and exclude_platforms (sdists are never platform-filtered). */
  allowsFile(file: FilterableFile): boolean {
    if (this.options.package_types.length && !this.options.package_types.includes(file.packagetype)) return false;
    if (file.packagetype === 'sdist') return true;
    if (this.excludedTypes.has(file.packagetype)) return false;
    return !this.fragments.some((f) => file.filename.includes(f));
  }

  /**
   * Apply every filter to a project's releases: files first, releases left without files dropped, then
   * versions, then keep_latest_packages (the highest N versions).
   */
  selectReleases<F extends FilterableFile>(name: string, releases: Map<string, F[]>): Map<string, F[]> {
    const kept = new Map<string, F[]>();
    for (const [version, files] of releases) {
      if (!this.allowsRelease(name, version)) continue;
      const allowed = files.filter((f) => this.allowsFile(f));
      if (allowed.length) kept.set(version, allowed);
    }
    const keep = this.options.keep_latest_packages;
    if (keep <= 0 || kept.size <= keep) return kept;
    const latest = [...kept.keys()].sort(compareVersions).slice(-keep);
    return new Map(latest.map((v) => [v, kept.get(v) as F[]]));
  }
}

function push(map: Map<string, Requirement[]>, r: Requirement): void {
  const list = map.get(r.canonicalName);
  if (list) list.push(r);
  else map.set(r.canonicalName, [r]);
}

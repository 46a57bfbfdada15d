/** A bandersnatch config read into the PythonRemote fields pulp_python's from_bandersnatch sets. */
export interface BandersnatchRemoteFields {
  url?: string;
  download_concurrency?: string;
  prereleases: boolean;
  includes?: string[];
  excludes?: string[];
  package_types?: string[];
  /** The first token of `keep` (Pulp passes the split list to an integer field, which refuses it). */
  keep_latest_packages?: string;
  exclude_platforms?: string[];
}

export class BandersnatchConfigError extends Error {}

/**
 * Python configparser syntax as bandersnatch files use it: `[section]`, `key = value` or `key: value`,
 * indented continuation lines, `#`/`;` comment lines, case-insensitive keys. Returns section -> key -> value.
 */
export function parseIni(text: string): Map<string, Map<string, string>> {
  const sections = new Map<string, Map<string, string>>();
  let current: Map<string, string> | null = null;
  let lastKey: string | null = null;
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  lines.forEach((line, index) => {
    if (/^\s*([#;].*)?$/.test(line)) {
      if (line.trim() === '') lastKey = null;
      return;
    }
    if (/^\s/.test(line) && current && lastKey) {
      current.set(lastKey, `${current.get(lastKey) ?? ''}\n${line.trim()}`);
      return;
    }
    const section = /^\[([^\]]+)\]\s*$/.exec(line);
    if (section?.[1]) {
      current = sections.get(section[1]) ?? new Map<string, string>();
      sections.set(section[1], current);
      lastKey = null;
      return;
    }
    const kv = /^([^=:]+?)\s*[=:]\s*(.*)$/.exec(line);
    if (!kv?.[1] || !current) {
      throw new BandersnatchConfigError(`line ${index + 1} is neither a section, an option nor a continuation`);
    }
    lastKey = kv[1].trim().toLowerCase();
    current.set(lastKey, (kv[2] ?? '').trim());
  });
  return sections;
}

// plugin -> [section, option, remote field], pulp_python's translation table.
const PLUGIN_FIELDS: Array<[string, string, string, keyof BandersnatchRemoteFields]> = [
  ['allowlist_project', 'allowlist', 'packages', 'includes'],
  ['blocklist_project', 'blocklist', 'packages', 'excludes'],
  ['regex_release_file_metadata', 'regex_release_file_metadata', 'any:release_file.packagetype', 'package_types'],
  ['latest_release', 'latest_release', 'keep', 'keep_latest_packages'],
  ['exclude_platform', 'blocklist', 'platforms', 'exclude_platforms'],
];

/**
 * The remote fields a bandersnatch config gives: `[mirror] master` and `workers`, and each enabled filter
 * plugin's option split on whitespace (`all` enables every plugin; prereleases are kept unless the
 * prerelease_release plugin is enabled). The remote serializer validates the result.
 */
export function remoteFieldsFromBandersnatch(text: string): BandersnatchRemoteFields {
  const ini = parseIni(text);
  const mirror = ini.get('mirror');
  if (!mirror) throw new BandersnatchConfigError('the config has no [mirror] section');
  const enabled = (ini.get('plugins')?.get('enabled') ?? '').split(/\s+/).filter(Boolean);
  const all = enabled.includes('all');
  const fields: BandersnatchRemoteFields = { prereleases: !(all || enabled.includes('prerelease_release')) };
  const master = mirror.get('master');
  if (master !== undefined) fields.url = master;
  const workers = mirror.get('workers');
  if (workers !== undefined) fields.download_concurrency = workers;
  for (const [plugin, section, option, field] of PLUGIN_FIELDS) {
    const value = ini.get(section)?.get(option);
    if ((all || enabled.includes(plugin)) && value !== undefined) {
      const tokens = value.split(/\s+/).filter(Boolean);
      if (field === 'keep_latest_packages') fields.keep_latest_packages = tokens[0] ?? '';
      else (fields as unknown as Record<string, string[]>)[field] = tokens;
    }
  }
  return fields;
}

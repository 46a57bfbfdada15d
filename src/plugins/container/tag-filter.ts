/**
 * Tag (and pull-through repository name) filters: shell-style patterns with Python's fnmatch semantics, as
 * pulp_container's filter_resource uses them (`*`, `?`, `[seq]`, `[!seq]`, case-sensitive, whole string).
 */
export function fnmatchToRegExp(pattern: string): RegExp {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') out += '[\\s\\S]*';
    else if (c === '?') out += '[\\s\\S]';
    else if (c === '[') {
      let j = i + 1;
      if (pattern[j] === '!') j++;
      if (pattern[j] === ']') j++;
      while (j < pattern.length && pattern[j] !== ']') j++;
      if (j >= pattern.length) {
        out += '\\[';
        continue;
      }
      let body = pattern.slice(i + 1, j);
      const negate = body.startsWith('!');
      if (negate) body = body.slice(1);
      body = body.replace(/\\/g, '\\\\').replace(/\^/g, '\\^').replace(/\[/g, '\\[');
      out += negate ? `[^${body}]` : `[${body}]`;
      i = j;
    } else out += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

export interface NameFilter {
  includes?: readonly string[] | null;
  excludes?: readonly string[] | null;
}

/** A predicate that keeps names matching any include pattern (all when none) and no exclude pattern. */
export function compileNameFilter(filter: NameFilter): (name: string) => boolean {
  const includes = (filter.includes ?? []).map(fnmatchToRegExp);
  const excludes = (filter.excludes ?? []).map(fnmatchToRegExp);
  return (name) =>
    (includes.length === 0 || includes.some((re) => re.test(name))) && !excludes.some((re) => re.test(name));
}

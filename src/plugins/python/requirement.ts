import { canonicalizeName, isValidProjectName } from './names.js';
import { isValidSpecifier } from './pep440.js';

/** A PEP 508 requirement as a remote's `includes`/`excludes` use it: a name, optional extras, a specifier. */
export interface Requirement {
  name: string;
  /** PEP 503 form of the name. */
  canonicalName: string;
  extras: string[];
  /** Comma-separated specifier set, `''` when the whole project is meant. */
  specifier: string;
  marker: string | null;
}

export class RequirementError extends Error {}

/**
 * Parse a requirement (`django`, `django>=4.2,<5`, `requests[socks] (>=2)`, `foo; python_version<"3.12"`).
 * URL requirements (`name @ url`) are refused: a remote filter names index projects, not files.
 */
export function parseRequirement(text: string): Requirement {
  const trimmed = text.trim();
  if (trimmed === '') throw new RequirementError('Expected package name at the start of dependency specifier');
  const semi = trimmed.indexOf(';');
  const head = (semi >= 0 ? trimmed.slice(0, semi) : trimmed).trim();
  const marker = semi >= 0 ? trimmed.slice(semi + 1).trim() : null;
  if (marker === '') throw new RequirementError(`Expected a marker after ";" in ${JSON.stringify(text)}`);
  if (head.includes('@')) throw new RequirementError(`URL requirements are not supported: ${JSON.stringify(text)}`);
  const match = /^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[([^\]]*)\])?\s*(.*)$/.exec(head);
  if (!match?.[1]) throw new RequirementError(`Expected package name at the start of ${JSON.stringify(text)}`);
  const name = match[1];
  if (!isValidProjectName(name)) throw new RequirementError(`Invalid project name ${JSON.stringify(name)}`);
  const extras = (match[2] ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  for (const extra of extras) {
    if (!isValidProjectName(extra)) throw new RequirementError(`Invalid extra ${JSON.stringify(extra)}`);
  }
  let specifier = (match[3] ?? '').trim();
  const parenthesized = /^\((.*)\)$/.exec(specifier);
  if (parenthesized) specifier = (parenthesized[1] ?? '').trim();
  if (specifier !== '' && !/^(===|==|!=|~=|<=|>=|<|>)/.test(specifier)) {
    throw new RequirementError(
      `Expected a version specifier after ${JSON.stringify(name)}, got ${JSON.stringify(specifier)}`,
    );
  }
  if (!isValidSpecifier(specifier)) throw new RequirementError(`Invalid specifier ${JSON.stringify(specifier)}`);
  return { name, canonicalName: canonicalizeName(name), extras, specifier, marker };
}

/**
 * The distribution spec's grammar for repository names, tags and digests. Pulp accepts any base_path and lets
 * clients fail later; we refuse a bad name up front with NAME_INVALID so that nothing is created for it.
 */

/** `<component>(/<component>)*`, each component lower-case alphanumerics joined by `.`, `_`, `__` or dashes. */
const NAME_COMPONENT = '[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*';
const NAME = new RegExp(`^${NAME_COMPONENT}(?:/${NAME_COMPONENT})*$`);
/** Docker's limit on the whole name (the spec lets registries cap it). */
export const MAX_NAME_LENGTH = 255;

const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
/** The one algorithm stored and verified (as in Pulp); other algorithms are refused rather than trusted. */
const DIGEST = /^sha256:[a-f0-9]{64}$/;
/** Any digest the spec's grammar admits, to tell "a digest we cannot check" from "a tag". */
const DIGEST_LIKE = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:/;

export function isValidRepositoryName(name: string): boolean {
  return name.length > 0 && name.length <= MAX_NAME_LENGTH && NAME.test(name);
}

export function isValidTag(tag: string): boolean {
  return TAG.test(tag);
}

export function isValidDigest(digest: string): boolean {
  return DIGEST.test(digest);
}

/** What a manifest reference in a URL is: a tag, a digest we verify, or neither. */
export function classifyReference(reference: string): 'tag' | 'digest' | 'invalid-digest' | 'invalid' {
  if (DIGEST_LIKE.test(reference)) return isValidDigest(reference) ? 'digest' : 'invalid-digest';
  return isValidTag(reference) ? 'tag' : 'invalid';
}

/** The namespace of a repository name: its first path component (Pulp's ContainerNamespace). */
export function namespaceOf(name: string): string {
  const slash = name.indexOf('/');
  return slash === -1 ? name : name.slice(0, slash);
}

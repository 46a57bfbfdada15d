/**
 * Access scopes of Docker's token protocol: `repository:<name>:pull,push` and `registry:catalog:*`. A request
 * to the registry needs the scopes `requiredScopes` names; a token grants the `access` entries the token
 * server permitted.
 */
export interface Scope {
  type: string;
  name: string;
  action: string;
}

export interface AccessEntry {
  type: string;
  name: string;
  actions: string[];
}

/** What a registry request is about, as the router sees it. */
export interface RegistryTarget {
  /** Repository name in the URL, when there is one. */
  name?: string;
  /** GET and HEAD pull; everything else pushes. */
  method: string;
  /** `from` of a cross-repository mount (`?mount=<digest>&from=<name>` and nothing else). */
  mountFrom?: string;
  catalog?: boolean;
}

export function requiredScopes(target: RegistryTarget): Scope[] {
  if (target.catalog) return [{ type: 'registry', name: 'catalog', action: '*' }];
  if (!target.name) return [];
  const safe = target.method === 'GET' || target.method === 'HEAD';
  const scopes: Scope[] = [{ type: 'repository', name: target.name, action: safe ? 'pull' : 'push' }];
  if (target.mountFrom !== undefined) scopes.push({ type: 'repository', name: target.mountFrom, action: 'pull' });
  return scopes;
}

/** Whether every scope is granted by some access entry. */
export function grants(access: readonly AccessEntry[], scopes: readonly Scope[]): boolean {
  return scopes.every((s) =>
    access.some((a) => a.type === s.type && a.name === s.name && a.actions.includes(s.action)),
  );
}

/** `scope="repository:a:pull",scope="repository:b:pull"` for a challenge header. */
export function challengeScopes(scopes: readonly Scope[]): string {
  return scopes.map((s) => `,scope="${s.type}:${s.name}:${s.action}"`).join('');
}

/**
 * The scopes a token request asks for. Clients send one `scope` parameter per scope; some join several with
 * spaces (as OAuth does), so both are read.
 */
export function requestedScopes(values: readonly string[]): string[] {
  return values.flatMap((v) => v.split(' ')).filter((s) => s !== '');
}

/**
 * Rendered index pages, least recently used first out. A complete repository version's content never changes,
 * so a page is keyed by the version's pulp_id (plus what else shapes it: view, project, file base URL, media
 * type) and never needs invalidating: a new version is a new key, and the old keys age out.
 */
export class PageCache {
  private readonly entries = new Map<string, string>();
  private bytes = 0;

  constructor(
    private readonly maxEntries = 4096,
    private readonly maxBytes = 64 * 1024 * 1024,
  ) {}

  get(key: string): string | undefined {
    const body = this.entries.get(key);
    if (body === undefined) return undefined;
    // Re-insert: a Map iterates in insertion order, so the first key is the least recently used.
    this.entries.delete(key);
    this.entries.set(key, body);
    return body;
  }

  set(key: string, body: string): void {
    if (body.length > this.maxBytes) return;
    const old = this.entries.get(key);
    if (old !== undefined) {
      this.entries.delete(key);
      this.bytes -= old.length;
    }
    this.entries.set(key, body);
    this.bytes += body.length;
    while (this.entries.size > this.maxEntries || this.bytes > this.maxBytes) {
      const first = this.entries.keys().next();
      if (first.done) break;
      this.bytes -= (this.entries.get(first.value) as string).length;
      this.entries.delete(first.value);
    }
  }

  get size(): number {
    return this.entries.size;
  }

  /** Get, or render and keep (a null rendering, such as a 404, is not kept). */
  async through(key: string, render: () => Promise<string | null>): Promise<string | null> {
    const hit = this.get(key);
    if (hit !== undefined) return hit;
    const body = await render();
    if (body !== null) this.set(key, body);
    return body;
  }
}

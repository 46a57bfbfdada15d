/**
 * Content negotiation for the browsable API, as DRF decides it: `?format=api` asks for the HTML page,
 * `?format=json` for JSON, and otherwise the page is served only when the Accept header ranks `text/html`
 * strictly above every type that JSON satisfies (`application/json`, `application/*`, `*\/*`). So a browser
 * (`text/html,...,*\/*;q=0.8`) gets HTML while curl (`*\/*`), pulp-cli and bindings (`application/json`) and a
 * request without Accept keep getting JSON.
 */
export function prefersHtml(accept: string | undefined, format: string | null): boolean {
  if (format === 'api') return true;
  if (format === 'json') return false;
  if (!accept) return false;
  let html = 0;
  let json = 0;
  for (const part of accept.split(',')) {
    const [type = '', ...params] = part.trim().toLowerCase().split(';');
    let q = 1;
    for (const p of params) {
      const [k, v] = p.trim().split('=');
      if (k === 'q' && v !== undefined) q = Number.isFinite(Number(v)) ? Number(v) : 0;
    }
    const t = type.trim();
    if (t === 'text/html') html = Math.max(html, q);
    else if (t === 'application/json' || t === 'application/*' || t === '*/*') json = Math.max(json, q);
  }
  return html > 0 && html > json;
}

/** The last `format` query parameter of a request URL, or null. */
export function formatParameter(url: URL): string | null {
  const all = url.searchParams.getAll('format');
  return all.length > 0 ? (all[all.length - 1] ?? null) : null;
}

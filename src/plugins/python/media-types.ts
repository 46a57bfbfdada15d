export const SIMPLE_V1_HTML = 'application/vnd.pypi.simple.v1+html';
export const SIMPLE_V1_JSON = 'application/vnd.pypi.simple.v1+json';
export const TEXT_HTML = 'text/html';

/** What pip sends: JSON preferred, then the versioned HTML, then legacy HTML (PEP 691). */
export const ACCEPT_JSON_PREFERRED = `${SIMPLE_V1_JSON}, ${SIMPLE_V1_HTML};q=0.2, ${TEXT_HTML};q=0.01`;

export type SimpleMediaType = typeof TEXT_HTML | typeof SIMPLE_V1_HTML | typeof SIMPLE_V1_JSON;

const OFFERED: SimpleMediaType[] = [TEXT_HTML, SIMPLE_V1_HTML, SIMPLE_V1_JSON];

/**
 * PEP 691 content negotiation for simple pages: the offered type with the highest q in `Accept` wins (ties go
 * to the earlier offer, as DRF orders pulp_python's renderers); no Accept, or nothing acceptable, is text/html
 * as pulp_python falls back.
 */
export function negotiateSimple(accept: string | undefined): SimpleMediaType {
  if (!accept) return TEXT_HTML;
  let best: { type: SimpleMediaType; q: number; specificity: number } | null = null;
  for (const part of accept.split(',')) {
    const [rawType = '', ...params] = part.split(';').map((s) => s.trim());
    const range = rawType.toLowerCase();
    const qParam = params.find((p) => p.toLowerCase().startsWith('q='));
    const q = qParam ? Number(qParam.slice(2)) : 1;
    if (!Number.isFinite(q) || q <= 0) continue;
    for (const type of OFFERED) {
      const specificity = matches(range, type);
      if (specificity < 0) continue;
      if (
        !best ||
        q > best.q ||
        (q === best.q && specificity > best.specificity) ||
        (q === best.q && specificity === best.specificity && OFFERED.indexOf(type) < OFFERED.indexOf(best.type))
      ) {
        best = { type, q, specificity };
      }
    }
  }
  return best?.type ?? TEXT_HTML;
}

function matches(range: string, type: string): number {
  if (range === type) return 2;
  if (range === '*/*') return 0;
  if (range.endsWith('/*') && type.startsWith(range.slice(0, -1))) return 1;
  return -1;
}

// Every figure a benchmark reports is printed beside its target with "met" or "not met" computed here, never
// written by hand; the summary table at the end is what the README's Benchmarks table is copied from.

export interface Target {
  /** The figure must be at least this (a ratio to a peer, a rate). */
  min?: number;
  /** The figure must be at most this (a time, a size, a ratio of times). */
  max?: number;
}

export interface Row {
  measurement: string;
  ours: string;
  peer: string;
  ratio: string;
  target: string;
  verdict: string;
}

const rows: Row[] = [];

export const fmt = (n: number, digits = 0): string =>
  Number.isFinite(n)
    ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : '-';

function describeTarget(t: Target, unit: string): string {
  const u = unit ? ` ${unit}` : '';
  if (t.min !== undefined && t.max !== undefined) return `${t.min}-${t.max}${u}`;
  if (t.min !== undefined) return `>= ${t.min}${u}`;
  if (t.max !== undefined) return `<= ${t.max}${u}`;
  return '';
}

/** Whether `value` meets `target` (no target: nothing to meet). */
export function meets(value: number, target: Target): boolean | null {
  if (target.min === undefined && target.max === undefined) return null;
  if (!Number.isFinite(value)) return false;
  return (target.min === undefined || value >= target.min) && (target.max === undefined || value <= target.max);
}

/**
 * Records and prints one measurement. `checked` is the number the target applies to (the ratio, or the raw
 * figure when the target is absolute); `unit` is the target's unit ('' for ratios).
 */
export function report(row: {
  measurement: string;
  ours: string;
  peer?: string;
  ratio?: string;
  checked?: number;
  target?: Target;
  unit?: string;
}): void {
  const target = row.target ?? {};
  const met = row.checked === undefined ? null : meets(row.checked, target);
  const r: Row = {
    measurement: row.measurement,
    ours: row.ours,
    peer: row.peer ?? '-',
    ratio: row.ratio ?? '-',
    target: describeTarget(target, row.unit ?? ''),
    verdict: met === null ? '' : met ? 'met' : 'not met',
  };
  rows.push(r);
  const parts = [`${r.measurement}: ${r.ours}`];
  if (row.peer) parts.push(`peer ${r.peer}`);
  if (row.ratio) parts.push(`ratio ${r.ratio}`);
  if (r.target) parts.push(`target ${r.target}: ${r.verdict.toUpperCase()}`);
  console.log(parts.join('  |  '));
}

/** Prints every recorded row as a Markdown table. */
export function printSummary(title: string): void {
  console.log(`\n${title}\n`);
  console.log('| measurement | pulp-ts | peer / limit | ratio | target | verdict |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const r of rows)
    console.log(`| ${r.measurement} | ${r.ours} | ${r.peer} | ${r.ratio} | ${r.target} | ${r.verdict} |`);
}

/** p-th percentile (0-100) of a sample. */
export function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}

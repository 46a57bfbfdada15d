import type { Filter } from '../../plugin-api/filters.js';
import type { Operation } from '../../plugin-api/operations.js';
import { attrs, escapeHtml } from './html.js';

type Json = Record<string, unknown>;
type FieldKind = 'text' | 'number' | 'boolean' | 'select' | 'json' | 'file';

interface Field {
  name: string;
  kind: FieldKind;
  required: boolean;
  nullable: boolean;
  options?: string[];
  description?: string;
}

/** What input a body property needs, read from its JSON schema (TypeBox schemas are JSON Schema). */
function fieldOf(name: string, schema: Json, required: boolean): Field | null {
  if (schema.readOnly === true) return null;
  let nullable = false;
  let s = schema;
  const anyOf = (schema.anyOf ?? schema.oneOf) as Json[] | undefined;
  if (Array.isArray(anyOf)) {
    const members = anyOf.filter((m) => m.type !== 'null');
    nullable = members.length < anyOf.length;
    if (members.length > 0 && members.every((m) => typeof m.const === 'string')) {
      return { name, kind: 'select', required, nullable, options: members.map((m) => m.const as string) };
    }
    s = members.length === 1 && members[0] ? members[0] : { type: 'object' };
  }
  const description = typeof schema.description === 'string' ? schema.description : undefined;
  const base = { name, required, nullable, description };
  if (Array.isArray(s.enum)) return { ...base, kind: 'select', options: s.enum.map(String) };
  if (typeof s.const === 'string') return { ...base, kind: 'select', options: [s.const] };
  switch (s.type) {
    case 'string':
      return { ...base, kind: s.format === 'binary' ? 'file' : 'text' };
    case 'integer':
    case 'number':
      return { ...base, kind: 'number' };
    case 'boolean':
      return { ...base, kind: 'boolean' };
    default:
      return { ...base, kind: 'json' };
  }
}

/** The writable fields of an operation's body, in declaration order. */
export function bodyFields(operation: Operation): Field[] {
  const schema = operation.body?.schema as Json | undefined;
  if (!schema) return [];
  const props = (schema.properties ?? {}) as Record<string, Json>;
  const required = new Set((schema.required as string[] | undefined) ?? []);
  return Object.entries(props).flatMap(([name, s]) => {
    const f = fieldOf(name, s, required.has(name) && operation.method !== 'PATCH');
    return f ? [f] : [];
  });
}

/** A field value as the text of an input. */
function asText(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
    ? String(value)
    : JSON.stringify(value);
}

function inputHtml(field: Field, id: string, value: unknown): string {
  const common = { id, name: field.name, 'data-kind': field.kind, 'aria-describedby': `${id}-help` };
  const present = value !== undefined && value !== null;
  switch (field.kind) {
    case 'select':
    case 'boolean': {
      const options = field.kind === 'boolean' ? ['true', 'false'] : (field.options ?? []);
      const current = present ? asText(value) : '';
      const opts = ['', ...options]
        .map((o) => `<option${attrs({ value: o, selected: o === current })}>${o === '' ? '—' : escapeHtml(o)}</option>`)
        .join('');
      return `<select${attrs(common)}>${opts}</select>`;
    }
    case 'json':
      return `<textarea${attrs({ ...common, rows: 3, spellcheck: 'false' })}>${present ? escapeHtml(JSON.stringify(value)) : ''}</textarea>`;
    case 'file':
      return `<input${attrs({ ...common, type: 'file' })}>`;
    case 'number':
      return `<input${attrs({ ...common, type: 'number', step: 'any', value: present ? asText(value) : undefined })}>`;
    default:
      return `<input${attrs({ ...common, type: 'text', value: present ? asText(value) : undefined })}>`;
  }
}

const TITLES: Record<string, string> = { POST: 'Create', PUT: 'Update', PATCH: 'Partial update', DELETE: 'Delete' };

/**
 * A form for one operation. The page script submits it with fetch (JSON, or multipart when it has a file),
 * sending the CSRF token of a session, and shows the HTML rendering of the response in place of the page.
 */
export function operationForm(operation: Operation, action: string, index: number, current?: Json): string {
  const id = `f${index}`;
  const title = operation.summary ?? TITLES[operation.method] ?? operation.operationId;
  const fields = bodyFields(operation);
  const prefill = operation.method === 'PUT' || operation.method === 'PATCH' ? current : undefined;
  const rows = fields.map((f, i) => {
    const fid = `${id}-${i}`;
    const marks = [f.required ? 'required' : '', f.nullable ? 'nullable' : ''].filter(Boolean).join(', ');
    return `<div class="field">
  <label for="${fid}">${escapeHtml(f.name)}${marks ? ` <span class="hint">(${marks})</span>` : ''}</label>
  ${inputHtml(f, fid, prefill?.[f.name])}
  <small id="${fid}-help">${escapeHtml(f.description ?? '')}</small>
</div>`;
  });
  const raw =
    operation.body && !fields.some((f) => f.kind === 'file')
      ? `<details><summary>Raw JSON body</summary>
  <label for="${id}-raw">JSON (replaces the fields above when not empty)</label>
  <textarea id="${id}-raw" name="_raw" data-kind="raw" rows="6" spellcheck="false"></textarea>
</details>`
      : '';
  return `<form class="api-form"${attrs({
    'data-method': operation.method,
    'data-action': action,
    'data-operation': operation.operationId,
    'aria-labelledby': `${id}-title`,
  })}>
<h3 id="${id}-title">${escapeHtml(title)} <code>${operation.method} ${escapeHtml(action)}</code></h3>
${rows.join('\n')}
${raw}
<button type="submit"${attrs({ class: operation.method === 'DELETE' ? 'danger' : undefined })}>${operation.method}</button>
</form>`;
}

function filterInput(filter: Filter, id: string, value: string | undefined): string {
  const common = { id, name: filter.name };
  if (filter.enum || filter.type === 'boolean') {
    const options = filter.enum ?? ['true', 'false'];
    const opts = ['', ...options]
      .map((o) => `<option${attrs({ value: o, selected: o === value })}>${o === '' ? '—' : escapeHtml(o)}</option>`)
      .join('');
    return `<select${attrs(common)}>${opts}</select>`;
  }
  const type = filter.type === 'integer' || filter.type === 'number' ? 'number' : 'text';
  const placeholder = filter.type.endsWith('-list') ? 'comma separated' : undefined;
  return `<input${attrs({ ...common, type, value, placeholder })}>`;
}

/** The filters of a list as a GET form (empty fields are left out of the query by the page script). */
export function filterForm(operation: Operation, path: string, query: URLSearchParams): string {
  const filters = operation.filters?.filters ?? [];
  const ordering = [...new Set([...(operation.filters?.ordering ?? []), 'pulp_created'])].sort();
  const extra: Filter[] = [
    { name: 'limit', type: 'integer', apply: () => Promise.reject(new Error('display only')) },
    { name: 'offset', type: 'integer', apply: () => Promise.reject(new Error('display only')) },
    {
      name: 'ordering',
      type: 'string',
      enum: ordering.flatMap((o) => [o, `-${o}`]),
      apply: () => Promise.reject(new Error('display only')),
    },
  ];
  const rows = [...filters, ...extra].map((f, i) => {
    const id = `q${i}`;
    return `<div class="field"><label for="${id}">${escapeHtml(f.name)}</label>${filterInput(f, id, query.get(f.name) ?? undefined)}${
      f.description ? `<small>${escapeHtml(f.description)}</small>` : ''
    }</div>`;
  });
  return `<form class="filter-form" method="get"${attrs({ action: path, 'aria-label': 'Filters' })}>
<input type="hidden" name="format" value="api">
<div class="filter-grid">${rows.join('\n')}</div>
<button type="submit">Filter</button> <a href="${escapeHtml(path)}?format=api">Clear</a>
</form>`;
}

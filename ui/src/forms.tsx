import { useState } from 'preact/hooks';

import { get, type Json, type Page } from './api';
import { ErrorBox, fieldErrors } from './components';
import { useLoad } from './hooks';

type Kind = 'text' | 'password' | 'number' | 'boolean' | 'select' | 'json' | 'labels' | 'ref' | 'file';

interface FieldSpec {
  name: string;
  kind: Kind;
  required: boolean;
  nullable: boolean;
  options?: string[];
  description?: string;
  /** For `ref`: the generic list the choices come from. */
  refList?: string;
}

/** Body fields naming another object, and the generic list that has the candidates. */
const REFERENCES: Record<string, string> = {
  remote: 'remotes/',
  repository: 'repositories/',
  publication: 'publications/',
  content_guard: 'contentguards/',
  repository_version: 'repository_versions/',
  base_version: 'repository_versions/',
};

function specOf(name: string, schema: Json, required: boolean): FieldSpec | null {
  if (schema.readOnly === true) return null;
  let s = schema;
  let nullable = false;
  const anyOf = (schema.anyOf ?? schema.oneOf) as Json[] | undefined;
  if (Array.isArray(anyOf)) {
    const members = anyOf.filter((m) => m.type !== 'null');
    nullable = members.length < anyOf.length;
    s = members.length === 1 && members[0] ? members[0] : { type: 'object' };
  }
  const types: unknown[] = Array.isArray(s.type) ? (s.type as unknown[]) : [s.type];
  if (types.includes('null')) nullable = true;
  const type = types.find((t) => t !== 'null');
  const description = typeof schema.description === 'string' ? schema.description : undefined;
  const base = { name, required, nullable, description };
  if (Array.isArray(s.enum)) return { ...base, kind: 'select', options: s.enum.filter((x) => x !== null).map(String) };
  if (name === 'pulp_labels') return { ...base, kind: 'labels' };
  if (REFERENCES[name] && type === 'string') return { ...base, kind: 'ref', refList: REFERENCES[name] };
  if (type === 'string')
    return {
      ...base,
      kind: s.format === 'binary' ? 'file' : /password/.test(name) || s.writeOnly ? 'password' : 'text',
    };
  if (type === 'integer' || type === 'number') return { ...base, kind: 'number' };
  if (type === 'boolean') return { ...base, kind: 'boolean' };
  return { ...base, kind: 'json' };
}

export function fieldsOf(schema: Json | undefined, partial = false): FieldSpec[] {
  if (!schema) return [];
  const props = (schema.properties ?? {}) as Record<string, Json>;
  const required = new Set((schema.required as string[] | undefined) ?? []);
  return Object.entries(props).flatMap(([n, s]) => {
    const f = specOf(n, s, !partial && required.has(n));
    return f ? [f] : [];
  });
}

function toText(kind: Kind, v: unknown): string {
  if (v === undefined || v === null) return '';
  if (kind === 'labels' && typeof v === 'object')
    return Object.entries(v as Json)
      .map(([k, x]) => `${k}=${String(x)}`)
      .join('\n');
  if (kind === 'json') return JSON.stringify(v);
  return String(v);
}

function fromText(f: FieldSpec, text: string): unknown {
  switch (f.kind) {
    case 'number':
      return Number(text);
    case 'boolean':
      return text === 'true';
    case 'json':
      return JSON.parse(text) as unknown;
    case 'labels': {
      const out: Record<string, string> = {};
      for (const line of text
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean)) {
        const eq = line.indexOf('=');
        if (eq <= 0) throw new Error(`pulp_labels: "${line}" is not key=value`);
        out[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
      }
      return out;
    }
    default:
      return text;
  }
}

function RefSelect(props: { id: string; list: string; value: string; onInput: (v: string) => void; filter?: string }) {
  const choices = useLoad(
    () => get<Page>(`${props.list}?limit=200&offset=0${props.filter ? `&${props.filter}` : ''}`),
    [props.list, props.filter],
  );
  const results = choices.data?.results ?? [];
  const known = results.some((r) => r.pulp_href === props.value);
  return (
    <select id={props.id} value={props.value} onChange={(e) => props.onInput((e.target as HTMLSelectElement).value)}>
      <option value="">—</option>
      {!known && props.value ? <option value={props.value}>{props.value}</option> : null}
      {results.map((r) => (
        <option key={String(r.pulp_href)} value={String(r.pulp_href)}>
          {String(r.name ?? r.base_path ?? r.pulp_href)}
          {r.number !== undefined ? ` version ${String(r.number)}` : ''}
        </option>
      ))}
    </select>
  );
}

export interface SchemaFormProps {
  schema: Json | undefined;
  /** Values to start from (an object being edited). */
  initial?: Json;
  /** PATCH: nothing is required, only changed fields are sent. */
  partial?: boolean;
  submitLabel: string;
  /** Fields to leave out, and fixed values sent with the form. */
  hide?: string[];
  fixed?: Json;
  /** Extra query for a reference field's choices (`remote` -> `pulp_type=file.file`). */
  refFilters?: Record<string, string>;
  /** Lists a reference field's choices come from, instead of the generic one (`remote` -> `remotes/file/file/`). */
  refLists?: Record<string, string>;
  onSubmit: (body: Json) => Promise<unknown>;
  id: string;
}

/** A form generated from a request schema of the OpenAPI document; a 400's field errors show by their field. */
export function SchemaForm(props: SchemaFormProps) {
  const fields = fieldsOf(props.schema, props.partial).filter((f) => !props.hide?.includes(f.name));
  const start = () => Object.fromEntries(fields.map((f) => [f.name, toText(f.kind, props.initial?.[f.name])]));
  const [values, setValues] = useState<Record<string, string>>(start);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const errors = fieldErrors(error);
  const set = (name: string, v: string) => setValues((old) => ({ ...old, [name]: v }));

  async function submit(e: Event) {
    e.preventDefault();
    setError(null);
    const body: Json = { ...(props.fixed ?? {}) };
    try {
      for (const f of fields) {
        const text = values[f.name] ?? '';
        const before = toText(f.kind, props.initial?.[f.name]);
        if (props.partial && text === before) continue;
        if (text === '') {
          if (props.initial && before !== '' && f.nullable) body[f.name] = null;
          continue;
        }
        body[f.name] = fromText(f, text);
      }
    } catch (err) {
      setError(err);
      return;
    }
    setBusy(true);
    try {
      await props.onSubmit(body);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form class="schema-form" onSubmit={submit} noValidate>
      {fields.map((f) => {
        const id = `${props.id}-${f.name}`;
        const value = values[f.name] ?? '';
        const input = (e: Event) => set(f.name, (e.target as HTMLInputElement).value);
        const describedBy = errors.fields[f.name] ? `${id}-err` : f.description ? `${id}-help` : undefined;
        let control;
        switch (f.kind) {
          case 'select':
          case 'boolean':
            control = (
              <select id={id} value={value} onChange={input} aria-describedby={describedBy}>
                <option value="">—</option>
                {(f.kind === 'boolean' ? ['true', 'false'] : (f.options ?? [])).map((o) => (
                  <option key={o} value={o}>
                    {o}
                  </option>
                ))}
              </select>
            );
            break;
          case 'ref':
            control = (
              <RefSelect
                id={id}
                list={props.refLists?.[f.name] ?? f.refList ?? ''}
                value={value}
                onInput={(v) => set(f.name, v)}
                filter={props.refFilters?.[f.name]}
              />
            );
            break;
          case 'json':
          case 'labels':
            control = (
              <textarea
                id={id}
                rows={f.kind === 'labels' ? 2 : 3}
                value={value}
                onInput={input}
                placeholder={f.kind === 'labels' ? 'key=value, one a line' : 'JSON'}
                aria-describedby={describedBy}
              />
            );
            break;
          default:
            control = (
              <input
                id={id}
                {...({ type: f.kind === 'password' ? 'password' : f.kind === 'number' ? 'number' : 'text' } as object)}
                value={value}
                onInput={input}
                required={f.required}
                aria-required={f.required}
                aria-invalid={!!errors.fields[f.name]}
                aria-describedby={describedBy}
                autocomplete="off"
              />
            );
        }
        return (
          <div class="field" key={f.name}>
            <label for={id}>
              {f.name.replace(/_/g, ' ')}
              {f.required ? <span class="req"> (required)</span> : null}
            </label>
            {control}
            {errors.fields[f.name] ? (
              <small id={`${id}-err`} class="error">
                {errors.fields[f.name]}
              </small>
            ) : f.description ? (
              <small id={`${id}-help`}>{f.description}</small>
            ) : null}
          </div>
        );
      })}
      {errors.other ? <ErrorBox error={new Error(errors.other)} /> : null}
      <button type="submit" disabled={busy}>
        {busy ? 'Working…' : props.submitLabel}
      </button>
    </form>
  );
}

import { useState } from 'preact/hooks';

import type { Json, UiField } from './api';
import { Value } from './components';

export const fieldLabel = (f: UiField) => f.label ?? f.field.replace(/_/g, ' ');

/** A declared field's text when it has a template: `{value}` and `{<field>}` filled in, null when one is missing. */
function templated(object: Json, f: UiField): string | null {
  const value = object[f.field];
  if (value === null || value === undefined || value === '') return null;
  if (!f.template) return typeof value === 'string' ? value : null;
  let missing = false;
  const text = f.template.replace(/\{([a-z0-9_]+)\}/g, (_m, name: string) => {
    const v = name === 'value' ? value : object[name];
    if (v === null || v === undefined || v === '') missing = true;
    return String(v ?? '');
  });
  return missing ? null : text;
}

function CopyText({ text }: { text: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <span class="copy">
      <code>{text}</code>{' '}
      <button
        type="button"
        class="link"
        aria-label={`Copy ${text}`}
        onClick={() => {
          void navigator.clipboard?.writeText(text).then(() => setCopied(true));
        }}
      >
        {copied ? 'Copied' : 'Copy'}
      </button>
    </span>
  );
}

/** One declared field of an object: its template or value, as code to copy when the plugin says so. */
export function FieldValue({ object, field }: { object: Json; field: UiField }) {
  if (field.template || field.copy) {
    const text = templated(object, field);
    if (text === null) return <span class="muted">—</span>;
    return field.copy ? <CopyText text={text} /> : <span>{text}</span>;
  }
  return <Value value={object[field.field]} />;
}

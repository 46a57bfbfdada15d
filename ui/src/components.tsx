import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';

import { ApiError, config, get, type Json, type Page, uiPathOf } from './api';
import { useLoad } from './hooks';
import { Link } from './router';

export function isHref(v: unknown): v is string {
  return typeof v === 'string' && v.startsWith(config.apiPrefix) && v.endsWith('/');
}

/** A JSON value for people: hrefs become UI links, objects nested lists. */
export function Value({ value }: { value: unknown }): preact.JSX.Element {
  if (value === null || value === undefined) return <span class="muted">—</span>;
  if (isHref(value)) return <Link href={uiPathOf(value)}>{shortHref(value)}</Link>;
  if (typeof value === 'string' && /^https?:\/\//.test(value))
    return (
      <a href={value} rel="noopener noreferrer">
        {value}
      </a>
    );
  if (Array.isArray(value)) {
    if (value.length === 0) return <span class="muted">[]</span>;
    return (
      <ul class="plain">
        {(value as unknown[]).map((v, i) => (
          <li key={i}>
            <Value value={v} />
          </li>
        ))}
      </ul>
    );
  }
  if (typeof value === 'object') {
    const entries = Object.entries(value as Json);
    if (entries.length === 0) return <span class="muted">{'{}'}</span>;
    return (
      <dl class="nested">
        {entries.map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd>
              <Value value={v} />
            </dd>
          </div>
        ))}
      </dl>
    );
  }
  return <span>{String(value)}</span>;
}

/** The tail of an href that tells objects apart (`…/file/file/0b1c…/versions/2/`). */
export function shortHref(href: string): string {
  const rest = href.slice(config.apiPrefix.length);
  return rest.replace(/([0-9a-f]{8})-[0-9a-f-]{27}/g, '$1…');
}

export function Fields({ object, omit = [] }: { object: Json; omit?: string[] }) {
  return (
    <dl class="fields">
      {Object.entries(object)
        .filter(([k]) => !omit.includes(k))
        .map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd>
              <Value value={v} />
            </dd>
          </div>
        ))}
    </dl>
  );
}

export function ErrorBox({ error }: { error: unknown }) {
  if (!error) return null;
  const message = error instanceof Error ? error.message : String(error);
  return (
    <p class="error" role="alert">
      {message}
    </p>
  );
}

export function Loading({ what = 'Loading' }: { what?: string }) {
  return (
    <p class="muted" role="status">
      {what}…
    </p>
  );
}

export function Pager(props: { page: Page; offset: number; limit: number; onOffset: (o: number) => void }) {
  const { page, offset, limit } = props;
  const last = Math.min(offset + limit, page.count);
  return (
    <nav class="pager" aria-label="Pagination">
      <button type="button" disabled={!page.previous} onClick={() => props.onOffset(Math.max(0, offset - limit))}>
        « Previous
      </button>
      <span>{page.count === 0 ? 'none' : `${offset + 1}–${last} of ${page.count}`}</span>
      <button type="button" disabled={!page.next} onClick={() => props.onOffset(offset + limit)}>
        Next »
      </button>
    </nav>
  );
}

export function Section(props: { title: string; children: ComponentChildren; id?: string }) {
  const id = props.id ?? `s-${props.title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
  return (
    <section aria-labelledby={id} class="card">
      <h2 id={id}>{props.title}</h2>
      {props.children}
    </section>
  );
}

export interface ProgressReport {
  message: string;
  code: string;
  state: string;
  total: number | null;
  done: number;
  suffix?: string | null;
}

export function ProgressReports({ reports }: { reports: ProgressReport[] }) {
  if (!reports.length) return <p class="muted">No progress reported yet.</p>;
  return (
    <ul class="progress-list">
      {reports.map((r) => {
        const pct = r.total ? Math.round((100 * r.done) / r.total) : r.state === 'completed' ? 100 : null;
        return (
          <li key={r.code + r.message}>
            <span class="progress-label">
              {r.message} <span class="muted">({r.state})</span>
            </span>
            {pct !== null ? <progress max={100} value={pct} aria-label={`${r.message}: ${pct}%`} /> : null}
            <span class="progress-count" data-code={r.code}>
              {r.done}
              {r.total !== null ? ` / ${r.total}` : ''}
              {pct !== null ? ` (${pct}%)` : ''}
            </span>
          </li>
        );
      })}
    </ul>
  );
}

const FINAL = ['completed', 'failed', 'canceled', 'skipped'];
export const isFinal = (state: unknown) => FINAL.includes(String(state));

/** Follows a task until it ends, showing its state and progress live. */
export function TaskWatch({ href, onDone }: { href: string; onDone?: (task: Json) => void }) {
  const [done, setDone] = useState(false);
  const task = useLoad(
    async () => {
      const t = await get(href);
      if (isFinal(t.state) && !done) {
        setDone(true);
        onDone?.(t);
      }
      return t;
    },
    [href],
    done ? undefined : 500,
  );
  const t = task.data;
  return (
    <div class="task-watch" aria-live="polite">
      <p>
        Task <Link href={uiPathOf(href)}>{shortHref(href)}</Link>:{' '}
        <strong class={`state state-${String(t?.state ?? 'waiting')}`}>{String(t?.state ?? '…')}</strong>
      </p>
      {t ? <ProgressReports reports={(t.progress_reports ?? []) as ProgressReport[]} /> : null}
      {t?.error ? <ErrorBox error={new Error(String((t.error as Json).description ?? 'failed'))} /> : null}
    </div>
  );
}

/** Field errors of a 400, by field name, and the rest as one message. */
export function fieldErrors(error: unknown): { fields: Record<string, string>; other: string | null } {
  if (!(error instanceof ApiError) || error.status !== 400 || !error.body || typeof error.body !== 'object')
    return { fields: {}, other: error ? (error as Error).message : null };
  const fields: Record<string, string> = {};
  const rest: string[] = [];
  for (const [k, v] of Object.entries(error.body as Json)) {
    const text = Array.isArray(v) ? v.join(' ') : typeof v === 'string' ? v : JSON.stringify(v);
    if (k === 'non_field_errors' || k === 'detail' || k === 'errors') rest.push(text);
    else fields[k] = text;
  }
  return { fields, other: rest.length ? rest.join(' ') : null };
}

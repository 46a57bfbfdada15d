import { useState } from 'preact/hooks';

import { apiUrl, config, get, type Json, type Page, request, type UiField, uiPathOf, withQuery } from '../api';
import { ErrorBox, Fields, Loading, Pager, Section, shortHref, TaskWatch, Value } from '../components';
import { fieldLabel, FieldValue } from '../fields';
import { SchemaForm } from '../forms';
import { useLoad } from '../hooks';
import { type ApiModel, type Endpoint, hasParam } from '../openapi';
import { Link, navigate } from '../router';
import { RepositoryPanels } from './repository';

const NAME_FIELDS = ['name', 'username', 'relative_path', 'base_path', 'number'];
const MORE_FIELDS = ['pulp_type', 'description', 'url', 'base_url', 'repository', 'state', 'pulp_labels'];

export function titleOf(o: Json): string {
  for (const k of NAME_FIELDS) if (o[k] !== undefined && o[k] !== null) return String(o[k]);
  return shortHref(String(o.pulp_href ?? ''));
}

function columnsOf(rows: Json[]): string[] {
  const first = rows[0] ?? {};
  const name = NAME_FIELDS.find((k) => k in first);
  const more = MORE_FIELDS.filter((k) => k in first).slice(0, 4);
  return [...(name ? [name] : ['pulp_href']), ...more, 'pulp_created'].filter((k, i, a) => a.indexOf(k) === i);
}

/** The filter a search box drives: the first "contains" filter of the list. */
function searchParam(e: Endpoint): string | undefined {
  return [
    'name__icontains',
    'name__contains',
    'relative_path__icontains',
    'username__icontains',
    'base_path__icontains',
  ]
    .filter((p) => hasParam(e.list, p))
    .at(0);
}

/** Where a created object is shown: its page for a 201, the task for a 202. */
async function afterCreate(result: Json, setTask: (href: string) => void) {
  if (typeof result.pulp_href === 'string') navigate(uiPathOf(result.pulp_href));
  else if (typeof result.task === 'string') setTask(result.task);
}

export function ListPage(props: {
  endpoint: Endpoint;
  title?: string;
  description?: string;
  /** A plugin page's declared columns (else columns picked from the rows). */
  fields?: UiField[];
  /** Where a row's first cell links (default: the object's generic page). */
  linkOf?: (row: Json) => string;
}) {
  const { endpoint, title, fields } = props;
  const [offset, setOffset] = useState(0);
  const [search, setSearch] = useState('');
  const [labels, setLabels] = useState('');
  const [creating, setCreating] = useState(false);
  const [task, setTask] = useState<string | null>(null);
  const limit = 20;
  const sp = searchParam(endpoint);
  const labelFilter = hasParam(endpoint.list, 'pulp_label_select');
  const page = useLoad(
    () =>
      get<Page>(
        withQuery(endpoint.path, {
          limit,
          offset,
          ...(sp ? { [sp]: search } : {}),
          ...(labelFilter ? { pulp_label_select: labels } : {}),
        }),
      ),
    [endpoint.path, offset, search, labels],
  );
  const rows = page.data?.results ?? [];
  const cols: UiField[] = fields ?? columnsOf(rows).map((field) => ({ field }));
  const heading = title ?? endpoint.tag;
  const linkOf = props.linkOf ?? ((r: Json) => uiPathOf(String(r.pulp_href)));
  return (
    <div>
      <h1>{heading}</h1>
      {props.description ? <p class="muted">{props.description}</p> : null}
      <div class="toolbar" role="search">
        {sp ? (
          <div class="field inline">
            <label for="list-search">Search</label>
            <input
              id="list-search"
              type="search"
              value={search}
              placeholder={sp.replace(/__i?contains$/, '').replace(/_/g, ' ')}
              onInput={(e) => {
                setOffset(0);
                setSearch((e.target as HTMLInputElement).value);
              }}
            />
          </div>
        ) : null}
        {labelFilter ? (
          <div class="field inline">
            <label for="list-labels">Labels</label>
            <input
              id="list-labels"
              type="search"
              value={labels}
              placeholder="env=prod,team"
              onChange={(e) => {
                setOffset(0);
                setLabels((e.target as HTMLInputElement).value);
              }}
            />
          </div>
        ) : null}
        {endpoint.create ? (
          <button type="button" aria-expanded={creating} onClick={() => setCreating(!creating)}>
            {creating ? 'Close' : 'Create'}
          </button>
        ) : null}
      </div>
      {creating && endpoint.create ? (
        <Section title={`Create: ${heading}`}>
          <SchemaForm
            id="create"
            schema={endpoint.create.body}
            submitLabel="Create"
            onSubmit={async (body) => afterCreate(await request('POST', endpoint.path, body), setTask)}
          />
        </Section>
      ) : null}
      {task ? <TaskWatch href={task} /> : null}
      <ErrorBox error={page.error} />
      {page.data ? (
        <>
          <div class="table-wrap">
            <table>
              <caption class="visually-hidden">{heading}</caption>
              <thead>
                <tr>
                  {cols.map((c, i) => (
                    <th key={i} scope="col">
                      {fieldLabel(c)}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {rows.map((r) => (
                  <tr key={String(r.pulp_href)}>
                    {cols.map((c, i) => (
                      <td key={i} data-label={fieldLabel(c)}>
                        {i === 0 && typeof r.pulp_href === 'string' ? (
                          <Link href={linkOf(r)}>{fields ? String(r[c.field] ?? titleOf(r)) : titleOf(r)}</Link>
                        ) : (
                          <FieldValue object={r} field={c} />
                        )}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pager page={page.data} offset={offset} limit={limit} onOffset={setOffset} />
        </>
      ) : page.loading ? (
        <Loading />
      ) : null}
    </div>
  );
}

/** A family (`remotes/`): its typed endpoints, then the list of every type. */
export function FamilyPage({ model, family, label }: { model: ApiModel; family: string; label: string }) {
  const typed = model.endpoints.filter(
    (e) => e.path.startsWith(family) && e.path !== family && e.path.split('/').length === 4,
  );
  const all = model.byPath.get(family);
  return (
    <div>
      <nav aria-label={`${label} types`} class="types">
        <span>Types:</span>
        {typed.map((e) => (
          <Link key={e.path} href={`${config.uiPrefix}browse/${e.path}`} class="chip">
            {e.tag.replace(/^[^:]+: /, '')}
          </Link>
        ))}
      </nav>
      {all ? <ListPage endpoint={all} title={label} /> : null}
    </div>
  );
}

const HIDDEN_ACTIONS = ['set_label/', 'unset_label/', 'my_permissions/'];

export function DetailPage({ model, endpoint, href }: { model: ApiModel; endpoint: Endpoint; href: string }) {
  const object = useLoad(() => get(href), [href]);
  const [editing, setEditing] = useState(false);
  const [task, setTask] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const o = object.data;
  if (object.error) return <ErrorBox error={object.error} />;
  if (!o) return <Loading />;
  const isRepository = endpoint.path.startsWith('repositories/');
  const actions = endpoint.actions.filter((a) => !HIDDEN_ACTIONS.includes(a.name));
  const baseUrl = typeof o.base_url === 'string' ? o.base_url : null;
  return (
    <div>
      <p class="crumbs">
        <Link href={`${config.uiPrefix}browse/${endpoint.path}`}>{endpoint.tag}</Link>
      </p>
      <h1>{titleOf(o)}</h1>
      <div class="toolbar">
        {endpoint.partialUpdate ? (
          <button type="button" aria-expanded={editing} onClick={() => setEditing(!editing)}>
            {editing ? 'Close editor' : 'Edit'}
          </button>
        ) : null}
        {baseUrl ? (
          <a class="button" href={baseUrl} rel="noopener">
            Browse content
          </a>
        ) : null}
        <a class="button secondary" href={`${apiUrl(href)}?format=api`}>
          Browsable API
        </a>
        {endpoint.remove ? (
          <button
            type="button"
            class="danger"
            onClick={async () => {
              if (!window.confirm(`Delete ${titleOf(o)}?`)) return;
              try {
                const r = await request('DELETE', href);
                if (r && typeof r.task === 'string') setTask(r.task);
                else navigate(`${config.uiPrefix}browse/${endpoint.path}`);
              } catch (err) {
                setError(err);
              }
            }}
          >
            Delete
          </button>
        ) : null}
      </div>
      <ErrorBox error={error} />
      {task ? <TaskWatch href={task} onDone={() => object.reload()} /> : null}
      {editing && endpoint.partialUpdate ? (
        <Section title="Edit">
          <SchemaForm
            id="edit"
            schema={endpoint.partialUpdate.body}
            initial={o}
            partial
            submitLabel="Save"
            refFilters={{ remote: `pulp_type=${String(o.pulp_type ?? '')}` }}
            onSubmit={async (body) => {
              const r = await request('PATCH', href, body);
              if (typeof r.task === 'string') setTask(r.task);
              setEditing(false);
              object.reload();
            }}
          />
        </Section>
      ) : null}
      <Section title="Details">
        <Fields object={o} />
      </Section>
      {isRepository ? (
        <RepositoryPanels model={model} endpoint={endpoint} repository={o} reload={object.reload} />
      ) : null}
      {actions
        .filter((a) => !(isRepository && ['versions/', 'modify/', 'sync/'].includes(a.name)))
        .map((a) =>
          a.method === 'GET' ? (
            <SubList
              key={a.name + a.method}
              title={a.name.replace(/\/$/, '').replace(/_/g, ' ')}
              path={`${href}${a.name}`}
            />
          ) : (
            <ActionForm key={a.name + a.method} href={href} action={a} onDone={() => object.reload()} />
          ),
        )}
    </div>
  );
}

export function ActionForm(props: {
  href: string;
  action: Endpoint['actions'][number];
  onDone: () => void;
  title?: string;
  refFilters?: Record<string, string>;
  refLists?: Record<string, string>;
  fixed?: Json;
  hide?: string[];
}) {
  const [open, setOpen] = useState(false);
  const [task, setTask] = useState<string | null>(null);
  const [result, setResult] = useState<unknown>(null);
  const name = props.title ?? props.action.name.replace(/\/$/, '').replace(/_/g, ' ');
  const id = `act-${props.action.name.replace(/[^a-z0-9]/g, '')}`;
  return (
    <section class="card" aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>
        <button type="button" class="disclosure" aria-expanded={open} onClick={() => setOpen(!open)}>
          {name}
        </button>
      </h2>
      {open ? (
        <SchemaForm
          id={id}
          schema={props.action.operation.body}
          submitLabel={name}
          refFilters={props.refFilters}
          refLists={props.refLists}
          fixed={props.fixed}
          hide={props.hide}
          onSubmit={async (body) => {
            const r = await request(props.action.method, `${props.href}${props.action.name}`, body);
            if (r && typeof r.task === 'string') setTask(r.task);
            else setResult(r);
            props.onDone();
          }}
        />
      ) : null}
      {task ? <TaskWatch key={task} href={task} onDone={props.onDone} /> : null}
      {result ? <Value value={result} /> : null}
    </section>
  );
}

export function SubList({ title, path }: { title: string; path: string }) {
  const data = useLoad(() => get(path), [path]);
  const d = data.data;
  const rows = d && Array.isArray(d.results) ? (d.results as Json[]) : null;
  return (
    <Section title={title}>
      <ErrorBox error={data.error} />
      {rows ? (
        rows.length === 0 ? (
          <p class="muted">None.</p>
        ) : (
          <ul class="plain">
            {rows.map((r, i) => (
              <li key={i}>
                <Value value={r} />
              </li>
            ))}
          </ul>
        )
      ) : d ? (
        <Value value={d} />
      ) : null}
    </Section>
  );
}

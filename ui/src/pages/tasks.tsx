import { useState } from 'preact/hooks';

import { config, get, getAll, type Json, type Page, request, uiPathOf, withQuery } from '../api';
import {
  ErrorBox,
  Fields,
  isFinal,
  Loading,
  Pager,
  type ProgressReport,
  ProgressReports,
  Section,
  Value,
} from '../components';
import { useLoad } from '../hooks';
import { Link } from '../router';

interface Task extends Json {
  pulp_href: string;
  name: string;
  state: string;
  pulp_created: string;
  reserved_resources_record?: string[];
}

const STATES = ['waiting', 'running', 'completed', 'failed', 'canceling', 'canceled', 'skipped'];

export function TaskTable({ tasks }: { tasks: Task[] }) {
  return (
    <div class="table-wrap">
      <table>
        <caption class="visually-hidden">Tasks</caption>
        <thead>
          <tr>
            <th scope="col">name</th>
            <th scope="col">state</th>
            <th scope="col">created</th>
            <th scope="col">started</th>
            <th scope="col">finished</th>
          </tr>
        </thead>
        <tbody>
          {tasks.map((t) => (
            <tr key={t.pulp_href}>
              <td data-label="name">
                <Link href={uiPathOf(t.pulp_href)}>{t.name}</Link>
              </td>
              <td data-label="state">
                <span class={`state state-${t.state}`}>{t.state}</span>
              </td>
              <td data-label="created">{t.pulp_created}</td>
              <td data-label="started">{String(t.started_at ?? '—')}</td>
              <td data-label="finished">{String(t.finished_at ?? '—')}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The live task list (refreshed every 2 s) with state and name filters. */
export function TasksPage() {
  const [state, setState] = useState('');
  const [name, setName] = useState('');
  const [offset, setOffset] = useState(0);
  const limit = 25;
  const page = useLoad(
    () => get<Page<Task>>(withQuery('tasks/', { limit, offset, state, name__contains: name })),
    [state, name, offset],
    2000,
  );
  return (
    <div>
      <h1>Tasks</h1>
      <div class="toolbar" role="search">
        <div class="field inline">
          <label for="task-state">State</label>
          <select
            id="task-state"
            value={state}
            onChange={(e) => {
              setOffset(0);
              setState((e.target as HTMLSelectElement).value);
            }}
          >
            <option value="">any</option>
            {STATES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </div>
        <div class="field inline">
          <label for="task-name">Name contains</label>
          <input
            id="task-name"
            type="search"
            value={name}
            onInput={(e) => {
              setOffset(0);
              setName((e.target as HTMLInputElement).value);
            }}
          />
        </div>
      </div>
      <ErrorBox error={page.error} />
      {page.data ? (
        <>
          <TaskTable tasks={page.data.results} />
          <Pager page={page.data} offset={offset} limit={limit} onOffset={setOffset} />
        </>
      ) : (
        <Loading />
      )}
    </div>
  );
}

/** Whether `other`'s reservations conflict with `mine` (exclusive with anything, shared only with exclusive). */
function conflicts(mine: string[], other: string[]): string[] {
  const out: string[] = [];
  for (const r of mine) {
    const shared = r.startsWith('shared:');
    const name = shared ? r.slice('shared:'.length) : r;
    const hit = shared ? other.includes(name) : other.includes(name) || other.includes(`shared:${name}`);
    if (hit) out.push(name);
  }
  return out;
}

/**
 * For a waiting task, the unfinished tasks that hold (or wait earlier for) the resources it needs: a task
 * runs only when no earlier unfinished task conflicts with it, so these are the ones it waits behind.
 */
async function blockersOf(task: Task): Promise<Array<{ task: Task; resources: string[] }>> {
  const mine = task.reserved_resources_record ?? [];
  if (!mine.length) return [];
  const others = await getAll<Task>(
    withQuery('tasks/', {
      state__in: 'running,waiting,canceling',
      fields: 'pulp_href,name,state,pulp_created,reserved_resources_record',
    }),
  );
  return others
    .filter((o) => o.pulp_href !== task.pulp_href && (o.state !== 'waiting' || o.pulp_created < task.pulp_created))
    .map((o) => ({ task: o, resources: conflicts(mine, o.reserved_resources_record ?? []) }))
    .filter((b) => b.resources.length > 0);
}

export function TaskPage({ id }: { id: string }) {
  const href = `${config.apiPrefix}tasks/${id}/`;
  const [error, setError] = useState<unknown>(null);
  const [final, setFinal] = useState(false);
  const task = useLoad(
    async () => {
      const t = await get<Task>(href);
      if (isFinal(t.state)) setFinal(true);
      return t;
    },
    [href],
    final ? undefined : 1000,
  );
  const t = task.data;
  const blockers = useLoad(
    () => (t && t.state === 'waiting' ? blockersOf(t) : Promise.resolve([])),
    [t?.state, t?.pulp_href, final ? 0 : Math.floor(Date.now() / 2000)],
  );
  const children = useLoad(
    () => get<Page<Task>>(withQuery('tasks/', { parent_task: href, limit: 100 })),
    [href, t?.state],
  );
  if (task.error) return <ErrorBox error={task.error} />;
  if (!t) return <Loading />;
  const err = t.error as Json | null | undefined;
  return (
    <div>
      <p class="crumbs">
        <Link href={`${config.uiPrefix}tasks/`}>Tasks</Link>
      </p>
      <h1>{t.name}</h1>
      <p>
        State:{' '}
        <strong class={`state state-${t.state}`} data-testid="task-state">
          {t.state}
        </strong>
        {['waiting', 'running'].includes(t.state) ? (
          <button
            type="button"
            class="danger spaced"
            onClick={async () => {
              try {
                await request('PATCH', href, { state: 'canceled' });
                task.reload();
              } catch (e) {
                setError(e);
              }
            }}
          >
            Cancel task
          </button>
        ) : null}
      </p>
      <ErrorBox error={error} />
      {t.state === 'waiting' ? (
        <Section title="Waiting for">
          {blockers.data && blockers.data.length === 0 ? (
            <p>No unfinished task holds its resources: a worker will pick it up.</p>
          ) : null}
          <ul class="plain blockers">
            {(blockers.data ?? []).map((b) => (
              <li key={b.task.pulp_href}>
                <Link href={uiPathOf(b.task.pulp_href)}>{b.task.name}</Link> ({b.task.state}) holds{' '}
                {b.resources.map((r) => (
                  <code key={r}>{r}</code>
                ))}
              </li>
            ))}
          </ul>
        </Section>
      ) : null}
      <Section title="Progress">
        <ProgressReports reports={(t.progress_reports ?? []) as ProgressReport[]} />
      </Section>
      {err ? (
        <Section title="Error">
          <p class="error">{String(err.description ?? '')}</p>
          {err.traceback ? <pre>{String(err.traceback)}</pre> : null}
        </Section>
      ) : null}
      <Section title="Created resources">
        <Value value={t.created_resources ?? []} />
      </Section>
      {children.data && children.data.count > 0 ? (
        <Section title="Child tasks">
          <TaskTable tasks={children.data.results} />
        </Section>
      ) : null}
      <Section title="Details">
        <Fields object={t} omit={['progress_reports', 'created_resources', 'error']} />
      </Section>
    </div>
  );
}

import { useState } from 'preact/hooks';

import { get, type Json, type Page, request, uiApi, uiPathOf, withQuery } from '../api';
import { ErrorBox, Loading, Pager, Section, TaskWatch, Value } from '../components';
import { SchemaForm } from '../forms';
import { useLoad } from '../hooks';
import type { ApiModel, Endpoint } from '../openapi';
import { Link } from '../router';
import { ActionForm } from './resources';

interface Version extends Json {
  pulp_href: string;
  number: number;
  content_summary?: { added: Json; removed: Json; present: Json };
}

function sibling(model: ApiModel, endpoint: Endpoint, family: string): Endpoint | undefined {
  return model.byPath.get(endpoint.path.replace(/^repositories\//, family));
}

function Summary({ summary }: { summary: Json | undefined }) {
  const entries = Object.entries(summary ?? {});
  if (!entries.length) return <span class="muted">empty</span>;
  return <span>{entries.map(([type, v]) => `${type}: ${String((v as Json).count ?? '?')}`).join(', ')}</span>;
}

/** The panels of a repository page: sync, versions (rollback, publish), diff, modify, distribute. */
export function RepositoryPanels(props: { model: ApiModel; endpoint: Endpoint; repository: Json; reload: () => void }) {
  const { model, endpoint, repository } = props;
  const href = String(repository.pulp_href);
  const [tick, setTick] = useState(0);
  const refresh = () => {
    setTick((t) => t + 1);
    props.reload();
  };
  const sync = endpoint.actions.find((a) => a.name === 'sync/' && a.method === 'POST');
  const modify = endpoint.actions.find((a) => a.name === 'modify/' && a.method === 'POST');
  const remotes = sibling(model, endpoint, 'remotes/');
  const versions = useLoad(
    () => get<Page<Version>>(withQuery(`${href}versions/`, { limit: 100, ordering: '-number' })),
    [href, tick],
  );
  return (
    <>
      {sync ? (
        <ActionForm
          href={href}
          action={sync}
          title="Sync"
          onDone={refresh}
          refLists={remotes ? { remote: remotes.path } : undefined}
        />
      ) : null}
      <Section title="Versions">
        <ErrorBox error={versions.error} />
        {versions.data ? (
          <VersionTable
            model={model}
            endpoint={endpoint}
            versions={versions.data.results}
            repository={href}
            onChange={refresh}
          />
        ) : (
          <Loading />
        )}
      </Section>
      {versions.data && versions.data.results.length > 1 ? <DiffPanel versions={versions.data.results} /> : null}
      {modify ? <ActionForm href={href} action={modify} title="Modify content" onDone={refresh} /> : null}
    </>
  );
}

function VersionTable(props: {
  model: ApiModel;
  endpoint: Endpoint;
  versions: Version[];
  repository: string;
  onChange: () => void;
}) {
  const publications = sibling(props.model, props.endpoint, 'publications/');
  const distributions = sibling(props.model, props.endpoint, 'distributions/');
  const [task, setTask] = useState<string | null>(null);
  const [published, setPublished] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const latest = props.versions[0]?.number;
  const act = async (fn: () => Promise<Json>) => {
    setError(null);
    try {
      const r = await fn();
      if (typeof r.task === 'string') setTask(r.task);
    } catch (err) {
      setError(err);
    }
  };
  return (
    <>
      <div class="table-wrap">
        <table>
          <caption class="visually-hidden">Versions</caption>
          <thead>
            <tr>
              <th scope="col">number</th>
              <th scope="col">created</th>
              <th scope="col">present</th>
              <th scope="col">added</th>
              <th scope="col">removed</th>
              <th scope="col">actions</th>
            </tr>
          </thead>
          <tbody>
            {props.versions.map((v) => (
              <tr key={v.pulp_href}>
                <td data-label="number">
                  <Link href={uiPathOf(v.pulp_href)}>{v.number}</Link>
                </td>
                <td data-label="created">{String(v.pulp_created)}</td>
                <td data-label="present">
                  <Summary summary={v.content_summary?.present} />
                </td>
                <td data-label="added">
                  <Summary summary={v.content_summary?.added} />
                </td>
                <td data-label="removed">
                  <Summary summary={v.content_summary?.removed} />
                </td>
                <td data-label="actions" class="actions">
                  {v.number !== latest ? (
                    <button
                      type="button"
                      onClick={() =>
                        act(() => request('POST', `${props.repository}modify/`, { base_version: v.pulp_href }))
                      }
                    >
                      Roll back to {v.number}
                    </button>
                  ) : null}
                  {publications?.create ? (
                    <button
                      type="button"
                      onClick={() => act(() => request('POST', publications.path, { repository_version: v.pulp_href }))}
                    >
                      Publish {v.number}
                    </button>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <ErrorBox error={error} />
      {task ? (
        <TaskWatch
          key={task}
          href={task}
          onDone={(t) => {
            const created = ((t.created_resources ?? []) as string[]).find((h) => h.includes('/publications/'));
            if (created) setPublished(created);
            props.onChange();
          }}
        />
      ) : null}
      {distributions?.create ? (
        <Section title="Distribute">
          <p>
            {published ? (
              <>
                Distributes publication <Value value={published} />.
              </>
            ) : (
              'Serves the latest version of this repository (or pick a publication).'
            )}
          </p>
          <SchemaForm
            id="distribute"
            key={published ?? 'repo'}
            schema={distributions.create.body}
            submitLabel="Distribute"
            initial={published ? { publication: published } : { repository: props.repository }}
            hide={['repository_version']}
            onSubmit={async (body) => {
              const r = await request('POST', distributions.path, body);
              if (typeof r.task === 'string') setTask(r.task);
            }}
          />
        </Section>
      ) : null}
    </>
  );
}

function DiffPanel({ versions }: { versions: Version[] }) {
  const [from, setFrom] = useState(versions[1]?.pulp_href ?? '');
  const [to, setTo] = useState(versions[0]?.pulp_href ?? '');
  const [asked, setAsked] = useState<{ from: string; to: string } | null>(null);
  const options = versions.map((v) => (
    <option key={v.pulp_href} value={v.pulp_href}>
      version {v.number}
    </option>
  ));
  return (
    <Section title="Compare versions">
      <form
        class="toolbar"
        onSubmit={(e) => {
          e.preventDefault();
          setAsked({ from, to });
        }}
      >
        <div class="field inline">
          <label for="diff-from">From</label>
          <select id="diff-from" value={from} onChange={(e) => setFrom((e.target as HTMLSelectElement).value)}>
            {options}
          </select>
        </div>
        <div class="field inline">
          <label for="diff-to">To</label>
          <select id="diff-to" value={to} onChange={(e) => setTo((e.target as HTMLSelectElement).value)}>
            {options}
          </select>
        </div>
        <button type="submit">Compare</button>
      </form>
      {asked ? <DiffResult key={`${asked.from}>${asked.to}`} from={asked.from} to={asked.to} /> : null}
    </Section>
  );
}

function DiffResult({ from, to }: { from: string; to: string }) {
  return (
    <div class="diff">
      <DiffList title="Added" kind="added" base={from} compare={to} />
      <DiffList title="Removed" kind="removed" base={from} compare={to} />
    </div>
  );
}

interface DiffUnit extends Json {
  pulp_href: string;
  pulp_type: string;
  name: string;
}

/** One side of a diff, a page at a time, as the server computes it (`GET /ui/api/diff/`). */
function DiffList(props: { title: string; kind: 'added' | 'removed'; base: string; compare: string }) {
  const { title, kind } = props;
  const [offset, setOffset] = useState(0);
  const limit = 20;
  const page = useLoad(
    () =>
      get<Page<DiffUnit>>(
        withQuery(uiApi('diff/'), { base: props.base, compare: props.compare, side: kind, limit, offset }),
      ),
    [props.base, props.compare, kind, offset],
  );
  if (page.error) return <ErrorBox error={page.error} />;
  if (!page.data) return <Loading what="Comparing" />;
  return (
    <div class={`diff-${kind}`}>
      <h3>
        {title} ({page.data.count})
      </h3>
      <ul class="plain" aria-label={`${title} content`}>
        {page.data.results.map((u) => (
          <li key={u.pulp_href}>
            <span class="badge">{kind === 'added' ? '+' : '−'}</span> <Link href={uiPathOf(u.pulp_href)}>{u.name}</Link>{' '}
            <span class="muted">{u.pulp_type}</span>
          </li>
        ))}
      </ul>
      {page.data.count > limit ? <Pager page={page.data} offset={offset} limit={limit} onOffset={setOffset} /> : null}
    </div>
  );
}

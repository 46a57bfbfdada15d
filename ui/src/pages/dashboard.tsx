import { get, type Json, type Page, withQuery } from '../api';
import { ErrorBox, Loading, Section } from '../components';
import { useLoad } from '../hooks';
import { TaskTable } from './tasks';

function bytes(n: unknown): string {
  if (typeof n !== 'number') return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i ? 1 : 0)} ${units[i]}`;
}

/** Status, workers online and missing, running and waiting tasks, storage: refreshed every 3 s. */
export function Dashboard() {
  const data = useLoad(
    async () => {
      const [status, missing, running, waiting] = await Promise.all([
        get('status/'),
        get<Page>(withQuery('workers/', { missing: 'true', limit: 50 })),
        get<Page>(withQuery('tasks/', { state: 'running', limit: 10 })),
        get<Page>(withQuery('tasks/', { state: 'waiting', limit: 10, ordering: 'pulp_created' })),
      ]);
      return { status, missing, running, waiting };
    },
    [],
    3000,
  );
  if (data.error) return <ErrorBox error={data.error} />;
  if (!data.data) return <Loading />;
  const { status, missing, running, waiting } = data.data;
  const workers = (status.online_workers ?? []) as Json[];
  const storage = (status.storage ?? {}) as Json;
  const versions = (status.versions ?? []) as Json[];
  return (
    <div>
      <h1>Dashboard</h1>
      <div class="stats">
        <div class="stat" data-testid="workers-online">
          <span class="num">{workers.length}</span> workers online
        </div>
        <div class="stat" data-testid="workers-missing">
          <span class="num">{missing.count}</span> workers missing
        </div>
        <div class="stat">
          <span class="num">{running.count}</span> tasks running
        </div>
        <div class="stat">
          <span class="num">{waiting.count}</span> tasks waiting
        </div>
        <div class="stat">
          <span class="num">{bytes(storage.used)}</span> of {bytes(storage.total)} storage used
        </div>
      </div>
      <Section title="Running tasks">
        {running.count ? <TaskTable tasks={running.results as never} /> : <p class="muted">None.</p>}
      </Section>
      <Section title="Waiting tasks">
        {waiting.count ? <TaskTable tasks={waiting.results as never} /> : <p class="muted">None.</p>}
      </Section>
      <Section title="Processes">
        <ul class="plain">
          {workers.map((w) => (
            <li key={String(w.name)}>worker {String(w.name)}</li>
          ))}
          {((status.online_api_apps ?? []) as Json[]).map((a) => (
            <li key={String(a.name)}>api {String(a.name)}</li>
          ))}
          {((status.online_content_apps ?? []) as Json[]).map((a) => (
            <li key={String(a.name)}>content {String(a.name)}</li>
          ))}
          {(missing.results ?? []).map((w) => (
            <li key={String(w.name)} class="error">
              missing worker {String(w.name)} (last heartbeat {String(w.last_heartbeat)})
            </li>
          ))}
        </ul>
      </Section>
      <Section title="Installed">
        <ul class="plain">
          {versions.map((v) => (
            <li key={String(v.component)}>
              {String(v.component)} {String(v.version)}
            </li>
          ))}
        </ul>
        <p>Database: {(status.database_connection as Json | undefined)?.connected ? 'connected' : 'not connected'}</p>
      </Section>
    </div>
  );
}

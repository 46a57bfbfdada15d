import './style.css';

import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';

import { config, get, type PluginPageEntry, setUnauthorizedHandler, signOut, uiApi } from './api';
import { ErrorBox, Loading } from './components';
import { useLoad } from './hooks';
import { apiModel, type ApiModel, endpointOfHref } from './openapi';
import { ContentSearch } from './pages/content';
import { Dashboard } from './pages/dashboard';
import { PluginDetail, PluginPage } from './pages/plugin';
import { DetailPage, FamilyPage, ListPage, SubList } from './pages/resources';
import { SignIn } from './pages/signin';
import { TaskPage, TasksPage } from './pages/tasks';
import { VersionPage } from './pages/version';
import { Link, navigate, useLocation } from './router';

const U = config.uiPrefix;
const FAMILIES: Array<[string, string]> = [
  ['repositories/', 'Repositories'],
  ['remotes/', 'Remotes'],
  ['publications/', 'Publications'],
  ['distributions/', 'Distributions'],
  ['contentguards/', 'Content guards'],
];
const NAV: Array<[string, string]> = [
  [U, 'Dashboard'],
  ...FAMILIES.map(([p, l]): [string, string] => [`${U}browse/${p}`, l]),
  [`${U}content/`, 'Content search'],
  [`${U}tasks/`, 'Tasks'],
  [`${U}browse/users/`, 'Users'],
  [`${U}browse/groups/`, 'Groups'],
  [`${U}browse/roles/`, 'Roles'],
];

function Browse({ model, rest }: { model: ApiModel; rest: string }) {
  const family = FAMILIES.find(([p]) => p === rest);
  if (family) return <FamilyPage model={model} family={family[0]} label={family[1]} />;
  const list = model.byPath.get(rest);
  if (list) return <ListPage endpoint={list} />;
  const href = `${config.apiPrefix}${rest}`;
  if (/\/versions\/\d+\/$/.test(rest)) return <VersionPage href={href} />;
  const endpoint = endpointOfHref(model, href);
  if (endpoint && /^[0-9a-f-]{36}\/$|^\d+\/$/.test(rest.slice(endpoint.path.length)))
    return <DetailPage key={href} model={model} endpoint={endpoint} href={href} />;
  return <SubList title={rest} path={href} />;
}

function Routes({ model, pages }: { model: ApiModel; pages: PluginPageEntry[] }) {
  const { path } = useLocation();
  for (const page of pages) {
    const at = `${U}${page.path}`;
    if (path === at) return <PluginPage key={at} model={model} page={page} />;
    const id = path.startsWith(at) ? /^([0-9a-f-]{36}|\d+)\/$/.exec(path.slice(at.length))?.[1] : undefined;
    if (id) return <PluginDetail key={path} model={model} page={page} id={id} />;
  }
  if (path === U || path === U.replace(/\/$/, '')) return <Dashboard />;
  if (path === `${U}tasks/`) return <TasksPage />;
  const task = new RegExp(`^${U}tasks/([0-9a-f-]{36})/$`).exec(path);
  if (task) return <TaskPage key={task[1]} id={task[1] as string} />;
  if (path === `${U}content/`) return <ContentSearch model={model} />;
  if (path.startsWith(`${U}browse/`)) return <Browse model={model} rest={path.slice(`${U}browse/`.length)} />;
  return (
    <p>
      No page here. <Link href={U}>Go to the dashboard</Link>.
    </p>
  );
}

function Shell({ username, onSignOut }: { username: string; onSignOut: () => void }) {
  const { path } = useLocation();
  const [menu, setMenu] = useState(false);
  const model = useLoad(() => apiModel(), []);
  // The plugins' pages (their `ui.pages` declarations); the menu works without them if this fails.
  const navigation = useLoad(() => get<{ pages: PluginPageEntry[] }>(uiApi('navigation/')), []);
  const pages = navigation.data?.pages ?? [];
  useEffect(() => setMenu(false), [path]);
  const entries: Array<[string, string]> = [...NAV, ...pages.map((n): [string, string] => [`${U}${n.path}`, n.title])];
  const active = entries
    .filter(([p]) => path === p || (p !== U && path.startsWith(p)))
    .sort((a, b) => b[0].length - a[0].length)[0]?.[0];
  return (
    <div class="shell">
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="topbar">
        <button
          type="button"
          class="menu-toggle"
          aria-expanded={menu}
          aria-controls="nav"
          onClick={() => setMenu(!menu)}
        >
          Menu
        </button>
        <Link href={U} class="brand">
          Pulp
        </Link>
        <span class="grow" />
        <span class="user">
          Signed in as <strong data-testid="username">{username}</strong>
        </span>
        <button type="button" class="link" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      <nav id="nav" class={menu ? 'open' : ''} aria-label="Main">
        <ul>
          {entries.map(([p, label]) => (
            <li key={p}>
              <Link href={p} aria-current={p === active ? 'page' : undefined}>
                {label}
              </Link>
            </li>
          ))}
          <li>
            <a href={config.apiPrefix}>Browsable API</a>
          </li>
        </ul>
      </nav>
      <main id="main" tabIndex={-1}>
        <ErrorBox error={model.error} />
        <ErrorBox error={navigation.error} />
        {model.data && navigation.data ? (
          <Routes model={model.data} pages={pages} />
        ) : navigation.error && model.data ? (
          <Routes model={model.data} pages={[]} />
        ) : (
          <Loading what="Loading the API description" />
        )}
      </main>
    </div>
  );
}

function App() {
  const [user, setUser] = useState<string | null | undefined>(undefined);
  useEffect(() => {
    setUnauthorizedHandler(() => setUser(null));
    get('login/').then(
      (me) => setUser(String(me.username)),
      () => setUser(null),
    );
  }, []);
  if (user === undefined) return <Loading />;
  if (user === null) return <SignIn onSignedIn={(u) => setUser(u)} />;
  return (
    <Shell
      username={user}
      onSignOut={async () => {
        await signOut();
        setUser(null);
        navigate(U);
      }}
    />
  );
}

const root = document.getElementById('app');
if (root) render(<App />, root);

import { useState } from 'preact/hooks';

import { get, type Json, type Page, withQuery } from '../api';
import { ErrorBox, Loading, Section, Value } from '../components';
import { useLoad } from '../hooks';
import { type ApiModel, type Endpoint, hasParam } from '../openapi';

const DIGEST_PARAMS = ['sha256', 'digest', 'pkgId', 'md5', 'sha1'];
const NAME_PARAMS = [
  'name__icontains',
  'relative_path__icontains',
  'name__contains',
  'relative_path__contains',
  'name',
];

/** The filter of a content list that `query` should use: a digest filter for hex digests, else a name filter. */
function paramFor(e: Endpoint, query: string): string | undefined {
  const digest = /^[0-9a-f]{32,128}$/i.test(query) || /^sha256:[0-9a-f]{64}$/i.test(query);
  return (digest ? DIGEST_PARAMS : NAME_PARAMS).find((p) => hasParam(e.list, p));
}

function Where({ href }: { href: string }) {
  const versions = useLoad(() => get<Page>(withQuery('repository_versions/', { content: href, limit: 20 })), [href]);
  if (!versions.data) return <Loading what="Finding repositories" />;
  if (!versions.data.count) return <span class="muted">in no repository version</span>;
  return (
    <span>
      in <Value value={versions.data.results.map((v) => v.pulp_href)} />
    </span>
  );
}

function TypeResults({ endpoint, query }: { endpoint: Endpoint; query: string }) {
  const param = paramFor(endpoint, query);
  const page = useLoad(
    () => (param ? get<Page>(withQuery(endpoint.path, { [param]: query, limit: 25 })) : Promise.resolve(null)),
    [endpoint.path, query],
  );
  if (!param) return null;
  if (page.error) return <ErrorBox error={page.error} />;
  if (!page.data) return <Loading />;
  if (!page.data.count) return null;
  return (
    <Section title={`${endpoint.tag} (${page.data.count})`}>
      <ul class="plain">
        {page.data.results.map((c: Json) => (
          <li key={String(c.pulp_href)}>
            <strong>{String(c.relative_path ?? c.name ?? c.pulp_href)}</strong>{' '}
            {c.version ? <span>{String(c.version)}</span> : null} <Where href={String(c.pulp_href)} />
          </li>
        ))}
      </ul>
    </Section>
  );
}

/** Content of every installed type by name or digest, with the repository versions holding each unit. */
export function ContentSearch({ model }: { model: ApiModel }) {
  const [text, setText] = useState('');
  const [query, setQuery] = useState('');
  const types = model.endpoints.filter((e) => e.path.startsWith('content/') && e.path.split('/').length === 4);
  return (
    <div>
      <h1>Content search</h1>
      <form
        class="toolbar"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          setQuery(text.trim());
        }}
      >
        <div class="field inline grow">
          <label for="content-q">Name or digest</label>
          <input
            id="content-q"
            type="search"
            value={text}
            onInput={(e) => setText((e.target as HTMLInputElement).value)}
          />
        </div>
        <button type="submit">Search</button>
      </form>
      {query ? types.map((t) => <TypeResults key={t.path + query} endpoint={t} query={query} />) : null}
    </div>
  );
}

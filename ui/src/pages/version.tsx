import { useState } from 'preact/hooks';

import { config, get, type Page, withQuery } from '../api';
import { ErrorBox, Fields, Loading, Pager, Section, Value } from '../components';
import { useLoad } from '../hooks';

/** A repository version: its fields and content summary, and its content, paged. */
export function VersionPage({ href }: { href: string }) {
  const version = useLoad(() => get(href), [href]);
  const [offset, setOffset] = useState(0);
  const limit = 25;
  const content = useLoad(
    () => get<Page>(withQuery('content/', { repository_version: href, limit, offset })),
    [href, offset],
  );
  if (version.error) return <ErrorBox error={version.error} />;
  if (!version.data) return <Loading />;
  return (
    <div>
      <h1>Version {String(version.data.number)}</h1>
      <p>
        of <Value value={href.replace(/versions\/\d+\/$/, '')} />
      </p>
      <Section title="Details">
        <Fields object={version.data} />
      </Section>
      <Section title="Content">
        {content.data ? (
          <>
            <ul class="plain">
              {content.data.results.map((c) => (
                <li key={String(c.pulp_href)}>
                  {Object.keys(c.artifacts ?? {}).join(', ') || String(c.pulp_href)}{' '}
                  <span class="muted">{String(c.pulp_type ?? '')}</span>
                </li>
              ))}
            </ul>
            <Pager page={content.data} offset={offset} limit={limit} onOffset={setOffset} />
          </>
        ) : (
          <Loading />
        )}
      </Section>
      <p>
        <a href={`${href}?format=api`}>Open in the browsable API</a> ·{' '}
        <a href={`${config.apiPrefix}content/?repository_version=${encodeURIComponent(href)}&format=api`}>
          content list
        </a>
      </p>
    </div>
  );
}

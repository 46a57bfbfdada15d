import { config, get, type Json, type PluginPageEntry } from '../api';
import { ErrorBox, Loading, Section } from '../components';
import { fieldLabel, FieldValue } from '../fields';
import { useLoad } from '../hooks';
import type { ApiModel } from '../openapi';
import { Link } from '../router';
import { DetailPage, ListPage, titleOf } from './resources';

const idOf = (href: string) => /\/([^/]+)\/$/.exec(href)?.[1] ?? '';

/** A plugin page: the declared columns of its list endpoint; each row opens the page's detail view. */
export function PluginPage({ model, page }: { model: ApiModel; page: PluginPageEntry }) {
  const endpoint = model.byPath.get(page.list);
  if (!endpoint)
    return (
      <p>
        This page of the {page.plugin} plugin lists {page.list}, which this server does not have.
      </p>
    );
  return (
    <ListPage
      endpoint={endpoint}
      title={page.title}
      description={page.description}
      fields={page.columns}
      linkOf={(row) => `${config.uiPrefix}${page.path}${idOf(String(row.pulp_href))}/`}
    />
  );
}

/** A plugin page's detail view: the declared fields first, then the generic object page with its actions. */
export function PluginDetail({ model, page, id }: { model: ApiModel; page: PluginPageEntry; id: string }) {
  const href = `${config.apiPrefix}${page.list}${id}/`;
  const object = useLoad(() => get(href), [href]);
  const endpoint = model.byPath.get(page.list);
  const fields = page.detail ?? page.columns;
  if (object.error) return <ErrorBox error={object.error} />;
  if (!object.data || !endpoint) return <Loading />;
  return (
    <div>
      <p class="crumbs">
        <Link href={`${config.uiPrefix}${page.path}`}>{page.title}</Link>
      </p>
      <Section title={`${page.title}: ${titleOf(object.data)}`} id="plugin-fields">
        <dl class="fields" data-testid="plugin-fields">
          {fields.map((f, i) => (
            <div key={`${f.field}-${i}`}>
              <dt>{fieldLabel(f)}</dt>
              <dd>
                <FieldValue object={object.data as Json} field={f} />
              </dd>
            </div>
          ))}
        </dl>
      </Section>
      <DetailPage model={model} endpoint={endpoint} href={href} />
    </div>
  );
}

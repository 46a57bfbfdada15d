/**
 * What a plugin adds to the web UI at `/ui/`: pages listing one of its API endpoints, and how its content units
 * are named in version diffs. Core's UI builds its menu from these declarations (`GET /ui/api/navigation/`) and
 * never names a plugin; a plugin never ships UI code.
 */

/** A column of a page's table, or a field of its detail view: one field of the listed API objects. */
export interface UiField {
  /** Field of the API object (`version`, `base_url`, `registry_path`). */
  field: string;
  /** Heading; default: the field name with spaces for underscores. */
  label?: string;
  /**
   * Text shown instead of the raw value: `{value}` is the field's value and `{<name>}` any other field of the
   * object (`pip install --index-url {value}simple/ <package>`). A missing or empty field leaves the cell empty.
   */
  template?: string;
  /** The text is a command or URL people copy: shown as code with a copy button. */
  copy?: boolean;
}

/** One page of a plugin: a menu entry and a table of one API list endpoint, each row opening a detail view. */
export interface UiPage {
  /** Menu entry and heading: `Python packages`. */
  title: string;
  /** Path below the UI prefix, ending in a slash: `python/packages/`. */
  path: string;
  /** API list endpoint below the API prefix, ending in a slash: `content/python/packages/`. */
  list: string;
  /** Table columns; the first one links to the object's detail view. */
  columns: UiField[];
  /** Fields shown first on the detail view (all other fields follow); default: the columns. */
  detail?: UiField[];
  /** One sentence shown under the heading. */
  description?: string;
}

/**
 * How units of one content type are named for people in version diffs: a text column of the type's detail table,
 * keyed by `content_id`. Types without one are named by their artifact's relative path.
 */
export interface UiContentName {
  /** `python.python` */
  pulpType: string;
  /** Detail table, e.g. `python_package_content`. */
  table: string;
  /** Text column of that table, e.g. `filename`. */
  column: string;
}

/** What a plugin adds to the web UI (`PluginDefinition.ui`). */
export interface PluginUi {
  pages?: UiPage[];
  contentNames?: UiContentName[];
}

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;
const UI_PATH = /^[a-z0-9][a-z0-9_-]*(\/[a-z0-9][a-z0-9_-]*)*\/$/;

/** Paths below the UI prefix that core's own pages use; a plugin page may not take them. */
const CORE_UI_PATHS = ['api/', 'browse/', 'content/', 'tasks/'];

/**
 * Problems with the UI declarations of the installed plugins (bad paths, duplicate pages, identifiers that are
 * not plain SQL names), reported by the registry with every other problem at start.
 */
export function uiProblems(plugins: ReadonlyArray<{ name: string; ui?: PluginUi }>): string[] {
  const problems: string[] = [];
  const paths = new Map<string, string>();
  const named = new Set<string>();
  for (const plugin of plugins) {
    const where = `plugin '${plugin.name}': ui`;
    for (const page of plugin.ui?.pages ?? []) {
      if (!UI_PATH.test(page.path)) problems.push(`${where} page path '${page.path}' must look like 'name/list/'`);
      else if (CORE_UI_PATHS.some((p) => page.path.startsWith(p)))
        problems.push(`${where} page path '${page.path}' is one of core's UI paths`);
      const other = paths.get(page.path);
      if (other) problems.push(`${where} page path '${page.path}' is already declared by plugin '${other}'`);
      paths.set(page.path, plugin.name);
      if (!UI_PATH.test(page.list)) problems.push(`${where} page '${page.path}' list '${page.list}' must end in '/'`);
      if (page.columns.length === 0) problems.push(`${where} page '${page.path}' has no columns`);
    }
    for (const n of plugin.ui?.contentNames ?? []) {
      if (!IDENTIFIER.test(n.table) || !IDENTIFIER.test(n.column))
        problems.push(`${where} content name of '${n.pulpType}': table and column must match ${IDENTIFIER.source}`);
      if (named.has(n.pulpType)) problems.push(`${where} content type '${n.pulpType}' is already named`);
      named.add(n.pulpType);
    }
  }
  return problems;
}

/** A page as the UI's navigation answer carries it: the declaration plus the plugin that made it. */
export type UiNavigationPage = UiPage & { plugin: string };

/** Every installed plugin's pages, in plugin order. */
export function uiNavigation(plugins: ReadonlyArray<{ name: string; ui?: PluginUi }>): UiNavigationPage[] {
  return plugins.flatMap((p) => (p.ui?.pages ?? []).map((page) => ({ ...page, plugin: p.name })));
}

/** Every installed plugin's content names, by pulp_type. */
export function uiContentNames(plugins: ReadonlyArray<{ ui?: PluginUi }>): UiContentName[] {
  return plugins.flatMap((p) => p.ui?.contentNames ?? []);
}

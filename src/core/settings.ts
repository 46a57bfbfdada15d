import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

import { ConfigurationError } from './errors.js';

const ALL_CHECKSUMS = ['md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512'] as const;
export type ChecksumName = (typeof ALL_CHECKSUMS)[number];

/**
 * Every setting under its Pulp name, with Pulp's default. Sources, later wins: these defaults,
 * `settings.yaml` (path in PULP_SETTINGS), then `PULP_<NAME>` environment variables.
 */
export const SettingsSchema = Type.Object({
  /** Folder for everything this installation keeps locally: embedded database, media. */
  PULP_HOME: Type.String({ default: '.pulp' }),
  /** Prefix of every REST path: `<API_ROOT>api/v3/`. */
  API_ROOT: Type.String({ default: '/pulp/', pattern: '^/(.*/)?$' }),
  /** Scheme and host that prefix distribution base_url; unset (null) gives a relative base_url, as in Pulp. */
  CONTENT_ORIGIN: Type.Union([Type.String({ pattern: '^https?://[^/]+$' }), Type.Null()], { default: null }),
  /** Path prefix under which the content app serves distributions. */
  CONTENT_PATH_PREFIX: Type.String({ default: '/pulp/content/', pattern: '^/(.+/)?$' }),
  /** URL path at which the API serves its static assets (browsable API, web UI), as Pulp's STATIC_URL. */
  STATIC_URL: Type.String({ default: '/assets/', pattern: '^/(.+/)?$' }),
  /** Folder `pulpcore-manager collectstatic` copies the static assets into; default `<PULP_HOME>/assets`. */
  STATIC_ROOT: Type.Union([Type.String({ minLength: 1 }), Type.Null()], { default: null }),
  /** Where artifacts and uploads are stored; default `<PULP_HOME>/media`. */
  MEDIA_ROOT: Type.Union([Type.String({ minLength: 1 }), Type.Null()], { default: null }),
  /**
   * Django's STORAGES: `default.BACKEND` is `pulpcore.app.models.storage.FileSystem` (files under MEDIA_ROOT) or
   * `storages.backends.s3.S3Storage` (any S3-compatible service; its OPTIONS are checked when storage is built).
   */
  STORAGES: Type.Object(
    {
      default: Type.Object({
        BACKEND: Type.String({ minLength: 1 }),
        OPTIONS: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
      }),
    },
    { default: { default: { BACKEND: 'pulpcore.app.models.storage.FileSystem' } } },
  ),
  /** Object storage only: the content app answers with a redirect to a presigned URL instead of streaming. */
  REDIRECT_TO_OBJECT_STORAGE: Type.Boolean({ default: true }),
  /** Seconds without a heartbeat after which a worker or app is considered missing. */
  WORKER_TTL: Type.Number({ default: 30, exclusiveMinimum: 0 }),
  /** Full PostgreSQL URL; when neither it nor DATABASES is set, an embedded PostgreSQL is started. */
  DATABASE_URL: Type.Union([Type.String({ pattern: '^postgres(ql)?://' }), Type.Null()], { default: null }),
  /** Django-style database settings; only `default` is used. */
  DATABASES: Type.Union(
    [
      Type.Object({
        default: Type.Object({
          NAME: Type.String(),
          USER: Type.Optional(Type.String()),
          PASSWORD: Type.Optional(Type.String()),
          HOST: Type.Optional(Type.String()),
          PORT: Type.Optional(Type.Union([Type.Integer(), Type.String()])),
        }),
      }),
      Type.Null(),
    ],
    { default: null },
  ),
  /** Seconds to open a database connection or wait for a free pooled one before answering 503 (not in Pulp). */
  DB_CONNECT_TIMEOUT: Type.Number({ default: 10, exclusiveMinimum: 0, maximum: 3600 }),
  /**
   * Seconds a request's database statement may take before it is canceled and the request answered 503, also when
   * the server does not answer at all (not in Pulp); null: no limit. Task threads and migrations have no limit.
   */
  DB_QUERY_TIMEOUT: Type.Union([Type.Number({ exclusiveMinimum: 0, maximum: 86400 }), Type.Null()], { default: 30 }),
  /** Port of the embedded PostgreSQL when it is used. */
  EMBEDDED_DB_PORT: Type.Integer({ default: 24818, minimum: 1, maximum: 65535 }),
  /** Secret used to sign content-redirect URLs and sessions. */
  SECRET_KEY: Type.Union([Type.String({ minLength: 8 }), Type.Null()], { default: null }),
  /** Digests computed for every artifact; sha256 is mandatory. */
  ALLOWED_CONTENT_CHECKSUMS: Type.Array(Type.Union(ALL_CHECKSUMS.map((c) => Type.Literal(c))), {
    default: ['sha224', 'sha256', 'sha384', 'sha512'],
    minItems: 1,
    uniqueItems: true,
  }),
  /** Names of the installed plugins; null (the default) installs every built-in one. */
  INSTALLED_PLUGINS: Type.Union([Type.Array(Type.String()), Type.Null()], { default: null }),
  /** Bind addresses. */
  API_BIND: Type.String({ default: '0.0.0.0:24817' }),
  CONTENT_BIND: Type.String({ default: '0.0.0.0:24816' }),
  /** Process counts used by `pulp-ts run`. */
  API_PROCESSES: Type.Integer({ default: 1, minimum: 1, maximum: 64 }),
  CONTENT_PROCESSES: Type.Integer({ default: 1, minimum: 1, maximum: 64 }),
  WORKERS: Type.Integer({ default: 2, minimum: 0, maximum: 256 }),
  /** Password given to `admin` on first start; random (printed once) when unset. */
  ADMIN_PASSWORD: Type.Union([Type.String({ minLength: 1 }), Type.Null()], { default: null }),
  /** Largest JSON or form body the API accepts, in bytes. */
  MAX_BODY_SIZE: Type.Integer({ default: 10 * 1024 * 1024, minimum: 1024 }),
  /** Largest file part of an upload (artifact, chunk), in bytes. */
  MAX_UPLOAD_SIZE: Type.Integer({ default: 64 * 1024 * 1024 * 1024, minimum: 1024 }),
  /**
   * Refuse remote URLs (sync, on-demand, proxies) that reach loopback, link-local, private or other non-public
   * addresses, checked on the resolved address of every connection. Off by default: Pulp has no such setting,
   * and mirrors on a private network are common.
   */
  DENY_PRIVATE_REMOTE_ADDRESSES: Type.Boolean({ default: false }),
  /**
   * Prometheus metrics at `/metrics` on the API and the content app (pulp-ts only: Pulp exports through
   * OpenTelemetry). Unauthenticated, as scrapers expect: turn it off where those ports are public.
   */
  METRICS_ENABLED: Type.Boolean({ default: true }),
  /** Largest `limit` a list honours (smaller pages are served, as DRF's max_limit); unset: no ceiling, as in Pulp. */
  MAX_PAGE_SIZE: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()], { default: null }),
  /** Minutes after which orphaned content and artifacts may be removed by orphan cleanup (as in Pulp). */
  ORPHAN_PROTECTION_TIME: Type.Integer({ default: 1440, minimum: 0 }),
  /** Minutes a finished task is kept before automatic purge; 0 keeps them forever. */
  TASK_PROTECTION_TIME: Type.Integer({ default: 0, minimum: 0 }),
  /** Profilers (`memory`, `cpu`) that a request's X-Task-Diagnostics header may switch on for its tasks. */
  TASK_DIAGNOSTICS: Type.Array(Type.String({ minLength: 1 }), { default: [] }),
  /** Absolute directories that exports may write into (Pulp's name; none by default). */
  ALLOWED_EXPORT_PATHS: Type.Array(Type.String({ pattern: '^/' }), { default: [] }),
  /** Absolute directories that imports (and file:// URLs) may read from (Pulp's name; none by default). */
  ALLOWED_IMPORT_PATHS: Type.Array(Type.String({ pattern: '^/' }), { default: [] }),
  /** Seconds a content-redirect URL stays valid. */
  CONTENT_REDIRECT_LINK_TTL: Type.Integer({ default: 60, minimum: 1 }),
  /** Enable domains (not supported yet: must stay false). */
  DOMAIN_ENABLED: Type.Literal(false, { default: false }),
  /** pino log level. */
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info' },
  ),
});

type RawSettings = Static<typeof SettingsSchema>;
export type Settings = Readonly<
  Omit<RawSettings, 'MEDIA_ROOT' | 'PULP_HOME'> & { MEDIA_ROOT: string; PULP_HOME: string }
>;

export interface LoadSettingsOptions {
  env?: Record<string, string | undefined>;
  /** Explicit settings file; defaults to env.PULP_SETTINGS. */
  file?: string;
  /** Directory that relative paths are resolved against. */
  cwd?: string;
  /** Values that win over everything (used by tests and CLI flags). */
  overrides?: Partial<RawSettings>;
  /**
   * Skip settings-file keys and `PULP_` variables nobody declared instead of reporting them: for a process that
   * reads core's settings only and leaves the whole check to the processes it starts (`pulp-ts run`'s supervisor,
   * a cluster's primary), so that it need not load every plugin to learn their settings.
   */
  ignoreUnknownKeys?: boolean;
}

const extraSettings = new Map<string, TSchema>();

/** The YAML parser, loaded only when there is a settings file (it is 8 MB of a process's memory otherwise). */
function parseYaml(text: string): unknown {
  const yaml = createRequire(import.meta.url)('yaml') as typeof import('yaml');
  return yaml.parse(text);
}

/**
 * Declares settings beyond core's (plugins' own, under Pulp's names): validated and read from the same
 * sources. Call before `loadSettings`; a name already declared is replaced.
 */
export function registerSettingSchemas(schemas: Record<string, TSchema>): void {
  for (const [name, schema] of Object.entries(schemas)) extraSettings.set(name, schema);
}

function fullSchema() {
  return extraSettings.size === 0
    ? SettingsSchema
    : Type.Object({ ...SettingsSchema.properties, ...Object.fromEntries(extraSettings) });
}

/** A setting declared by a plugin (see `registerSettingSchemas`), as loaded. */
export function extraSetting<T>(settings: Settings, name: string): T {
  return (settings as unknown as Record<string, unknown>)[name] as T;
}

function parseEnvValue(name: string, raw: string, schema: TSchema): unknown {
  const kinds = schemaKinds(schema);
  if (raw === '' && kinds.has('null')) return null;
  if (raw.toLowerCase() === 'null' && kinds.has('null')) return null;
  if (kinds.has('number') || kinds.has('integer')) {
    const n = Number(raw);
    if (raw.trim() !== '' && Number.isFinite(n)) return n;
  }
  if (kinds.has('boolean')) {
    if (/^(true|1|yes|on)$/i.test(raw)) return true;
    if (/^(false|0|no|off)$/i.test(raw)) return false;
  }
  if (kinds.has('array') || kinds.has('object')) {
    const trimmed = raw.trim();
    if (trimmed.startsWith('[') || trimmed.startsWith('{')) {
      try {
        return JSON.parse(trimmed) as unknown;
      } catch {
        throw new ConfigurationError(`Setting ${name}: PULP_${name} is not valid JSON`);
      }
    }
    if (kinds.has('array'))
      return trimmed
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
  }
  if (kinds.has('literal-false')) return /^(true|1|yes|on)$/i.test(raw) ? true : false;
  return raw;
}

/**
 * `PULP_` variables that are not settings: the settings file, debug output, the benchmarks' build folder,
 * (below) pulp-ts's own process plumbing, and pulp-cli's global options (click reads `--base-url` from
 * `PULP_BASE_URL`), which a shell that runs both the server and the client has set for the client.
 */
const NON_SETTING_VARIABLES = new Set([
  'PULP_SETTINGS',
  'PULP_DEBUG',
  'PULP_BENCH_DIST',
  ...[
    'BASE_URL',
    'API_ROOT',
    'DOMAIN',
    'HEADER',
    'USERNAME',
    'PASSWORD',
    'CLIENT_ID',
    'CLIENT_SECRET',
    'CERT',
    'KEY',
    'VERIFY_SSL',
    'FORMAT',
    'DRY_RUN',
    'BACKGROUND',
    'TIMEOUT',
    'VERBOSE',
    'REFRESH_API',
    'CONFIG',
    'PROFILE',
    'CHUNK_SIZE',
  ].map((option) => `PULP_${option}`),
]);
const INTERNAL_VARIABLE_PREFIX = 'PULP_TS_';

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(
        (prev[j] ?? 0) + 1,
        (row[j - 1] ?? 0) + 1,
        (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    prev = row;
  }
  return prev[b.length] ?? 0;
}

/** The one known name a typo is closest to (at most two edits away), as a hint. */
function didYouMean(name: string, known: string[]): string {
  let best: string | null = null;
  let bestDistance = 3;
  for (const k of known) {
    const d = editDistance(name, k);
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return best ? ` (did you mean ${best}?)` : '';
}

/**
 * `host:port`, `[ipv6]:port` or a bare port, with the port in 0..65535 (0: any free port) and the host an IP
 * address or a DNS name. Checked at start so that a bad value stops start-up instead of failing every listen.
 */
function bindProblem(name: string, value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const m = /^(?:(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?):)?(\d{1,5})$/.exec(value);
  if (m && Number(m[2]) <= 65535) return null;
  return `${name}: must be HOST:PORT (e.g. 0.0.0.0:24817 or [::1]:24817) with a port up to 65535, got ${JSON.stringify(value)}`;
}

function schemaKinds(schema: TSchema): Set<string> {
  const out = new Set<string>();
  const visit = (s: TSchema): void => {
    if (Array.isArray(s.anyOf)) (s.anyOf as TSchema[]).forEach(visit);
    else if (s.const === false) out.add('literal-false');
    else if (typeof s.type === 'string') out.add(s.type);
  };
  visit(schema);
  return out;
}

/** Reads, merges and validates settings; throws one ConfigurationError listing every bad key. */
export function loadSettings(options: LoadSettingsOptions = {}): Settings {
  const env = options.env ?? {};
  const cwd = options.cwd ?? '.';
  const merged: Record<string, unknown> = {};
  const sourceOf: Record<string, string> = {};
  const schema = fullSchema();
  const props = schema.properties as Record<string, TSchema>;
  const problems: string[] = [];

  const file = options.file ?? env.PULP_SETTINGS;
  if (file) {
    let parsed: unknown;
    try {
      parsed = parseYaml(readFileSync(path.resolve(cwd, file), 'utf8'));
    } catch (err) {
      throw new ConfigurationError(`Cannot read settings file ${file}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    if (parsed !== null && parsed !== undefined) {
      if (typeof parsed !== 'object' || Array.isArray(parsed)) {
        throw new ConfigurationError(`Settings file ${file} must hold a mapping of setting names`);
      }
      for (const [key, value] of Object.entries(parsed)) {
        if (!(key in props)) {
          if (options.ignoreUnknownKeys) continue;
          problems.push(`${key} (from ${file}): unknown setting${didYouMean(key, Object.keys(props))}`);
          continue;
        }
        merged[key] = value;
        sourceOf[key] = file;
      }
    }
  }
  for (const [name, schema] of Object.entries(props)) {
    // PULP_HOME is its own variable name (not PULP_PULP_HOME).
    const variable = name.startsWith('PULP_') ? name : `PULP_${name}`;
    const raw = env[variable];
    if (raw === undefined) continue;
    try {
      merged[name] = parseEnvValue(name, raw, schema);
      sourceOf[name] = variable;
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  // A misspelt variable (PULP_WORKER_TLL) would otherwise be ignored silently; it is refused as the file's are.
  const variables = new Map(Object.keys(props).map((n) => [n.startsWith('PULP_') ? n : `PULP_${n}`, n]));
  for (const variable of options.ignoreUnknownKeys ? [] : Object.keys(env)) {
    if (!variable.startsWith('PULP_') || variables.has(variable) || NON_SETTING_VARIABLES.has(variable)) continue;
    if (variable.startsWith(INTERNAL_VARIABLE_PREFIX) || env[variable] === undefined) continue;
    const hint = didYouMean(variable, [...variables.keys()]);
    problems.push(`${variable.slice('PULP_'.length)} (from ${variable}): unknown setting${hint}`);
  }
  for (const [key, value] of Object.entries(options.overrides ?? {})) {
    merged[key] = value;
    sourceOf[key] = 'override';
  }

  const withDefaults = Value.Default(schema, merged) as Record<string, unknown>;
  for (const error of Value.Errors(schema, withDefaults)) {
    const key = error.path.split('/')[1] ?? '';
    const where = sourceOf[key] ? ` (from ${sourceOf[key]})` : '';
    problems.push(`${key}${where}: ${error.message}, got ${JSON.stringify(error.value)}`);
  }
  for (const key of ['API_BIND', 'CONTENT_BIND']) {
    const problem = bindProblem(key, withDefaults[key]);
    if (problem) problems.push(problem.replace(':', sourceOf[key] ? ` (from ${sourceOf[key]}):` : ':'));
  }
  const checksums = withDefaults.ALLOWED_CONTENT_CHECKSUMS;
  if (Array.isArray(checksums) && !checksums.includes('sha256')) {
    problems.push('ALLOWED_CONTENT_CHECKSUMS: must include sha256');
  }
  if (problems.length > 0) {
    const unique = [...new Set(problems)];
    throw new ConfigurationError(`Invalid settings:\n  - ${unique.join('\n  - ')}`);
  }
  const raw = withDefaults as RawSettings;
  const home = path.resolve(cwd, raw.PULP_HOME);
  const settings: Settings = {
    ...raw,
    PULP_HOME: home,
    MEDIA_ROOT: path.resolve(cwd, raw.MEDIA_ROOT ?? path.join(home, 'media')),
  };
  return Object.freeze(settings);
}

/** The database URL the settings name, or null when the embedded PostgreSQL must be used. */
export function configuredDatabaseUrl(settings: Settings): string | null {
  if (settings.DATABASE_URL) return settings.DATABASE_URL;
  const db = settings.DATABASES?.default;
  if (!db) return null;
  const auth = db.USER
    ? `${encodeURIComponent(db.USER)}${db.PASSWORD ? `:${encodeURIComponent(db.PASSWORD)}` : ''}@`
    : '';
  return `postgres://${auth}${db.HOST ?? '127.0.0.1'}:${db.PORT ?? 5432}/${encodeURIComponent(db.NAME)}`;
}

export function parseBind(bind: string): { host: string; port: number } {
  const m = /^(.*):(\d+)$/.exec(bind);
  if (!m) return { host: '0.0.0.0', port: Number(bind) };
  return { host: (m[1] ?? '0.0.0.0').replace(/^\[|\]$/g, '') || '0.0.0.0', port: Number(m[2]) };
}

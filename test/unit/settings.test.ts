import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { ConfigurationError } from '../../src/core/errors.js';
import { configuredDatabaseUrl, loadSettings, parseBind } from '../../src/core/settings.js';

async function yamlFile(text: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'pulp-ts-settings-'));
  const file = path.join(dir, 'settings.yaml');
  await writeFile(file, text);
  return file;
}

function problemOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigurationError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigurationError');
}

describe('settings', () => {
  it('uses Pulp defaults when nothing is configured', () => {
    const s = loadSettings({ env: {}, cwd: '/srv/pulp' });
    expect(s.API_ROOT).toBe('/pulp/');
    expect(s.CONTENT_ORIGIN).toBeNull();
    expect(s.CONTENT_PATH_PREFIX).toBe('/pulp/content/');
    expect(s.WORKER_TTL).toBe(30);
    expect(s.ALLOWED_CONTENT_CHECKSUMS).toEqual(['sha224', 'sha256', 'sha384', 'sha512']);
    expect(s.PULP_HOME).toBe('/srv/pulp/.pulp');
    expect(s.MEDIA_ROOT).toBe('/srv/pulp/.pulp/media');
    expect(s.API_PROCESSES).toBe(1);
    expect(s.CONTENT_PROCESSES).toBe(1);
    expect(s.WORKERS).toBe(2);
    expect(s.API_BIND).toBe('0.0.0.0:24817');
    expect(s.CONTENT_BIND).toBe('0.0.0.0:24816');
    expect(configuredDatabaseUrl(s)).toBeNull();
    expect(Object.isFrozen(s)).toBe(true);
  });

  it('reads settings.yaml named by PULP_SETTINGS and lets PULP_ variables win over it', async () => {
    const file = await yamlFile(
      'WORKER_TTL: 45\nCONTENT_ORIGIN: https://pulp.example.com\nALLOWED_CONTENT_CHECKSUMS: [sha256, sha512]\n',
    );
    const s = loadSettings({ env: { PULP_SETTINGS: file, PULP_WORKER_TTL: '60', PULP_WORKERS: '4' } });
    expect(s.WORKER_TTL).toBe(60);
    expect(s.WORKERS).toBe(4);
    expect(s.CONTENT_ORIGIN).toBe('https://pulp.example.com');
    expect(s.ALLOWED_CONTENT_CHECKSUMS).toEqual(['sha256', 'sha512']);
  });

  it('parses list and JSON environment values', () => {
    const s = loadSettings({
      env: {
        PULP_ALLOWED_CONTENT_CHECKSUMS: 'sha256,sha512',
        PULP_DATABASES: '{"default":{"NAME":"pulp","HOST":"db","PORT":5433,"USER":"u","PASSWORD":"p w"}}',
      },
    });
    expect(s.ALLOWED_CONTENT_CHECKSUMS).toEqual(['sha256', 'sha512']);
    expect(configuredDatabaseUrl(s)).toBe('postgres://u:p%20w@db:5433/pulp');
  });

  it('takes PULP_HOME from its own variable and derives MEDIA_ROOT from it', () => {
    const s = loadSettings({ env: { PULP_HOME: '/var/lib/pulp-ts' } });
    expect(s.PULP_HOME).toBe('/var/lib/pulp-ts');
    expect(s.MEDIA_ROOT).toBe('/var/lib/pulp-ts/media');
  });

  it('prefers PULP_DATABASE_URL over DATABASES', () => {
    const s = loadSettings({
      env: { PULP_DATABASE_URL: 'postgres://a@h/db', PULP_DATABASES: '{"default":{"NAME":"x"}}' },
    });
    expect(configuredDatabaseUrl(s)).toBe('postgres://a@h/db');
  });

  it('reports every invalid setting in one message naming each key and where its value came from', async () => {
    const file = await yamlFile('API_ROOT: pulp\nNO_SUCH_SETTING: 1\n');
    const message = problemOf(() =>
      loadSettings({ env: { PULP_SETTINGS: file, PULP_WORKER_TTL: 'soon', PULP_CONTENT_ORIGIN: 'pulp.example.com' } }),
    );
    expect(message).toMatch(/^Invalid settings:/);
    expect(message).toContain('WORKER_TTL (from PULP_WORKER_TTL)');
    expect(message).toContain('CONTENT_ORIGIN (from PULP_CONTENT_ORIGIN)');
    expect(message).toContain(`API_ROOT (from ${file})`);
    expect(message).toContain('NO_SUCH_SETTING');
    expect(message).not.toContain('    at ');
  });

  it('refuses checksum lists without sha256 and unknown checksum names', () => {
    expect(problemOf(() => loadSettings({ env: { PULP_ALLOWED_CONTENT_CHECKSUMS: 'sha512' } }))).toContain(
      'ALLOWED_CONTENT_CHECKSUMS: must include sha256',
    );
    expect(problemOf(() => loadSettings({ env: { PULP_ALLOWED_CONTENT_CHECKSUMS: 'sha256,crc32' } }))).toContain(
      'ALLOWED_CONTENT_CHECKSUMS',
    );
  });

  it('names an unreadable settings file', () => {
    expect(problemOf(() => loadSettings({ env: { PULP_SETTINGS: '/nonexistent/settings.yaml' } }))).toContain(
      '/nonexistent/settings.yaml',
    );
  });

  it('refuses process counts below one', () => {
    expect(problemOf(() => loadSettings({ env: { PULP_API_PROCESSES: '0' } }))).toContain('API_PROCESSES');
  });

  it('refuses an unknown PULP_ variable with the message an unknown key of the file gets, naming the likely one', async () => {
    const message = problemOf(() => loadSettings({ env: { PULP_WORKER_TLL: '60', PULP_NO_SUCH_THING: 'x' } }));
    expect(message).toContain('WORKER_TLL (from PULP_WORKER_TLL): unknown setting (did you mean PULP_WORKER_TTL?)');
    expect(message).toContain('NO_SUCH_THING (from PULP_NO_SUCH_THING): unknown setting');
    const file = await yamlFile('WORKER_TLL: 60\n');
    expect(problemOf(() => loadSettings({ env: { PULP_SETTINGS: file } }))).toContain(
      `WORKER_TLL (from ${file}): unknown setting (did you mean WORKER_TTL?)`,
    );
    // The settings file's path, debug output and pulp-ts's own process plumbing are not settings.
    const s = loadSettings({ env: { PULP_DEBUG: '1', PULP_TS_SUPERVISOR_PID: '1', HOME: '/root' } });
    expect(s.WORKER_TTL).toBe(30);
  });

  it("leaves pulp-cli's own PULP_ variables (its global options) to pulp-cli", () => {
    const cli = { PULP_BASE_URL: 'http://localhost:24817', PULP_USERNAME: 'admin', PULP_PASSWORD: 'x' };
    const s = loadSettings({ env: { ...cli, PULP_VERIFY_SSL: 'false', PULP_FORMAT: 'json', PULP_TIMEOUT: '0' } });
    expect(s.WORKER_TTL).toBe(30);
  });

  it('refuses bind addresses that are not HOST:PORT', () => {
    for (const bad of ['nonsense', 'localhost:99999', ':80', 'host:', '1.2.3.4:80:81', 'a b:80']) {
      expect(
        problemOf(() => loadSettings({ env: { PULP_API_BIND: bad } })),
        bad,
      ).toContain('API_BIND (from PULP_API_BIND): must be HOST:PORT');
    }
    expect(problemOf(() => loadSettings({ overrides: { CONTENT_BIND: 'x' } }))).toContain('CONTENT_BIND');
    for (const good of ['0.0.0.0:24817', '[::1]:8080', 'localhost:0', 'pulp.example.com:443', '9000']) {
      expect(loadSettings({ env: { PULP_API_BIND: good } }).API_BIND).toBe(good);
    }
  });

  it('splits bind addresses into host and port', () => {
    expect(parseBind('0.0.0.0:24817')).toEqual({ host: '0.0.0.0', port: 24817 });
    expect(parseBind('[::1]:8080')).toEqual({ host: '::1', port: 8080 });
    expect(parseBind('9000')).toEqual({ host: '0.0.0.0', port: 9000 });
  });
});

/* eslint-disable @typescript-eslint/no-explicit-any -- JSON bodies */
// The web UI and the browsable API in a real browser (Debian's Chromium through playwright-core) against real
// API, worker and content processes: sign in, remote and repository, sync with progress, version diff (paged by
// the server), rollback, a waiting task naming its blocker, publish/distribute/browse, a plugin's pages (python
// packages after an upload, PyPI index URLs), and forms of the browsable API. Screenshots of the main
// pages go to .screenshots/ (git-ignored) for review.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { hashPassword } from '../../src/core/passwords.js';
import { createTestDatabase, type TestDatabase, waitFor } from '../helpers/db.js';
import { buildWheel } from '../helpers/python-packages.js';
import { type ServerProcess, startApiProcess, startContentProcesses } from '../helpers/processes.js';
import { startWorker, stopWorker, type WorkerProcess } from '../helpers/workers.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ROOT = path.resolve(import.meta.dirname, '../..');
const SHOTS = path.join(ROOT, '.screenshots');
const PASSWORD = 'browser-password';
const ADMIN = `Basic ${Buffer.from(`admin:${PASSWORD}`).toString('base64')}`;

let database: TestDatabase;
let home: string;
let userDir: string;
let api: ServerProcess;
let content: ServerProcess;
let workers: WorkerProcess[] = [];
let upstream: Server;
let upstreamUrl: string;
let context: BrowserContext;
let page: Page;
let base: string;
const pageErrors: string[] = [];

/** What the upstream serves: a PULP_MANIFEST and its files; `held/` paths wait until released. */
let files = new Map<string, Buffer>();
const held: Array<() => void> = [];
function setFiles(names: string[]) {
  files = new Map(names.map((n) => [n, Buffer.from(`content of ${n}\n`.repeat(50))]));
}
function manifest(): string {
  return [...files].map(([n, b]) => `${n},${createHash('sha256').update(b).digest('hex')},${b.length}\n`).join('');
}
function answer(res: ServerResponse, p: string) {
  if (p === 'PULP_MANIFEST') return void res.writeHead(200).end(manifest());
  const f = files.get(p);
  if (!f) return void res.writeHead(404).end();
  res.writeHead(200, { 'content-length': f.length }).end(f);
}

async function call(method: string, url: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base}${url}`, {
    method,
    headers: { authorization: ADMIN, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

async function shot(name: string) {
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

/** Form controls without an accessible name (label, aria-label or aria-labelledby): should be none. */
async function unlabeledControls(): Promise<string[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
      .filter((el) => {
        const e = el as HTMLInputElement;
        return (e.labels?.length ?? 0) === 0 && !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby');
      })
      .map((el) => el.outerHTML.slice(0, 80)),
  );
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM} (apt-get install chromium)`);
  // The bundle as `npm install` builds it.
  execFileSync(process.execPath, [path.join(ROOT, 'scripts/build-ui.js')], { stdio: 'ignore' });
  await mkdir(SHOTS, { recursive: true });
  database = await createTestDatabase();
  home = await mkdtemp(path.join(tmpdir(), 'pulp-ts-web-ui-'));
  userDir = await mkdtemp(path.join(tmpdir(), 'pulp-ts-chromium-'));
  await database.db
    .insertInto('auth_user')
    .values({ username: 'admin', password: await hashPassword(PASSWORD, 1000), is_superuser: true, is_staff: true })
    .execute();
  setFiles(['a.txt', 'b.txt', 'c.txt']);
  upstream = createServer((req, res) => {
    const p = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname.slice(1));
    if (p.startsWith('held/')) held.push(() => answer(res, p.slice('held/'.length)));
    else answer(res, p);
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/`;
  content = await startContentProcesses(database.db, database.url, { home, processes: 1 });
  const env = { PULP_CONTENT_ORIGIN: `http://127.0.0.1:${content.port}` };
  [api, ...workers] = await Promise.all([
    startApiProcess(database.url, { home, env }),
    ...['ui-w1', 'ui-w2'].map((name) =>
      startWorker(database.db, database.url, { name, env: { PULP_HOME: home, ...env } }),
    ),
  ]);
  base = `http://127.0.0.1:${api.port}`;
  context = await chromium.launchPersistentContext(userDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1280, height: 900 },
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(30_000);
  page.on('pageerror', (e) => pageErrors.push(e.message));
}, 300_000);

afterAll(async () => {
  for (const release of held.splice(0)) release();
  await context?.close();
  upstream?.closeAllConnections();
  await new Promise((r) => upstream?.close(r));
  await Promise.all([api?.stop(), content?.stop(), ...workers.map((w) => stopWorker(w))]);
  await database?.drop();
  await rm(home, { recursive: true, force: true });
  await rm(userDir, { recursive: true, force: true });
}, 60_000);

describe('the web UI in Chromium', { timeout: 180_000 }, () => {
  let repoHref: string;

  it('refuses a wrong password, then signs in and shows the dashboard', async () => {
    await page.goto(`${base}/ui/`);
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill('wrong');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('Wrong username or password');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('username').waitFor();
    expect(await page.getByTestId('username').textContent()).toBe('admin');
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    await expect.poll(async () => page.getByTestId('workers-online').textContent()).toMatch(/^2\s*workers online/);
    expect(await unlabeledControls()).toEqual([]);
    await shot('dashboard');
  });

  it('creates a remote and a repository through the forms', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Remotes' }).click();
    await page.getByRole('navigation', { name: 'Remotes types' }).getByRole('link', { name: 'File' }).click();
    await page.getByRole('button', { name: 'Create' }).click();
    await page.locator('#create-name').fill('upstream');
    await page.locator('#create-url').fill(`${upstreamUrl}PULP_MANIFEST`);
    await page.locator('form.schema-form button[type=submit]').click();
    await page.getByRole('heading', { name: 'upstream' }).waitFor();
    expect(await unlabeledControls()).toEqual([]);

    await page.goto(`${base}/ui/browse/repositories/file/file/`);
    await page.getByRole('button', { name: 'Create' }).click();
    await page.locator('#create-name').fill('web-repo');
    await page.locator('#create-description').fill('made in a browser');
    await page.locator('#create-pulp_labels').fill('env=test');
    await page.locator('form.schema-form button[type=submit]').click();
    await page.getByRole('heading', { name: 'web-repo' }).waitFor();
    const listed = await call('GET', '/pulp/api/v3/repositories/file/file/?name=web-repo');
    expect(listed.body.count).toBe(1);
    expect(listed.body.results[0].pulp_labels).toEqual({ env: 'test' });
    repoHref = listed.body.results[0].pulp_href;
    expect(page.url()).toContain(`/ui/browse/${repoHref.slice('/pulp/api/v3/'.length)}`);
  });

  it('syncs from the remote and shows the progress reaching 100%', async () => {
    const sync = page.locator('section', { has: page.locator('#act-sync-h') });
    await sync.getByRole('button', { name: 'Sync' }).first().click();
    await page.locator('#act-sync-remote').selectOption({ label: 'upstream' });
    await sync.locator('button[type=submit]').click();
    await expect.poll(() => sync.locator('.task-watch .state').textContent(), { timeout: 60_000 }).toBe('completed');
    const counts = await sync.locator('.task-watch .progress-count').allTextContents();
    expect(counts.some((c) => c.includes('3 / 3 (100%)'))).toBe(true);
    await page.locator('td[data-label=number]', { hasText: /^1$/ }).waitFor();
    await shot('repository-synced');
  });

  it('shows what changed between two versions', async () => {
    setFiles(['a.txt', 'c.txt', 'd.txt', 'e.txt']);
    const sync = page.locator('section', { has: page.locator('#act-sync-h') });
    await page.locator('#act-sync-mirror').selectOption('true');
    await sync.locator('button[type=submit]').click();
    await page.locator('td[data-label=number]', { hasText: /^2$/ }).waitFor({ timeout: 60_000 });
    await page.locator('#diff-from').selectOption({ label: 'version 1' });
    await page.locator('#diff-to').selectOption({ label: 'version 2' });
    await page.getByRole('button', { name: 'Compare' }).click();
    await page.locator('.diff-added h3', { hasText: 'Added (2)' }).waitFor();
    // Each unit's name comes from its own endpoint once the page of hrefs is known.
    const added = page.getByRole('list', { name: 'Added content' });
    await expect.poll(() => added.textContent()).toMatch(/(d\.txt.*e\.txt)|(e\.txt.*d\.txt)/s);
    const removed = page.getByRole('list', { name: 'Removed content' });
    await expect.poll(() => removed.textContent()).toContain('b.txt');
    expect(await removed.textContent()).not.toContain('a.txt');
    expect(await page.locator('.diff-removed h3').textContent()).toBe('Removed (1)');
    await page.locator('.diff').scrollIntoViewIfNeeded();
    await shot('version-diff');
  });

  it('pages through a diff larger than one page, computed by the server', async () => {
    const many = Array.from({ length: 24 }, (_, i) => `many-${String(i).padStart(2, '0')}.txt`);
    setFiles(['a.txt', 'c.txt', 'd.txt', 'e.txt', ...many]);
    const sync = page.locator('section', { has: page.locator('#act-sync-h') });
    await sync.locator('button[type=submit]').click();
    await page.locator('td[data-label=number]', { hasText: /^3$/ }).waitFor({ timeout: 60_000 });
    const diffs: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/ui/api/diff/')) diffs.push(r.url());
    });
    await page.locator('#diff-from').selectOption({ label: 'version 2' });
    await page.locator('#diff-to').selectOption({ label: 'version 3' });
    await page.getByRole('button', { name: 'Compare' }).click();
    await page.locator('.diff-added h3', { hasText: 'Added (24)' }).waitFor();
    await page.locator('.diff-removed h3', { hasText: 'Removed (0)' }).waitFor();
    const added = page.getByRole('list', { name: 'Added content' });
    expect(await added.locator('li').count()).toBe(20);
    expect(await added.locator('li').first().textContent()).toContain('many-00.txt');
    await page.locator('.diff-added').getByRole('button', { name: /next/i }).click();
    await expect.poll(() => added.locator('li').count()).toBe(4);
    expect(await added.textContent()).toContain('many-23.txt');
    // One page per request: the browser never fetched the versions' content lists.
    expect(diffs.some((u) => u.includes('offset=20'))).toBe(true);
    expect(diffs.every((u) => new URL(u).searchParams.get('limit') === '20')).toBe(true);
    await shot('version-diff-paged');
  });

  it('publishes, distributes, and browses the distribution through the content app', async () => {
    await page.getByRole('button', { name: 'Publish 2' }).click();
    await page.getByText('Distributes publication').waitFor({ timeout: 60_000 });
    await page.locator('#distribute-name').fill('web-dist');
    await page.locator('#distribute-base_path').fill('web/dist');
    await page.locator('section', { hasText: 'Distribute' }).locator('button[type=submit]').click();
    await waitFor(
      async () => (await call('GET', '/pulp/api/v3/distributions/file/file/?name=web-dist')).body.count === 1,
      {
        what: 'the distribution',
      },
    );
    await page.goto(`${base}/ui/browse/distributions/file/file/`);
    await page.getByRole('link', { name: 'web-dist' }).click();
    const browse = page.getByRole('link', { name: 'Browse content' });
    const href = await browse.getAttribute('href');
    expect(href).toBe(`http://127.0.0.1:${content.port}/pulp/content/web/dist/`);
    await shot('distribution');
    await browse.click();
    await expect.poll(() => page.content()).toContain('d.txt');
    const listing = await page.content();
    expect(listing).toContain('e.txt');
    expect(listing).not.toContain('b.txt');
  });

  it('rolls back to an earlier version, as a new version with its content', async () => {
    await page.goto(`${base}/ui/browse/${repoHref.slice('/pulp/api/v3/'.length)}`);
    await page.getByRole('button', { name: 'Roll back to 1' }).click();
    await page.locator('td[data-label=number]', { hasText: /^4$/ }).waitFor({ timeout: 60_000 });
    const names = async (v: number) =>
      (await call('GET', `/pulp/api/v3/content/file/files/?repository_version=${repoHref}versions/${v}/`)).body.results
        .map((c: any) => c.relative_path)
        .sort();
    expect(await names(4)).toEqual(['a.txt', 'b.txt', 'c.txt']);
    expect((await call('GET', repoHref)).body.latest_version_href).toBe(`${repoHref}versions/4/`);
    // The rollback's row: version 4 present is what version 1 held.
    const row = page.locator('tr', { has: page.locator('td[data-label=number]', { hasText: /^4$/ }) });
    expect(await row.locator('td[data-label=present]').textContent()).toBe('file.file: 3');
    await shot('rolled-back');
  });

  it('names the running task that a waiting task waits for, and follows it to completion', async () => {
    const slow = await call('POST', '/pulp/api/v3/remotes/file/file/', {
      name: 'slow',
      url: `${upstreamUrl}held/PULP_MANIFEST`,
    });
    expect(slow.status).toBe(201);
    const running = await call('POST', `${repoHref}sync/`, { remote: slow.body.pulp_href });
    expect(running.status).toBe(202);
    await waitFor(async () => (await call('GET', running.body.task)).body.state === 'running' && held.length > 0, {
      what: 'the slow sync to run',
    });
    const waiting = await call('POST', `${repoHref}modify/`, {});
    expect(waiting.status).toBe(202);
    // Two workers are online: the second task waits only because the first holds the repository.
    expect((await call('GET', waiting.body.task)).body.state).toBe('waiting');
    await page.goto(`${base}/ui/tasks/${waiting.body.task.split('/').at(-2)}/`);
    const section = page.locator('section', { has: page.getByRole('heading', { name: 'Waiting for' }) });
    const blocker = section.locator('.blockers li');
    await blocker.first().waitFor();
    expect(await blocker.count()).toBe(1);
    const text = await blocker.first().textContent();
    expect(text).toContain('pulp_file.app.tasks.synchronizing.synchronize');
    expect(text).toContain('(running)');
    expect(text).toContain(`prn:file.filerepository:${repoHref.split('/').at(-2)}`);
    expect(await blocker.first().getByRole('link').getAttribute('href')).toBe(
      `/ui/tasks/${running.body.task.split('/').at(-2)}/`,
    );
    await shot('task-waiting');
    // The blocker's own page follows it live: running while the upstream holds the manifest, then its progress
    // reaches 100% and it completes, with no reload.
    await blocker.first().getByRole('link').click();
    await expect.poll(() => page.getByTestId('task-state').textContent()).toBe('running');
    const before = await page.locator('.progress-count').allTextContents();
    expect(before.some((c) => c.includes('(100%)'))).toBe(false);
    for (const release of held.splice(0)) release();
    await expect.poll(() => page.getByTestId('task-state').textContent(), { timeout: 60_000 }).toBe('completed');
    expect((await page.locator('.progress-count').allTextContents()).some((c) => c.includes('(100%)'))).toBe(true);
    await page.goBack();
    await expect.poll(() => page.getByTestId('task-state').textContent(), { timeout: 60_000 }).toBe('completed');
    await page.goto(`${base}/ui/tasks/`);
    await page.getByRole('link', { name: 'pulp_file.app.tasks.synchronizing.synchronize' }).first().waitFor();
    expect(await unlabeledControls()).toEqual([]);
    await shot('tasks');
  });

  it("lists python packages on the python plugin's page after an upload, with the PyPI index URL", async () => {
    const wheel = buildWheel({ name: 'web-ui-pkg', version: '1.2.3' });
    const form = new FormData();
    form.set('relative_path', wheel.filename);
    form.set('file', new Blob([new Uint8Array(wheel.bytes)]), wheel.filename);
    const res = await fetch(`${base}/pulp/api/v3/content/python/packages/`, {
      method: 'POST',
      headers: { authorization: ADMIN },
      body: form,
    });
    expect(res.status).toBe(202);
    const task = ((await res.json()) as { task: string }).task;
    await waitFor(async () => (await call('GET', task)).body.state === 'completed', { what: 'the upload' });
    const pypi = await call('POST', '/pulp/api/v3/distributions/python/pypi/', {
      name: 'web-pypi',
      base_path: 'web-pypi',
    });
    expect(pypi.status).toBe(202);
    await waitFor(async () => (await call('GET', pypi.body.task)).body.state === 'completed', { what: 'the index' });

    await page.goto(`${base}/ui/`);
    const nav = page.getByRole('navigation', { name: 'Main' });
    await nav.getByRole('link', { name: 'Python packages' }).click();
    await page.getByRole('heading', { name: 'Python packages' }).waitFor();
    const row = page.locator('tr', { has: page.getByRole('link', { name: 'web-ui-pkg' }) });
    await row.waitFor();
    expect(await row.locator('td[data-label=version]').textContent()).toBe('1.2.3');
    expect(await row.locator('td[data-label=filename]').textContent()).toBe(wheel.filename);
    expect(await row.locator('td[data-label=sha256]').textContent()).toContain(wheel.sha256);
    expect(page.url()).toBe(`${base}/ui/python/packages/`);
    await shot('python-packages');
    await row.getByRole('link', { name: 'web-ui-pkg' }).click();
    const fields = page.getByTestId('plugin-fields');
    await fields.waitFor();
    expect(await fields.textContent()).toContain(wheel.sha256);
    expect(page.url()).toMatch(/\/ui\/python\/packages\/[0-9a-f-]{36}\/$/);

    await nav.getByRole('link', { name: 'PyPI indexes' }).click();
    const index = page.locator('tr', { has: page.getByRole('link', { name: 'web-pypi' }) });
    await index.waitFor();
    expect(await index.locator('code').textContent()).toBe(`http://127.0.0.1:${content.port}/pypi/web-pypi/simple/`);
    await nav.getByRole('link', { name: 'Container registries' }).click();
    await page.getByRole('heading', { name: 'Container registries' }).waitFor();
    expect(await unlabeledControls()).toEqual([]);
    await shot('pypi-indexes');
  });

  it('is usable on a phone: one column and a menu button', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${base}/ui/browse/repositories/file/file/`);
    await page.getByRole('link', { name: 'web-repo' }).waitFor();
    const nav = page.getByRole('navigation', { name: 'Main' });
    expect(await nav.isVisible()).toBe(false);
    await page.getByRole('button', { name: 'Menu' }).click();
    expect(await nav.isVisible()).toBe(true);
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(width).toBeLessThanOrEqual(390);
    await shot('phone-repositories');
    await page.setViewportSize({ width: 1280, height: 900 });
  });
});

describe('the browsable API in Chromium', { timeout: 120_000 }, () => {
  it('opens endpoints as pages with links, and submits a create form with the session', async () => {
    await page.goto(`${base}/pulp/api/v3/`);
    expect(await page.locator('.topbar').textContent()).toContain('Signed in as admin');
    await page.getByRole('link', { name: `${base}/pulp/api/v3/repositories/file/file/` }).click();
    await page.getByRole('heading', { name: 'Filters' }).waitFor();
    expect(await page.locator('.methods').textContent()).toContain('POST');
    await shot('browsable-list');

    const form = page.locator('form[data-operation="repositories_file_file_create"]');
    await form.locator('input[name=name]').fill('from-the-browsable-api');
    await form.locator('textarea[name=pulp_labels]').fill('{"made":"by-form"}');
    await form.getByRole('button', { name: 'POST' }).click();
    await page.getByText('HTTP 201 Created').waitFor();
    const made = await call('GET', '/pulp/api/v3/repositories/file/file/?name=from-the-browsable-api');
    expect(made.body.count).toBe(1);
    expect(made.body.results[0].pulp_labels).toEqual({ made: 'by-form' });

    // The created object's href is a link: its page has the sync and modify actions.
    await page.locator('.response-body a', { hasText: made.body.results[0].pulp_href }).first().click();
    await page.locator(`form[data-action="${made.body.results[0].pulp_href}sync/"]`).waitFor();
    await shot('browsable-detail');

    await page.goto(`${base}/pulp/api/v3/tasks/?state=completed`);
    await page.locator('.pager').waitFor();
    expect(await page.locator('.response-body').textContent()).toContain('"state": "completed"');
  });

  it('raised no script error on any page', () => {
    expect(pageErrors).toEqual([]);
  });
});

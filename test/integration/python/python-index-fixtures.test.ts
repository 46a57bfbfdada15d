import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { DEFAULT_FILE_HOSTS } from '../../../src/plugins/python/link-policy.js';
import { indexRoot, listProjects, ProjectFetchError, readProject } from '../../../src/plugins/python/upstream-index.js';
import { fetchFetcher } from '../../helpers/python-fetcher.js';
import { PythonIndexServer } from '../../helpers/python-index-server.js';
import { buildSdist, buildWheel } from '../../helpers/python-packages.js';
import { Venv } from '../../helpers/python-clients.js';

const policy = { fileHosts: DEFAULT_FILE_HOSTS };
const alpha = buildWheel({
  name: 'pulpts-alpha',
  version: '1.0',
  requiresDist: ['pulpts-beta>=1.0'],
  requiresPython: '>=3',
});
const beta = buildSdist({ name: 'pulpts-beta', version: '1.0' });
const betaOld = buildWheel({ name: 'pulpts-beta', version: '0.9' });
const servers: PythonIndexServer[] = [];

async function serve(mode: 'pypi' | 'static') {
  const server = await new PythonIndexServer([alpha, beta, betaOld], mode).start();
  servers.push(server);
  return server;
}

afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
});

describe('the local index fixture and the real pip', () => {
  let venv: Venv;
  let dir: string;
  beforeAll(async () => {
    venv = await Venv.create();
    dir = await mkdtemp(path.join(tmpdir(), 'pulp-ts-pipdl-'));
  });
  afterAll(async () => {
    await venv.remove();
    await rm(dir, { recursive: true, force: true });
  });

  it('pip installs the wheel and builds its sdist dependency from the static index', async () => {
    const server = await serve('static');
    const install = await venv.pip(['install', '--index-url', `${server.baseUrl}simple/`, 'pulpts-alpha']);
    expect(install.stderr + install.stdout).toContain('Successfully installed pulpts-alpha-1.0 pulpts-beta-1.0');
    const imported = await venv.exec(
      'import pulpts_alpha, pulpts_beta; print(pulpts_alpha.VERSION, pulpts_beta.VERSION)',
    );
    expect(imported.stdout.trim()).toBe('1.0 1.0');
    const download = await venv.pip([
      'download',
      '--no-deps',
      '-d',
      dir,
      '--index-url',
      `${server.baseUrl}simple/`,
      'pulpts-beta<1',
    ]);
    expect(download.code, download.stderr).toBe(0);
    expect(await readdir(dir)).toContain(betaOld.filename);
  });
});

describe('reading an upstream index', () => {
  it('lists projects over XML-RPC, or from simple/ when the index has no XML-RPC', async () => {
    const pypi = await serve('pypi');
    expect([...(await listProjects(fetchFetcher, pypi.baseUrl)).keys()].sort()).toEqual([
      'pulpts-alpha',
      'pulpts-beta',
    ]);
    const stat = await serve('static');
    expect([...(await listProjects(fetchFetcher, stat.baseUrl)).keys()].sort()).toEqual([
      'pulpts-alpha',
      'pulpts-beta',
    ]);
    expect(stat.count('/simple/')).toBe(1);
  });

  it('reads a project from the JSON API with PEP 658 digests from the simple page', async () => {
    const pypi = await serve('pypi');
    const project = await readProject(fetchFetcher, pypi.baseUrl, 'PulpTS_Alpha', policy);
    expect(project.source).toBe('json');
    expect(project.info?.summary).toBe('The pulpts-alpha test package');
    const [file] = project.releases.get('1.0') ?? [];
    expect(file).toMatchObject({
      filename: alpha.filename,
      sha256: alpha.sha256,
      packagetype: 'bdist_wheel',
      requiresPython: '>=3',
    });
    expect(file?.metadataSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(file?.metadataUrl).toBe(`${pypi.fileUrl(alpha)}.metadata`);
    expect(pypi.count('/pypi/pulpts-alpha/json')).toBe(1);
  });

  it('reads a project from a static index, versions from filenames', async () => {
    const stat = await serve('static');
    const project = await readProject(fetchFetcher, indexRoot(`${stat.baseUrl}simple/`), 'pulpts-beta', policy);
    expect(project.source).toBe('simple');
    expect([...project.releases.keys()].sort()).toEqual(['0.9', '1.0']);
    expect(project.releases.get('1.0')?.[0]).toMatchObject({
      filename: beta.filename,
      sha256: beta.sha256,
      packagetype: 'sdist',
      pythonVersion: 'source',
    });
  });

  it('names a project that cannot be fetched, with the cause', async () => {
    const pypi = await serve('pypi');
    await expect(readProject(fetchFetcher, pypi.baseUrl, 'missing', policy)).rejects.toThrow(ProjectFetchError);
    await expect(readProject(fetchFetcher, pypi.baseUrl, 'missing', policy)).rejects.toThrow(
      /Could not fetch project missing: not found/,
    );
    pypi.failures.set('/simple/pulpts-beta/', 500);
    await expect(readProject(fetchFetcher, pypi.baseUrl, 'pulpts-beta', policy)).rejects.toThrow(
      /pulpts-beta: .*HTTP 500/,
    );
  });
});

// bench/sync: an immediate sync of 10,000 files (1 KiB-1 MiB) served by nginx on loopback vs the limit (curl at the
// same concurrency + sha256), plus on_demand rate, no-change re-sync, peak worker RSS (10k immediate, 100k on_demand)
// and the content list latency with 100,000 units. Usage: npm run bench -- sync [files=10000] [ondemand=100000]
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

import pg from 'pg';

import { createDatabase } from '../src/db/database.js';
import { startEmbeddedPostgres } from '../src/db/embedded.js';
import { migrate } from '../src/db/migrate.js';
import { createInitialVersion } from '../src/plugin-api/repository-versions.js';
import { buildRegistry } from '../src/plugin-api/registry.js';
import { builtinPlugins } from '../src/plugins/builtin.js';

const FILES = Number(process.argv[2] ?? 10_000);
const ONDEMAND = Number(process.argv[3] ?? 100_000);
const CONCURRENCY = 10;
const root = mkdtempSync(path.join(tmpdir(), 'pulp-bench-sync-'));
chmodSync(root, 0o755);
const www = path.join(root, 'www');
const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

function generate(): { bytes: number } {
  mkdirSync(path.join(www, 'repo'), { recursive: true });
  const pool = randomBytes(1024 * 1024);
  const lines: string[] = [];
  let bytes = 0;
  for (let i = 0; i < FILES; i++) {
    // Log-uniform-ish sizes between 1 KiB and 1 MiB (skewed small), about 1 GiB for 10,000 files.
    const size = Math.round(1024 * 1024 ** (Math.random() ** 1.15));
    const buf = Buffer.concat([randomBytes(16), pool.subarray(0, size - 16)]);
    const rel = `d${i % 100}/file-${i}.bin`;
    mkdirSync(path.join(www, 'repo', `d${i % 100}`), { recursive: true });
    writeFileSync(path.join(www, 'repo', rel), buf);
    lines.push(`${rel},${createHash('sha256').update(buf).digest('hex')},${size}`);
    bytes += size;
  }
  writeFileSync(path.join(www, 'repo', 'PULP_MANIFEST'), `${lines.join('\n')}\n`);
  mkdirSync(path.join(www, 'big'), { recursive: true });
  const big: string[] = [];
  for (let i = 0; i < ONDEMAND; i++)
    big.push(`p${i % 1000}/unit-${i}.bin,${createHash('sha256').update(`u${i}`).digest('hex')},${1000 + (i % 5000)}`);
  writeFileSync(path.join(www, 'big', 'PULP_MANIFEST'), `${big.join('\n')}\n`);
  return { bytes };
}

async function startNginx(): Promise<{ url: string; stop(): void }> {
  const port = await freePort();
  const conf = path.join(root, 'nginx.conf');
  writeFileSync(
    conf,
    `worker_processes 2; pid ${root}/nginx.pid; error_log ${root}/nginx-error.log; daemon on;
events { worker_connections 1024; }
http { access_log off; sendfile on; tcp_nopush on; keepalive_requests 100000; client_body_temp_path ${root}/nb; proxy_temp_path ${root}/np;
  fastcgi_temp_path ${root}/nf; uwsgi_temp_path ${root}/nu; scgi_temp_path ${root}/ns;
  server { listen 127.0.0.1:${port}; root ${www}; } }`,
  );
  execFileSync('nginx', ['-c', conf, '-p', root]);
  return { url: `http://127.0.0.1:${port}/`, stop: () => spawnSync('nginx', ['-c', conf, '-p', root, '-s', 'stop']) };
}

function curlLimit(baseUrl: string): number {
  const out = path.join(root, 'curl');
  mkdirSync(out);
  const manifest = execFileSync('cat', [path.join(www, 'repo', 'PULP_MANIFEST')], { encoding: 'utf8' })
    .trim()
    .split('\n');
  const config = manifest
    .map((l, i) => `url = "${baseUrl}repo/${l.split(',')[0]}"\noutput = "${out}/f${i}"`)
    .join('\n');
  writeFileSync(path.join(root, 'curl.cfg'), config);
  const t0 = performance.now();
  execFileSync('curl', [
    '-s',
    '--no-progress-meter',
    '--parallel',
    '--parallel-max',
    String(CONCURRENCY),
    '-K',
    path.join(root, 'curl.cfg'),
  ]);
  execFileSync('sh', ['-c', `ls ${out} | sed 's#^#${out}/#' | xargs -P 2 -n 500 sha256sum > /dev/null`]);
  return performance.now() - t0;
}

interface ChildResult {
  ms: number;
  peakRssMb: number;
  version: number | null;
}

function runSync(dbUrl: string, media: string, remote: string, repo: string): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const prof = process.env.PULP_BENCH_CPU_PROF
      ? ['--cpu-prof', `--cpu-prof-dir=${process.env.PULP_BENCH_CPU_PROF}`]
      : [];
    const child = spawn(
      process.execPath,
      [
        ...prof,
        '--import',
        'tsx',
        path.join(import.meta.dirname, 'sync-child.ts'),
        dbUrl,
        media,
        remote,
        repo,
        'false',
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) =>
      code === 0
        ? resolve(JSON.parse(out.trim().split('\n').pop()!) as ChildResult)
        : reject(new Error(`sync child exited ${code}`)),
    );
  });
}

async function main(): Promise<void> {
  console.log(`bench/sync: ${FILES} files, ${ONDEMAND} on_demand units, concurrency ${CONCURRENCY}, workdir ${root}`);
  const { bytes } = generate();
  console.log(`generated ${(bytes / 2 ** 30).toFixed(2)} GiB`);
  const nginx = await startNginx();
  const pgPort = await freePort();
  const embedded = await startEmbeddedPostgres({ dataDir: path.join(root, 'pg'), port: pgPort, database: 'postgres' });
  const admin = new pg.Client({ connectionString: embedded.url });
  await admin.connect();
  await admin.query('CREATE DATABASE bench');
  await admin.end();
  const u = new URL(embedded.url);
  u.pathname = '/bench';
  const { db } = createDatabase({ url: u.href, max: 4 });
  try {
    await migrate(
      db,
      buildRegistry(
        builtinPlugins,
        builtinPlugins.map((p) => p.name),
      ).migrations,
    );
    const media = path.join(root, 'media');
    const makeRepo = async (name: string) => {
      const r = await db
        .insertInto('repository')
        .values({
          pulp_type: 'file.file',
          name,
          description: null,
          retain_repo_versions: null,
          retain_checkpoints: null,
          remote_id: null,
          pulp_labels: '{}',
          detail: '{}',
        })
        .returning('pulp_id')
        .executeTakeFirstOrThrow();
      await createInitialVersion(db, r.pulp_id);
      return r.pulp_id;
    };
    const makeRemote = async (name: string, url: string, policy: string) =>
      (
        await db
          .insertInto('remote')
          .values({
            pulp_type: 'file.file',
            name,
            url,
            policy,
            download_concurrency: CONCURRENCY,
            pulp_labels: '{}',
            detail: '{}',
          } as never)
          .returning('pulp_id')
          .executeTakeFirstOrThrow()
      ).pulp_id;

    const limitMs = curlLimit(nginx.url);
    console.log(`(a) limit: curl --parallel-max ${CONCURRENCY} + sha256sum: ${(limitMs / 1000).toFixed(2)} s`);
    const remote = await makeRemote('immediate', `${nginx.url}repo/PULP_MANIFEST`, 'immediate');
    const repo = await makeRepo('immediate');
    const imm = await runSync(u.href, media, remote, repo);
    console.log(
      `(b) immediate sync (${FILES} files, 4 digests): ${(imm.ms / 1000).toFixed(2)} s  ratio ${(imm.ms / limitMs).toFixed(2)}x (target <= 1.5x); peak RSS ${imm.peakRssMb.toFixed(0)} MB`,
    );
    const again = await runSync(u.href, media, remote, repo);
    console.log(
      `no-change re-sync: ${(again.ms / 1000).toFixed(3)} s (target < 1 s), new version: ${again.version ?? 'none'}`,
    );
    const odRemote = await makeRemote('ondemand', `${nginx.url}repo/PULP_MANIFEST`, 'on_demand');
    const od = await runSync(u.href, media, odRemote, await makeRepo('ondemand'));
    console.log(
      `on_demand sync of ${FILES}: ${(od.ms / 1000).toFixed(2)} s = ${(FILES / (od.ms / 1000)).toFixed(0)} units/s; peak RSS ${od.peakRssMb.toFixed(0)} MB`,
    );
    const bigRemote = await makeRemote('big', `${nginx.url}big/PULP_MANIFEST`, 'on_demand');
    const bigRepo = await makeRepo('big');
    const big = await runSync(u.href, media, bigRemote, bigRepo);
    console.log(
      `on_demand sync of ${ONDEMAND}: ${(big.ms / 1000).toFixed(2)} s = ${(ONDEMAND / (big.ms / 1000)).toFixed(0)} units/s; peak RSS ${big.peakRssMb.toFixed(0)} MB (target < 300 MB)`,
    );
    await listLatency(db, bigRepo);
  } finally {
    await db.destroy();
    nginx.stop();
    await embedded.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

/** Content list latency for a 100,000-unit version vs the bare SQL query (when the content endpoint exists). */
async function listLatency(db: ReturnType<typeof createDatabase>['db'], repoId: string): Promise<void> {
  const { sql } = await import('kysely');
  const p50 = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const bare: number[] = [];
  for (let i = 0; i < 30; i++) {
    const t0 = performance.now();
    await sql`SELECT c.pulp_id, c.pulp_created, f.relative_path, f.digest, ca.artifact_id FROM repository_content rc
      JOIN content c ON c.pulp_id = rc.content_id JOIN file_content f ON f.content_id = c.pulp_id
      JOIN content_artifact ca ON ca.content_id = c.pulp_id
      WHERE rc.repository_id = ${repoId} AND rc.version_added <= 1 AND (rc.version_removed IS NULL OR rc.version_removed > 1)
      ORDER BY c.pulp_created DESC, c.pulp_id DESC LIMIT 100`.execute(db);
    bare.push(performance.now() - t0);
  }
  console.log(`bare SQL page of 100 from a 100,000-unit version: p50 ${p50(bare).toFixed(2)} ms`);
  const { buildApiApp } = await import('../src/api/build-app.js');
  const { apiModules } = await import('../src/api/modules.js');
  const { loadSettings } = await import('../src/core/settings.js');
  const { FileSystemStorage } = await import('../src/storage/filesystem.js');
  const { pino } = await import('pino');
  const { hashPassword } = await import('../src/core/passwords.js');
  const settings = loadSettings({ env: {}, overrides: { MEDIA_ROOT: path.join(root, 'media'), LOG_LEVEL: 'silent' } });
  await db
    .insertInto('auth_user')
    .values({ username: 'admin', password: await hashPassword('pw', 1000), is_superuser: true, is_staff: true })
    .execute();
  const registry = buildRegistry(
    builtinPlugins,
    builtinPlugins.map((p) => p.name),
  );
  const api = await buildApiApp({
    settings,
    db,
    logger: pino({ level: 'silent' }),
    modules: apiModules(registry),
    dispatcher: { dispatch: () => Promise.reject(new Error('none')) },
    storage: new FileSystemStorage(settings.MEDIA_ROOT),
  });
  const url = `/pulp/api/v3/content/file/files/?repository_version=/pulp/api/v3/repositories/file/file/${repoId}/versions/1/&limit=100`;
  const times: number[] = [];
  for (let i = 0; i < 30; i++) {
    const t0 = performance.now();
    const res = await api.app.inject({
      method: 'GET',
      url,
      headers: { authorization: `Basic ${Buffer.from('admin:pw').toString('base64')}` },
    });
    times.push(performance.now() - t0);
    if (res.statusCode !== 200) {
      console.log(`content list endpoint answered ${res.statusCode}; latency not measured`);
      await api.app.close();
      return;
    }
  }
  console.log(
    `GET content/file/files/?repository_version=...&limit=100: p50 ${p50(times).toFixed(2)} ms = ${(p50(times) / p50(bare)).toFixed(2)}x bare SQL (target <= 3x)`,
  );
  await api.app.close();
}

await main();

// Starts one command from its compiled JavaScript under dist/ (built by `npm run build`, which `npm install`
// and `npm ci` run through the `prepare` script). Without a build, or when a source file is newer than the
// build (a checkout edited since), it runs the TypeScript sources through tsx, a development dependency,
// and says so; with neither it stops with what to do. PULP_TS_SOURCE=1 always runs the sources.
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Written last by the build (see package.json), so its time is when the build finished. */
export const BUILD_STAMP = path.join(root, 'dist', '.build-stamp');

/** Newest modification time of a .ts file under src/ (about 2 ms for the whole tree). */
function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(full));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(full).mtimeMs);
  }
  return newest;
}

/** 'fresh', 'stale' (a source is newer) or 'missing'. */
export function buildState() {
  if (!existsSync(BUILD_STAMP)) return 'missing';
  const src = path.join(root, 'src');
  if (!existsSync(src)) return 'fresh';
  return newestSource(src) > statSync(BUILD_STAMP).mtimeMs ? 'stale' : 'fresh';
}

async function registerTsx() {
  try {
    const { register } = await import('tsx/esm/api');
    register();
    return true;
  } catch {
    return false;
  }
}

/** Imports src/cli/<name>: dist/cli/<name>.js when the build is fresh, else the .ts source through tsx. */
export async function launch(name) {
  const state = process.env.PULP_TS_SOURCE === '1' ? 'source' : buildState();
  if (state === 'fresh') return import(pathToFileURL(path.join(root, 'dist', 'cli', `${name}.js`)).href);
  if (await registerTsx()) {
    if (state !== 'source')
      process.stderr.write(
        `pulp-ts: ${state === 'missing' ? 'no build in dist/' : 'dist/ is older than src/'}; running the TypeScript sources through tsx (run \`npm run build\` to use compiled JavaScript)\n`,
      );
    return import(pathToFileURL(path.join(root, 'src', 'cli', `${name}.ts`)).href);
  }
  if (state === 'stale') {
    process.stderr.write('pulp-ts: dist/ is older than src/ and tsx is not installed; running the older build\n');
    return import(pathToFileURL(path.join(root, 'dist', 'cli', `${name}.js`)).href);
  }
  process.stderr.write('pulp-ts: no compiled build in dist/ and tsx is not installed: run `npm run build` first\n');
  process.exit(1);
}

#!/usr/bin/env node
// Runs bench/<name>.ts through tsx: `npm run bench -- <name> [args...]`. Without a name, lists the benchmarks.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const [name, ...rest] = process.argv.slice(2);

function available() {
  return readdirSync(here)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('-child.ts'))
    .map((f) => {
      const first = readFileSync(path.join(here, f), 'utf8').split('\n')[0] ?? '';
      return `  ${f.slice(0, -3).padEnd(12)} ${first.replace(/^\/\/\s*(bench\/\S+:\s*)?/, '').slice(0, 100)}`;
    });
}

// Only plain names: never a path that could leave bench/.
const file = name && /^[a-z0-9][a-z0-9-]*$/.test(name) ? path.join(here, `${name}.ts`) : '';
if (!file || !existsSync(file)) {
  console.error(
    `usage: npm run bench -- <name> [args...]\n\nbenchmarks (see bench/README.md):\n${available().join('\n')}`,
  );
  process.exit(name ? 2 : 0);
}
const r = spawnSync(process.execPath, ['--import', 'tsx', file, ...rest], { stdio: 'inherit' });
process.exit(r.status ?? 1);

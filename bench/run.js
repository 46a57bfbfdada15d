#!/usr/bin/env node
// Runs bench/<name>.ts through tsx: `npm run bench -- <name> [args...]`.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const [name, ...rest] = process.argv.slice(2);
const file = name ? path.join(here, `${name}.ts`) : '';
if (!name || !existsSync(file)) {
  console.error(`usage: npm run bench -- <name>   (bench/<name>.ts)`);
  process.exit(2);
}
const r = spawnSync(process.execPath, ['--import', 'tsx', file, ...rest], { stdio: 'inherit' });
process.exit(r.status ?? 1);

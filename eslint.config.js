// @ts-check
import { readdirSync } from 'node:fs';

import importX from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

const zone = (target, from, message, except) => ({ target, from, message, ...(except ? { except } : {}) });
// Each plugin folder may import no other plugin; nothing outside src/plugins imports a plugin but the built-in list.
const plugins = readdirSync(new URL('./src/plugins', import.meta.url), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name);

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.pulp/', 'bin/', 'scripts/', 'bench/*.js', 'eslint.config.js', '.bench/', 'src/**/assets/', 'ui/dist/'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'import-x': importX },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true, allowNullish: true }],
      'import-x/no-cycle': 'error',
      'import-x/no-duplicates': 'error',
      'import-x/no-restricted-paths': [
        'error',
        {
          zones: [
            zone('./src/core', ['./src/db', './src/storage', './src/tasking', './src/download', './src/sync', './src/plugin-api', './src/api', './src/content', './src/plugins', './src/cli'], 'core imports nothing of ours'),
            zone('./src/db', ['./src/storage', './src/tasking', './src/download', './src/sync', './src/plugin-api', './src/api', './src/content', './src/plugins', './src/cli'], 'db depends on core only'),
            zone('./src/plugin-api', ['./src/api', './src/content', './src/tasking', './src/plugins', './src/cli'], 'plugin-api sits below api, content and tasking'),
            zone('./src/api', ['./src/content', './src/cli', './src/plugins'], 'api never imports content, cli or a plugin'),
            zone('./src/content', ['./src/api', './src/cli', './src/plugins'], 'content never imports api, cli or a plugin'),
            zone('./src/tasking', ['./src/api', './src/content', './src/cli', './src/plugins'], 'tasking never imports api, content, cli or a plugin'),
            zone('./src/plugins', ['./src/api', './src/content', './src/tasking', './src/db', './src/sync', './src/download', './src/storage', './src/cli'], 'plugins import plugin-api (and core types) only'),
            ...plugins.map((name) => zone(`./src/plugins/${name}`, './src/plugins', 'a plugin never imports another plugin', [`./${name}`])),
            zone('./src/cli', './src/plugins', 'only the built-in plugin list is imported outside src/plugins', ['./builtin.ts']),
          ],
        },
      ],
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'Only core/settings.ts and cli/ read the environment.' }],
      'no-console': 'error',
      'max-lines': ['error', { max: 450, skipBlankLines: true, skipComments: true }],
    },
  },
  {
    // Storage is built once where a process starts (src/cli) and passed down; nothing below constructs one.
    files: ['src/**'],
    ignores: ['src/cli/**', 'src/storage/**', 'src/plugins/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/storage/create-storage.js', '**/storage/filesystem.js', '**/storage/s3.js'],
              message: 'storage is built by the entry point (src/cli) and passed down; import the Storage type',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/plugins/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/core/*'],
              allowTypeImports: true,
              message: 'plugins import core values through plugin-api (core types may be imported directly)',
            },
            {
              group: ['**/db/*', '**/api/*', '**/content/*', '**/tasking/*', '**/sync/*', '**/download/*', '**/storage/*', '**/cli/*'],
              message: 'plugins import plugin-api (and core types) only',
            },
            {
              group: ['../*/**', '!../../**', '!../plugin-api/**'],
              message: 'a plugin never imports another plugin',
            },
          ],
        },
      ],
    },
  },
  {
    // The web UI reads JSON of many shapes; String(x) of an unknown value is what it means to show.
    files: ['ui/src/**'],
    rules: { '@typescript-eslint/no-base-to-string': 'off' },
  },
  {
    files: ['src/cli/**', 'bench/**', 'test/**', 'src/core/settings.ts'],
    rules: { 'no-restricted-properties': 'off', 'no-console': 'off' },
  },
  {
    files: ['test/**', 'bench/**'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      'max-lines': 'off',
    },
  },
);

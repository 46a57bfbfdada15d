// @ts-check
import { readdirSync } from 'node:fs';

import importX from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

// The layers of ARCHITECTURE.md: what each folder of src/ must not import. Written as relative-import patterns per
// folder depth, because path zones never resolved our `.js` specifiers to the `.ts` files and so never fired.
const layers = readdirSync(new URL('./src', import.meta.url), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name);
const below = (allowed) => layers.filter((l) => !allowed.includes(l));
const forbidden = {
  core: below([]),
  db: below(['core']),
  storage: below(['core']),
  download: below(['core']),
  sync: below(['core', 'db', 'download', 'storage']),
  'plugin-api': below(['core', 'db', 'download', 'storage', 'sync']),
  tasking: below(['core', 'db', 'download', 'storage', 'sync', 'plugin-api']),
  api: below(['core', 'db', 'download', 'storage', 'sync', 'plugin-api', 'tasking']),
  content: below(['core', 'db', 'download', 'storage', 'sync', 'plugin-api']),
  ui: below(['core', 'db', 'download', 'storage', 'sync', 'plugin-api']),
  cli: ['plugins'],
};
// Storage is built once where a process starts (src/cli) and passed down; nothing below constructs one.
const storageConstruction = {
  group: ['**/storage/create-storage.js', '**/storage/filesystem.js', '**/storage/s3.js'],
  message: 'storage is built by the entry point (src/cli) and passed down; import the Storage type',
};
const layerRules = Object.entries(forbidden).flatMap(([folder, others]) =>
  [1, 2, 3].map((depth) => {
    const up = '../'.repeat(depth);
    const patterns = others.map((other) => ({
      group:
        other === 'plugins'
          ? [`${up}plugins/**`, `!${up}plugins/builtin.js`, `!${up}plugins/builtin-settings.js`]
          : [`${up}${other}/**`, `${up}${other}.js`],
      message:
        other === 'plugins'
          ? 'core never names a plugin: only the built-in plugin list (and its settings) is imported outside src/plugins'
          : `${folder} must not import ${other} (ARCHITECTURE.md layers: cli -> api|content|tasking -> plugin-api -> sync|download|storage|db -> core)`,
    }));
    if (folder !== 'storage' && folder !== 'cli') patterns.push(storageConstruction);
    return {
      files: [`src/${folder}/${'*/'.repeat(depth - 1)}*.ts`],
      rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns }] },
    };
  }),
);

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'dist/',
      '.pulp/',
      'bin/',
      'scripts/',
      'bench/*.js',
      'eslint.config.js',
      '.bench/',
      'src/**/assets/',
      'ui/dist/',
    ],
  },
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
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true, allowNullish: true },
      ],
      'import-x/no-cycle': 'error',
      'import-x/no-duplicates': 'error',
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Only core/settings.ts and cli/ read the environment.' },
      ],
      'no-console': 'error',
      'max-lines': ['error', { max: 450, skipBlankLines: true, skipComments: true }],
    },
  },
  ...layerRules,
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
              group: [
                '**/db/*',
                '**/api/*',
                '**/content/*',
                '**/tasking/*',
                '**/sync/*',
                '**/download/*',
                '**/storage/*',
                '**/cli/*',
              ],
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

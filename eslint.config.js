// @ts-check
import importX from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

const zone = (target, from, message) => ({ target, from, message });

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.pulp/', 'bin/', 'bench/*.js', 'eslint.config.js', '.bench/'] },
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
            zone('./src/plugins', ['./src/api', './src/content', './src/tasking', './src/db/migrate.ts', './src/cli'], 'plugins import plugin-api and core only'),
          ],
        },
      ],
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'Only core/settings.ts and cli/ read the environment.' }],
      'no-console': 'error',
      'max-lines': ['error', { max: 450, skipBlankLines: true, skipComments: true }],
    },
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

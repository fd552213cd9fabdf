// ESLint flat config: typescript-eslint's recommended rules, no import cycles (type-only ones included), src/ never
// importing from test/, bench/, scripts/, stand-in/ or demo/ (nor workers/ from the last two), and the 140-character
// line limit. `npm run lint` runs it; CI runs that.
// Not type-aware: on two cores that takes five times as long, and its findings (mostly node:test's describe/it
// reported as floating promises) want a sweep of their own.
import js from '@eslint/js';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import importX from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'bench/results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.mjs', '**/*.js'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })],
    },
    rules: {
      // Catches circles of value imports as you type; scripts/check-import-cycles.ts (also in `npm run lint`) catches
      // the type-only ones, which this rule skips whatever its options.
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      // A name starting with `_` is unused on purpose (a skipped parameter, a property left out of a rest).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      // `let x; ... () => x ...; x = ...`: a variable read by a closure before it is assigned cannot be const.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      'import-x/no-restricted-paths': [
        'error',
        {
          zones: [
            { target: './src', from: './test', message: 'Product code does not import tests.' },
            { target: './src', from: './bench', message: 'Product code does not import benchmarks.' },
            { target: './src', from: './scripts', message: 'Product code does not import scripts.' },
            { target: './src', from: './stand-in', message: 'Product code does not import the Nango stand-in (a test double).' },
            { target: './src', from: './demo', message: 'Product code does not import the demo.' },
            { target: './workers', from: './stand-in', message: 'Product code does not import the Nango stand-in (a test double).' },
            { target: './workers', from: './demo', message: 'Product code does not import the demo.' },
          ],
        },
      ],
    },
  },
  {
    // Tests read the stand-in's parsed JSON bodies freely.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: [
      'src/**/*.ts',
      'stand-in/**/*.ts',
      'demo/**/*.ts',
      'workers/**/*.ts',
      'migrations/**/*.ts',
      'scripts/**/*.ts',
      'scripts/**/*.mjs',
    ],
    rules: {
      'max-len': [
        'error',
        {
          code: 140,
          ignoreUrls: true,
          ignoreRegExpLiterals: true,
          // A line made long by one long string or template literal (a message, SQL, a metric's help) stays whole:
          // split across '+' it is harder to find with grep. A short literal does not excuse the code around it.
          ignorePattern: '\'[^\']{40,}\'|"[^"]{40,}"|`[^`]{40,}`',
        },
      ],
    },
  },
);

// Lint rules: typescript-eslint's recommended set, plus the layering rule that keeps the core free of Node.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const nodeOnly = ['node:*', 'fs', 'path', 'os', 'child_process', 'worker_threads', 'url'];

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    // The core (tensor, ops, autograd, backends, nn, optim) must run in browsers: no Node imports.
    files: ['src/**/*.ts'],
    ignores: ['src/node/**', 'src/cli/**', 'src/io/fs*.ts', 'src/data/node/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: nodeOnly.map((group) => ({
            group: [group],
            message: 'core modules must not import Node built-ins',
          })),
        },
      ],
    },
  },
  {
    // Trainer belongs to the browser-safe core too: files and the CLI subscribe to it, never the reverse.
    files: ['src/train/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            ...nodeOnly.map((group) => ({
              group: [group],
              message: 'core modules must not import Node built-ins',
            })),
            {
              group: ['../node/*', '../node.js', '../cli/*', '../data/node/*', '../io/fs*'],
              message: 'src/train must not import the Node or CLI layers',
            },
          ],
        },
      ],
    },
  },
);

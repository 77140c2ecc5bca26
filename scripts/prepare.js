#!/usr/bin/env node
// The package's prepare script: compiles src/ into dist/ with tsc unless dist/ is newer than every
// source. npm 11's `npx nabla` in a checkout installs the checkout into npx's cache and runs the
// install scripts again; with both up to date the first `npx nabla train` starts at once.
/* global process, console */
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { forced, isStale } from './stale.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const sources = ['src', 'tsconfig.json', 'tsconfig.build.json', 'package.json'].map((p) =>
  join(root, p),
);
if (!forced && !isStale(join(root, 'dist', 'entry', 'node.js'), sources)) {
  console.log('nabla: dist/ is up to date');
  process.exit(0);
}
const r = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 1);

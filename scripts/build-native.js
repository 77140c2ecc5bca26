#!/usr/bin/env node
// Builds the native addon build/Release/nabla.node with node-gyp (binding.gyp). As the package's
// install script it never fails: without a compiler (or on an unsupported platform) nabla runs on
// the wasm backend and says so once at load. With --strict (npm run build:native, CI) a failed
// build is an error. Set NABLA_SKIP_NATIVE=1 to skip it.
/* global process, console */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { forced, isStale } from './stale.js';

const strict = process.argv.includes('--strict');
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function done(ok, why) {
  if (ok) {
    console.log('nabla: built the native addon (build/Release/nabla.node)');
    process.exit(0);
  }
  const msg = `nabla: native addon not built (${why}); the wasm backend will be used`;
  if (strict) {
    console.error(msg);
    process.exit(1);
  }
  console.warn(msg);
  process.exit(0);
}

if (process.env.NABLA_SKIP_NATIVE === '1' && !strict) done(false, 'NABLA_SKIP_NATIVE=1');
// Already built from these sources (npx re-runs install scripts in a checkout): nothing to do.
const sources = ['binding.gyp', 'kernels'].map((p) => join(root, p));
if (!strict && !forced && !isStale(join(root, 'build/Release/nabla.node'), sources)) {
  console.log('nabla: the native addon is up to date (build/Release/nabla.node)');
  process.exit(0);
}

/** node-gyp: npm's own copy (npm tells scripts where it is), else the one beside this node. */
function findNodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    join(
      dirname(process.execPath),
      '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js',
    ),
    join(dirname(process.execPath), 'node_modules/npm/node_modules/node-gyp/bin/node-gyp.js'),
  ];
  return candidates.find((p) => p !== undefined && p !== '' && existsSync(p));
}

const gyp = findNodeGyp();
if (gyp === undefined) done(false, 'node-gyp not found');

// Node's headers ship with its binaries (<prefix>/include/node): use them instead of downloading.
const prefix = resolve(dirname(process.execPath), '..');
const args = [gyp, 'rebuild'];
if (existsSync(join(prefix, 'include/node/node_api.h'))) args.push(`--nodedir=${prefix}`);

const r = spawnSync(process.execPath, args, {
  cwd: root,
  stdio: strict ? 'inherit' : ['ignore', 'ignore', 'pipe'],
  encoding: 'utf8',
  timeout: 10 * 60 * 1000,
});
const addon = join(root, 'build/Release/nabla.node');
if (r.status === 0 && existsSync(addon)) done(true);
const lastError = (r.stderr ?? '')
  .split('\n')
  .filter((l) => /error|not found|No such file/i.test(l))
  .slice(-1)[0];
done(false, lastError?.trim() || r.error?.message || `node-gyp exited with ${r.status}`);

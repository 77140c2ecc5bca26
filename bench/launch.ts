// Compiles bench/ and the nabla sources it imports with tsc, then runs the compiled JavaScript.
//
// nabla is measured as it ships (tsc's output, as in dist/), not through tsx: tsx compiles with
// esbuild's keepNames, which calls Object.defineProperty for every closure a function creates and
// adds 30-50% to the seed step. The output lives in node_modules/.cache/nabla-bench/<checkout>/
// with the repository's layout, so that the sources find kernels/build/*.wasm and
// build/Release/nabla.node. NOTE: one folder per checkout, its links to this checkout's kernels and
// build: git worktrees that share one node_modules would otherwise run each other's compiled
// sources against the first checkout's addon.
//
//   tsx bench/launch.ts run [args]        (npm run bench -- [args])
//   tsx bench/launch.ts profile [args]    (npm run bench:profile -- [args])
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const checkout = createHash('sha256').update(root).digest('hex').slice(0, 12);
const out = join(root, 'node_modules', '.cache', 'nabla-bench', checkout);
const [what = 'run', ...args] = process.argv.slice(2);
if (what !== 'run' && what !== 'profile') {
  console.error(`usage: tsx bench/launch.ts run|profile [args]`);
  process.exit(2);
}

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const build = spawnSync(
  process.execPath,
  [
    tsc,
    ...['-p', join(root, 'bench', 'tsconfig.json')],
    ...['--outDir', out, '--tsBuildInfoFile', join(out, 'tsconfig.tsbuildinfo')],
  ],
  { stdio: 'inherit' },
);
if (build.status !== 0) process.exit(build.status ?? 1);

mkdirSync(out, { recursive: true });
// Outside the root package's scope (node_modules stops the lookup), so say that .js is ESM here.
writeFileSync(join(out, 'package.json'), '{ "type": "module", "private": true }\n');
copyFileSync(join(root, 'bench', 'torch_bench.py'), join(out, 'bench', 'torch_bench.py'));
for (const dir of ['kernels', 'build']) {
  const link = join(out, dir);
  const target = join(root, dir);
  let current: string | null = null;
  try {
    current = readlinkSync(link);
  } catch {
    // (no link yet)
  }
  if (current === target || !existsSync(target)) continue;
  if (current !== null) rmSync(link);
  symlinkSync(target, link, 'junction');
}

const r = spawnSync(
  process.execPath,
  ['--enable-source-maps', join(out, 'bench', `${what}.js`), ...args],
  { stdio: 'inherit' },
);
process.exit(r.status ?? 1);

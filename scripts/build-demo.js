// Builds the `nabla demo` page into dist/demo-page/ (run by `npm run build` after tsc): esbuild bundles
// src/demo (the page and its worker, nabla's browser entry included) and copies the HTML, the styles,
// and KaTeX's stylesheet and fonts, so that the installed package serves the page with no network.
/* global process */
import { cpSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const final = join(root, 'dist', 'demo-page');
// Built beside it and moved into place, so that a test reading the page never sees half of it.
const out = join(root, 'dist', `.demo-page-${process.pid}`);
rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, 'katex', 'fonts'), { recursive: true });
await esbuild.build({
  entryPoints: {
    demo: join(root, 'src/demo/main.ts'),
    worker: join(root, 'src/demo/worker.ts'),
  },
  bundle: true,
  format: 'esm',
  target: 'es2022',
  platform: 'browser',
  outdir: out,
  minify: true,
  legalComments: 'none',
  // NOTE: class names stay: the health monitor and explain name layers and optimizers by them.
  keepNames: true,
  logLevel: 'warning',
});
cpSync(join(root, 'src/demo/index.html'), join(out, 'index.html'));
cpSync(join(root, 'src/demo/demo.css'), join(out, 'demo.css'));
const katex = dirname(createRequire(import.meta.url).resolve('katex'));
cpSync(join(katex, 'katex.min.css'), join(out, 'katex', 'katex.min.css'));
for (const f of readdirSync(join(katex, 'fonts')))
  if (f.endsWith('.woff2')) cpSync(join(katex, 'fonts', f), join(out, 'katex', 'fonts', f));
rmSync(final, { recursive: true, force: true });
try {
  renameSync(out, final);
} catch (e) {
  // Another build moved its copy in first: keep that one.
  rmSync(out, { recursive: true, force: true });
  if (!existsSync(join(final, 'index.html'))) throw e;
}

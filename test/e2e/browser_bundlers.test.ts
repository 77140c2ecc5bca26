// The same app bundled by Vite (build and dev server) and webpack 5, with no nabla-specific config,
// from a copy of the package as npm installs it: the bundlers emit the .wasm files, the page loads
// the threaded one under COOP/COEP (the single-threaded one without) and gets Node's numbers.
import { cpSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import type { Stats } from 'webpack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveBrowser, launchChromium } from '../helpers/browser.js';
import {
  APP,
  DIGITS_FILE,
  ISOLATION_HEADERS,
  expectNodeNumbers,
  page,
  runApp,
  serve,
} from '../helpers/bundle_app.js';
import { ROOT, tmp } from '../helpers/cli.js';

let site = '';
let browser: Browser;
const servers: { close(): unknown }[] = [];

/** site/node_modules/nabla as `npm install nabla` lays it out (its dependencies beside it). */
function installPackage(into: string): void {
  const pkg = join(into, 'node_modules', 'nabla');
  mkdirSync(join(pkg, 'kernels', 'build'), { recursive: true });
  cpSync(join(ROOT, 'package.json'), join(pkg, 'package.json'));
  cpSync(join(ROOT, 'dist'), join(pkg, 'dist'), { recursive: true });
  for (const f of ['nabla', 'nabla-relaxed', 'nabla-mt', 'nabla-mt-relaxed'])
    cpSync(join(ROOT, 'kernels', 'build', `${f}.wasm`), join(pkg, 'kernels', 'build', `${f}.wasm`));
  const deps = Object.keys(
    (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: object })
      .dependencies,
  );
  for (const dep of deps) {
    const at = join(into, 'node_modules', dep);
    mkdirSync(join(at, '..'), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules', dep), at, 'dir');
  }
}

/** kernels/build's file for a build the console notice names, e.g. simd128+relaxed+threads. */
function buildFile(version: string): string {
  const relaxed = version.includes('relaxed') ? '-relaxed' : '';
  return `nabla${version.includes('threads') ? '-mt' : ''}${relaxed}.wasm`;
}

/**
 * The notice names the build, the thread count and the URL it came from: that URL is a file the
 * bundler wrote into `dir` (or, in dev, served from it), byte for byte kernels/build's file.
 */
function expectServedBuild(notice: string | undefined, base: string, dir: string): string {
  const m = /using the wasm backend \((simd128[+a-z]*), (\d+) threads?\) from (\S+?)(;|$)/.exec(
    notice ?? '',
  );
  expect(m, notice).not.toBeNull();
  const [, version, , url] = m!;
  expect(url!.startsWith(`${base}/`)).toBe(true);
  const served = readFileSync(join(dir, new URL(url!).pathname));
  expect(served.equals(readFileSync(join(ROOT, 'kernels', 'build', buildFile(version!))))).toBe(
    true,
  );
  return version!;
}

beforeAll(async () => {
  site = tmp('nabla-bundlers-');
  installPackage(site);
  writeFileSync(join(site, 'app.js'), APP);
  writeFileSync(join(site, 'index.html'), page('<script type="module" src="/app.js"></script>'));
  mkdirSync(join(site, 'public'));
  cpSync(DIGITS_FILE, join(site, 'public', 'digits.csv.gz'));
  if (haveBrowser) browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  for (const s of servers) await s.close();
});

/** Serves a bundler's output folder: / is its index.html. */
async function serveOutput(dir: string): Promise<string> {
  const { server, base } = await serve(({ pathname }) =>
    /^\/[\w./-]*$/.test(pathname) && !pathname.includes('..')
      ? join(dir, pathname === '/' ? 'index.html' : pathname)
      : undefined,
  );
  servers.push(server as Server);
  return base;
}

/** The two page loads every bundle gets: isolated (threads) and not (one thread). */
function pageLoads(bundler: string, output: () => { base: string; dir: string }): void {
  it(`${bundler}: COOP/COEP: the threaded build the bundler emitted, Node's numbers`, async () => {
    const { base, dir } = output();
    const { result, notices } = await runApp(browser, `${base}/?isolated`);
    expect(result.threads).toBeGreaterThan(1);
    await expectNodeNumbers(result);
    expect(notices).toHaveLength(1);
    expect(expectServedBuild(notices[0], base, dir)).toMatch(/\+threads$/);
  });

  it(`${bundler}: no COOP/COEP: the single-threaded build it emitted, and says why`, async () => {
    const { base, dir } = output();
    const { result, notices } = await runApp(browser, `${base}/`);
    expect(result.threads).toBe(1);
    await expectNodeNumbers(result);
    expect(notices).toHaveLength(1);
    expect(expectServedBuild(notices[0], base, dir)).not.toContain('threads');
    expect(notices[0]).toContain('not cross-origin isolated');
  });
}

describe.skipIf(!haveBrowser)('Vite and webpack bundles of nabla in headless Chromium', () => {
  describe('vite build (no config file)', () => {
    let out = { base: '', dir: '' };
    beforeAll(async () => {
      const { build } = await import('vite');
      const dir = join(site, 'vite-dist');
      await build({ root: site, configFile: false, logLevel: 'silent', build: { outDir: dir } });
      out = { base: await serveOutput(dir), dir };
    }, 120_000);
    pageLoads('vite build', () => out);
  });

  describe('webpack 5 (mode production, entry and output path only)', () => {
    let out = { base: '', dir: '' };
    beforeAll(async () => {
      const { default: webpack } = await import('webpack');
      const dir = join(site, 'webpack-dist');
      const stats = await new Promise<Stats>((resolve, reject) =>
        webpack(
          { mode: 'production', context: site, entry: './app.js', output: { path: dir } },
          (err, s) => (err || s === undefined ? reject(err ?? new Error('no stats')) : resolve(s)),
        ),
      );
      expect(stats.hasErrors(), stats.toString('errors-only')).toBe(false);
      writeFileSync(join(dir, 'index.html'), page('<script src="/main.js"></script>'));
      out = { base: await serveOutput(dir), dir };
    }, 300_000);
    pageLoads('webpack', () => out);
  });

  it('vite dev server (server.headers COOP/COEP): the threaded build from node_modules/nabla', async () => {
    const { createServer } = await import('vite');
    const dev = await createServer({
      root: site,
      configFile: false,
      logLevel: 'silent',
      server: { host: '127.0.0.1', port: 0, headers: ISOLATION_HEADERS },
    });
    servers.push(dev);
    await dev.listen();
    const base = dev.resolvedUrls!.local[0]!.replace(/\/$/, '');
    const { result, notices } = await runApp(browser, `${base}/`);
    expect(result.threads).toBeGreaterThan(1);
    await expectNodeNumbers(result);
    expect(notices).toHaveLength(1);
    expect(expectServedBuild(notices[0], base, site)).toMatch(/\+threads$/);
    expect(notices[0]).toContain('/node_modules/nabla/kernels/build/');
  }, 120_000);
});

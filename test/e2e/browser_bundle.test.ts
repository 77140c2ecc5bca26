// A user's app bundled by esbuild (ESM and iife, no special config) in headless Chromium: it finds
// its wasm kernels (inlined when kernels/build is not served, threaded under COOP/COEP when it
// is), trains the seed network and the CLI's digits MLP, and gets the numbers Node gets on wasm.
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveBrowser, launchChromium } from '../helpers/browser.js';
import { APP, expectNodeNumbers, nodeResult, page, runApp, serve } from '../helpers/bundle_app.js';
import { ROOT, tmp } from '../helpers/cli.js';

let server: Server;
let base = '';
let browser: Browser;
let site = '';

beforeAll(async () => {
  site = tmp('nabla-bundle-');
  mkdirSync(join(site, 'node_modules'));
  symlinkSync(ROOT, join(site, 'node_modules', 'nabla'), 'dir');
  writeFileSync(join(site, 'app.js'), APP);
  const esbuild = await import('esbuild');
  for (const format of ['esm', 'iife'] as const)
    await esbuild.build({
      entryPoints: [join(site, 'app.js')],
      absWorkingDir: site,
      bundle: true,
      format,
      outfile: join(site, `${format}.js`),
      logLevel: 'silent',
    });
  writeFileSync(join(site, 'esm.html'), page('<script type="module" src="/esm.js"></script>'));
  writeFileSync(join(site, 'iife.html'), page('<script src="/iife.js"></script>'));
  ({ server, base } = await serve(({ pathname, searchParams }, req) => {
    if (pathname === '/') return join(site, `${searchParams.get('format')}.html`);
    if (pathname === '/esm.js' || pathname === '/iife.js') return join(site, pathname);
    // kernels/build served only on ?copied pages' requests (a user who copied it to the site).
    if (
      /^\/kernels\/build\/[a-z-]+\.wasm$/.test(pathname) &&
      req.headers.referer?.includes('copied')
    )
      return join(ROOT, pathname);
    return undefined;
  }));
  if (haveBrowser) browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  server?.close();
});

describe.skipIf(!haveBrowser)('an esbuild bundle of nabla in headless Chromium', () => {
  it('Node trains the seed network and the digits MLP on wasm (the reference)', async () => {
    for (const threads of [1, 2]) {
      const { seed, digits } = await nodeResult(threads);
      expect(seed.losses).toHaveLength(5);
      expect(seed.losses[4]).toBeLessThan(seed.losses[0]!);
      expect(digits.losses).toHaveLength(8);
      expect(digits.losses[7]).toBeLessThan(digits.losses[0]!);
    }
  });

  for (const format of ['esm', 'iife']) {
    it(`${format}: kernels/build not served: the inlined build, one thread, Node's numbers`, async () => {
      const { result, notices } = await runApp(browser, `${base}/?format=${format}&isolated`, true);
      expect(result.threads).toBe(1);
      await expectNodeNumbers(result);
      expect(notices).toHaveLength(1);
      expect(notices[0]).toContain('from the inlined kernels');
      expect(notices[0]).toMatch(/kernels\/build\/nabla\.wasm \(HTTP 404/);
    });

    it(`${format}: kernels/build copied, no COOP/COEP: one thread, and says why`, async () => {
      const { result, notices } = await runApp(browser, `${base}/?format=${format}&copied`);
      expect(result.threads).toBe(1);
      await expectNodeNumbers(result);
      expect(notices).toHaveLength(1);
      expect(notices[0]).toContain('not cross-origin isolated');
    });

    it(`${format}: kernels/build copied, COOP/COEP: the threaded build, Node's numbers`, async () => {
      const { result, notices } = await runApp(
        browser,
        `${base}/?format=${format}&copied&isolated`,
      );
      expect(result.threads).toBeGreaterThan(1);
      await expectNodeNumbers(result);
      expect(notices).toHaveLength(1);
      expect(notices[0]).toMatch(/\+threads, \d+ threads\) from http:.*nabla-mt/);
    });
  }
});

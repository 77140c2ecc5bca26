// A user's app bundled by esbuild (ESM and iife, no special config) in headless Chromium: it finds
// its wasm kernels (inlined when kernels/build is not served, threaded under COOP/COEP when it
// is), trains the seed network and gets the losses Node gets on the wasm backend.
import { createServer, type Server } from 'node:http';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveBrowser, launchChromium } from '../helpers/browser.js';
import { ROOT, tmp } from '../helpers/cli.js';
import { manualSeed, nn, optim, setBackend, tensor } from '../../src/index.js';
import { createNodeWasmBackend } from '../../src/node/wasm.js';

// The seed network (examples/seed.ts), trained a few steps; `lib` is nabla's namespace.
const TRAIN = `function train(lib) {
  const { manualSeed, nn, optim, tensor } = lib;
  manualSeed(0);
  const model = new nn.Sequential(new nn.Linear(2, 2), new nn.ReLU(), new nn.Linear(2, 1));
  const criterion = new nn.MSELoss();
  const optimizer = new optim.SGD(model.parameters(), { lr: 0.01 });
  const losses = [];
  for (let i = 0; i < 5; i++) {
    optimizer.zeroGrad();
    const loss = criterion.forward(model.forward(tensor([[1.0, 2.0]])), tensor([[1.0]]));
    loss.backward();
    optimizer.step();
    losses.push(loss.item());
  }
  return { losses, device: model.get(0).weight.device };
}`;

const APP = `import * as nabla from 'nabla';
${TRAIN}
nabla.ready().then(() => {
  window.result = { ...train(nabla), threads: nabla.getNumThreads().wasm };
});
`;

let server: Server;
let base = '';
let browser: Browser;
let site = '';
let nodeLosses: number[] = [];

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
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const q = url.searchParams;
    const headers: Record<string, string> = q.has('isolated')
      ? {
          'Cross-Origin-Opener-Policy': 'same-origin',
          'Cross-Origin-Embedder-Policy': 'require-corp',
        }
      : {};
    if (url.pathname === '/') {
      const format = q.get('format');
      const tag =
        format === 'esm'
          ? '<script type="module" src="/esm.js"></script>'
          : '<script src="/iife.js"></script>';
      res.writeHead(200, { ...headers, 'Content-Type': 'text/html' }).end(`<!doctype html>${tag}`);
      return;
    }
    // kernels/build served only on ?copied pages' requests (a user who copied it to the site).
    const referer = req.headers.referer ?? '';
    let file: string | undefined;
    if (url.pathname === '/esm.js' || url.pathname === '/iife.js') file = join(site, url.pathname);
    else if (/^\/kernels\/build\/[a-z-]+\.wasm$/.test(url.pathname) && referer.includes('copied'))
      file = join(ROOT, url.pathname);
    if (file === undefined) {
      res.writeHead(404).end();
      return;
    }
    res
      .writeHead(200, {
        'Content-Type': file.endsWith('.wasm') ? 'application/wasm' : 'text/javascript',
      })
      .end(readFileSync(file));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  base = `http://127.0.0.1:${typeof addr === 'object' && addr !== null ? addr.port : 0}`;
  // Node's losses for the same program on the wasm backend.
  await createNodeWasmBackend({ name: 'wasm-bundle-ref', threads: 1, register: true });
  setBackend('wasm-bundle-ref');
  try {
    const run = new Function(`return (${TRAIN})`)() as (lib: object) => { losses: number[] };
    nodeLosses = run({ manualSeed, nn, optim, tensor }).losses;
  } finally {
    setBackend('cpu');
  }
  if (haveBrowser) browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  server?.close();
});

interface PageResult {
  losses: number[];
  device: string;
  threads: number;
}

async function load(query: string): Promise<{ result: PageResult; notices: string[] }> {
  const page = await browser.newPage();
  const notices: string[] = [];
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.text().startsWith('nabla:')) notices.push(m.text());
    // The browser's own line for the URL tried before the inlined fallback is expected.
    else if (m.type() === 'error' && !m.text().includes('404')) errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${base}/?${query}`);
  await page.waitForFunction("'result' in window", null, { timeout: 30_000 });
  const result = (await page.evaluate('window.result')) as PageResult;
  await page.close();
  expect(errors).toEqual([]);
  return { result, notices };
}

describe.skipIf(!haveBrowser)('an esbuild bundle of nabla in headless Chromium', () => {
  it('Node trains the seed network on wasm (the reference)', () => {
    expect(nodeLosses).toHaveLength(5);
    expect(nodeLosses[4]).toBeLessThan(nodeLosses[0]!);
  });

  for (const format of ['esm', 'iife']) {
    it(`${format}: kernels/build not served: the inlined build, one thread, Node's losses`, async () => {
      const { result, notices } = await load(`format=${format}&isolated`);
      expect(result.device).toBe('wasm');
      expect(result.threads).toBe(1);
      expect(result.losses).toEqual(nodeLosses);
      expect(notices).toHaveLength(1);
      expect(notices[0]).toContain('from the inlined kernels');
      expect(notices[0]).toMatch(/kernels\/build\/nabla\.wasm \(HTTP 404/);
    });

    it(`${format}: kernels/build copied, no COOP/COEP: one thread, and says why`, async () => {
      const { result, notices } = await load(`format=${format}&copied`);
      expect(result.device).toBe('wasm');
      expect(result.threads).toBe(1);
      expect(result.losses).toEqual(nodeLosses);
      expect(notices).toHaveLength(1);
      expect(notices[0]).toContain('not cross-origin isolated');
    });

    it(`${format}: kernels/build copied, COOP/COEP: the threaded build, Node's losses`, async () => {
      const { result, notices } = await load(`format=${format}&copied&isolated`);
      expect(result.device).toBe('wasm');
      expect(result.threads).toBeGreaterThan(1);
      expect(result.losses).toEqual(nodeLosses);
      expect(notices).toHaveLength(1);
      expect(notices[0]).toMatch(/\+threads, \d+ threads\) from http:.*nabla-mt/);
    });
  }
});

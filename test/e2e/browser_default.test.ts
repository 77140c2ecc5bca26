// The browser entry in headless Chromium: `import 'nabla'` loads the wasm kernels by itself; after
// `await ready()` the default is wasm (threaded when the page is cross-origin isolated) and trains.
import { createServer, type Server } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { extname, join, normalize } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveBrowser, launchChromium } from '../helpers/browser.js';
import { ROOT } from '../helpers/cli.js';

const PAGE = `<!doctype html><script type="module">
import { getBackend, getNumThreads, manualSeed, nn, optim, randint, randn, ready } from '/dist/entry/browser.js';
const before = getBackend().name;
const name = await ready();
manualSeed(0);
const model = new nn.Sequential(new nn.Linear(16, 32), new nn.ReLU(), new nn.Linear(32, 4));
const opt = new optim.SGD(model.parameters(), { lr: 0.1 });
const x = randn([64, 16]);
const y = randint(0, 4, [64]);
const losses = [];
for (let i = 0; i < 20; i++) {
  opt.zeroGrad();
  const loss = nn.functional.crossEntropy(model.forward(x), y);
  loss.backward();
  opt.step();
  losses.push(loss.item());
}
window.result = { before, name, backend: getBackend().name, device: model.get(0).weight.device,
  threads: getNumThreads().wasm, isolated: crossOriginIsolated, first: losses[0], last: losses.at(-1) };
</script>`;

const TYPES: Record<string, string> = {
  '.js': 'text/javascript',
  '.wasm': 'application/wasm',
  '.html': 'text/html',
};

let server: Server;
let base = '';
let browser: Browser;

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const isolated = url.searchParams.has('isolated');
    const headers: Record<string, string> = isolated
      ? {
          'Cross-Origin-Opener-Policy': 'same-origin',
          'Cross-Origin-Embedder-Policy': 'require-corp',
        }
      : {};
    if (url.pathname === '/') {
      res.writeHead(200, { ...headers, 'Content-Type': 'text/html' }).end(PAGE);
      return;
    }
    const file = normalize(join(ROOT, url.pathname));
    if (!file.startsWith(ROOT) || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res
      .writeHead(200, {
        'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
        'Cross-Origin-Resource-Policy': 'same-origin',
      })
      .end(readFileSync(file));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  base = `http://127.0.0.1:${typeof addr === 'object' && addr !== null ? addr.port : 0}`;
  if (!haveBrowser) return;
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  server?.close();
});

interface PageResult {
  before: string;
  name: string;
  backend: string;
  device: string;
  threads: number;
  isolated: boolean;
  first: number;
  last: number;
}

async function load(query: string): Promise<{ result: PageResult; console: string[] }> {
  const page = await browser.newPage();
  const lines: string[] = [];
  page.on('console', (m) => lines.push(m.text()));
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${base}/${query}`);
  // (Strings, not functions: the test's TypeScript has no DOM types.)
  await page.waitForFunction("'result' in window", null, { timeout: 30_000 });
  const result = (await page.evaluate('window.result')) as PageResult;
  await page.close();
  expect(errors).toEqual([]);
  return { result, console: lines };
}

describe.skipIf(!haveBrowser)("the browser entry ('nabla' in a page)", () => {
  it('needs the built package (npm install runs the build)', () => {
    expect(existsSync(join(ROOT, 'dist/entry/browser.js'))).toBe(true);
  });

  it('starts on cpu, makes wasm the default once ready(), and trains on it', async () => {
    const { result, console } = await load('');
    expect(result.before).toBe('cpu');
    expect(result.name).toBe('wasm');
    expect(result.backend).toBe('wasm');
    expect(result.device).toBe('wasm');
    expect(result.isolated).toBe(false);
    expect(result.threads).toBe(1);
    expect(result.last).toBeLessThan(result.first);
    expect(console.filter((l) => l.startsWith('nabla: using the wasm backend'))).toHaveLength(1);
  });

  it('runs the threaded build in a cross-origin isolated page', async () => {
    const { result, console } = await load('?isolated');
    expect(result.isolated).toBe(true);
    expect(result.backend).toBe('wasm');
    expect(result.threads).toBeGreaterThan(1);
    expect(result.last).toBeLessThan(result.first);
    expect(console.find((l) => l.startsWith('nabla: using the wasm backend'))).toContain('threads');
  });
});

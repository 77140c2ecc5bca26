// nabla's webgpu backend in headless Chromium (SwiftShader's WebGPU adapter, no GPU): an esbuild
// bundle loads it on navigator.gpu, trains the seed network on the GPU with the async reads a page
// must use, gets Node's cpu losses, and sync reads fail with an error naming the async form.
import { createServer, type Server } from 'node:http';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveBrowser, launchChromium } from '../helpers/browser.js';
import { ROOT, tmp } from '../helpers/cli.js';
import { seedRun } from '../helpers/seed.js';
import * as nabla from '../../src/index.js';

// A few of each kernel family on `device` (inputs made on the cpu, then moved), read with `read`:
// run in the page on webgpu and in Node on cpu, the results compared.
const OPS = `async function ops(lib, device, read) {
  const { manualSeed, randn, randint, nn } = lib;
  manualSeed(7);
  const x = randn([6, 10]).to(device);
  const t = randint(0, 10, [6]).to(device);
  const img = randn([2, 3, 9, 9]).to(device);
  const w = randn([4, 3, 3, 3]).to(device);
  const logits = x.detach().requiresGrad_(true);
  const ce = nn.functional.crossEntropy(logits, t);
  ce.backward();
  const conv = nn.functional.conv2d(img, w, null, { padding: 1 });
  return {
    ce: await read(ce),
    ceGrad: await read(logits.grad),
    softmax: await read(x.softmax(1)),
    sum0: await read(x.sum(0)),
    max1: await read(x.amax(1)),
    argmax1: await read(x.argmax(1)),
    matmulT: await read(x.matmul(x.t())),
    conv: await read(conv.sum([0, 2, 3])),
    pool: await read(nn.functional.maxPool2d(conv, 2).sum([2, 3])),
    gather: await read(x.gather(1, t.reshape([6, 1]))),
    sorted: await read(x.sort(1).values),
  };
}`;

// The seed network (examples/seed.ts) on webgpu, five steps; reads are awaited, as in any page.
const APP = `import * as nabla from 'nabla';
${OPS}
const { manualSeed, nn, optim, tensor, loadWebgpuBackend } = nabla;
(async () => {
  const gpu = await loadWebgpuBackend();
  manualSeed(0);
  const model = new nn.Sequential(new nn.Linear(2, 2), new nn.ReLU(), new nn.Linear(2, 1));
  model.to('webgpu');
  const criterion = new nn.MSELoss();
  const optimizer = new optim.SGD(model.parameters(), { lr: 0.01 });
  const x = tensor([[1.0, 2.0]]).to('webgpu');
  const y = tensor([[1.0]]).to('webgpu');
  const losses = [];
  let syncError = '';
  for (let i = 0; i < 5; i++) {
    optimizer.zeroGrad();
    const loss = criterion.forward(model.forward(x), y);
    loss.backward();
    optimizer.step();
    try { loss.item(); } catch (e) { syncError = e.message; }
    losses.push(await loss.itemAsync());
  }
  const w = await model.get(0).weight.tolistAsync();
  const opsResult = await ops(nabla, 'webgpu', (t) => t.tolistAsync());
  window.result = { adapter: gpu.version, losses, syncError, device: model.get(0).weight.device, w, ops: opsResult };
})().catch((e) => { window.result = { error: String(e && e.stack || e) }; });
`;

let server: Server;
let base = '';
let browser: Browser;
/** The page's results (the first test loads the page; the second compares its kernel results). */
let result: PageResult;

beforeAll(async () => {
  if (!haveBrowser) return;
  const site = tmp('nabla-webgpu-page-');
  mkdirSync(join(site, 'node_modules'));
  symlinkSync(ROOT, join(site, 'node_modules', 'nabla'), 'dir');
  writeFileSync(join(site, 'app.js'), APP);
  const esbuild = await import('esbuild');
  await esbuild.build({
    entryPoints: [join(site, 'app.js')],
    absWorkingDir: site,
    bundle: true,
    format: 'esm',
    outfile: join(site, 'esm.js'),
    logLevel: 'silent',
  });
  server = createServer((req, res) => {
    if (req.url === '/') {
      res
        .writeHead(200, { 'Content-Type': 'text/html' })
        .end('<!doctype html><script type="module" src="/esm.js"></script>');
    } else if (req.url === '/esm.js') {
      res
        .writeHead(200, { 'Content-Type': 'text/javascript' })
        .end(readFileSync(join(site, 'esm.js')));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  base = `http://127.0.0.1:${typeof addr === 'object' && addr !== null ? addr.port : 0}`;
  browser = await launchChromium(true);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  server?.close();
});

interface PageResult {
  readonly error?: string;
  readonly adapter: string;
  readonly losses: number[];
  readonly syncError: string;
  readonly device: string;
  readonly w: number[][];
  readonly ops: Record<string, unknown>;
}

/** Every number of `got` within 1e-5 (absolute and relative) of `want`'s, same nesting. */
function expectNear(got: unknown, want: unknown, at: string): void {
  if (typeof want === 'number') {
    expect(typeof got, at).toBe('number');
    expect(Math.abs((got as number) - want), at).toBeLessThanOrEqual(1e-5 + 1e-5 * Math.abs(want));
    return;
  }
  expect(Array.isArray(got), at).toBe(true);
  const g = got as unknown[];
  const w = want as unknown[];
  expect(g.length, at).toBe(w.length);
  w.forEach((v, i) => expectNear(g[i], v, `${at}[${i}]`));
}

describe.skipIf(!haveBrowser)('webgpu in headless Chromium', () => {
  it('navigator.gpu gives an adapter; the seed network trains on it to the cpu losses', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('console', (m) => {
      // the wasm kernels' URL, tried before the inlined fallback, answers 404 on this test site
      if (m.type() === 'error' && !m.text().includes('404')) errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${base}/`);
    await page.waitForFunction("'result' in window", null, { timeout: 60_000 });
    const r = (await page.evaluate('window.result')) as PageResult;
    result = r;
    await page.close();
    expect(r.error).toBeUndefined();
    expect(errors).toEqual([]);
    console.log(`browser webgpu adapter: ${r.adapter}`);
    expect(r.adapter).toMatch(/^webgpu \(.*swiftshader/i);
    expect(r.device).toBe('webgpu');
    expect(r.syncError).toMatch(/cannot read synchronously.*await tensor\.data\(\).*itemAsync/);
    const want = seedRun();
    r.losses.forEach((v, i) => expect(Math.abs(v - want.losses[i]!)).toBeLessThanOrEqual(1e-6));
    expect(r.w.flat().length).toBe(4);
    want.weight
      .flat()
      .forEach((v, i) => expect(Math.abs(r.w.flat()[i]! - v)).toBeLessThanOrEqual(1e-6));
  }, 120_000);

  it('each kernel family gives the cpu results in the page (loss, softmax, reductions, matmul, conv, pool, gather, sort)', async () => {
    const run = new Function(`return (${OPS})`)() as (
      lib: object,
      device: string,
      read: (t: { tolist(): unknown }) => Promise<unknown>,
    ) => Promise<Record<string, unknown>>;
    const want = await run(nabla, 'cpu', (t) => Promise.resolve(t.tolist()));
    expect(Object.keys(result.ops).sort()).toEqual(Object.keys(want).sort());
    for (const [k, v] of Object.entries(want)) expectNear(result.ops[k], v, k);
  });
});

// nabla/worker in headless Chromium, as a user ships it (esbuild bundles of a page and a worker importing 'nabla' and 'nabla/worker'): the digits MLP trains in the worker while the main thread has no long task (the same run on the main thread has some), the streamed losses and the weights are Node's on wasm, weights go both ways, and the console has no errors.
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as nabla from '../../src/index.js';
import { Digits } from '../../src/data/node/digits.js';
import { createNodeWasmBackend } from '../../src/node/wasm.js';
import { haveBrowser, launchChromium } from '../helpers/browser.js';
import { page as html, serve } from '../helpers/bundle_app.js';
import { ROOT, tmp } from '../helpers/cli.js';

/** Epochs of the digits (57 batches of 32 each): 342 optimizer steps. */
const EPOCHS = 6;

// The trainer both sides build, given nabla's namespace as `lib`, so Node runs the very text the
// worker runs: the CLI's digits MLP, Adam 0.001, batches of 32 shuffled by the Trainer.
const DIGITS_TRAINER = `function digitsTrainer(lib, pixels, labels, epochs) {
  const { Trainer, data, manualSeed, nn, optim, tensor } = lib;
  manualSeed(0);
  const model = new nn.Sequential(
    new nn.Linear(64, 256),
    new nn.ReLU(),
    new nn.Linear(256, 128),
    new nn.ReLU(),
    new nn.Linear(128, 10),
  );
  const optimizer = new optim.Adam(model.parameters(), { lr: 0.001 });
  const x = tensor(pixels).reshape([labels.length, 64]);
  const train = new data.TensorDataset(x, tensor(labels));
  return new Trainer({ model, optimizer, train, batchSize: 32, epochs });
}`;

// Every digit from /digits.csv.gz: pixels float32 [n*64] in [0, 1], labels int32 [n].
const READ_DIGITS = `async function readDigits() {
  const body = (await fetch('/digits.csv.gz')).body.pipeThrough(new DecompressionStream('gzip'));
  const lines = (await new Response(body).text()).split('\\n').filter((l) => l.length > 0);
  const pixels = new Float32Array(lines.length * 64);
  const labels = new Int32Array(lines.length);
  lines.forEach((line, i) => {
    const cells = line.split(',').map(Number);
    for (let k = 0; k < 64; k++) pixels[i * 64 + k] = cells[k] / 16;
    labels[i] = cells[64];
  });
  return { pixels, labels };
}`;

const WORKER = `import * as nabla from 'nabla';
import { serveTrainer } from 'nabla/worker';
${DIGITS_TRAINER}
${READ_DIGITS}
serveTrainer(async (config) => {
  const { pixels, labels } = await readDigits();
  return digitsTrainer(nabla, pixels, labels, config.epochs);
});
`;

// The page: a long-task observer from the start; window.inWorker() and window.onMainThread()
// train and report the long tasks that overlapped the run.
const APP = `import * as nabla from 'nabla';
import { TrainerWorker } from 'nabla/worker';
${DIGITS_TRAINER}
${READ_DIGITS}
const longTasks = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) longTasks.push({ start: e.startTime, duration: e.duration });
}).observe({ type: 'longtask', buffered: true });
const status = document.createElement('p');
document.body.append(status);
// Observer callbacks come a little after the task they describe.
const settle = () => new Promise((r) => setTimeout(r, 300));
const overlapping = (t0, t1) => longTasks.filter((t) => t.start + t.duration >= t0 && t.start <= t1);

window.inWorker = async (epochs) => {
  await nabla.ready();
  const t0 = performance.now();
  const run = new TrainerWorker(new Worker(new URL('./worker.js', import.meta.url), { type: 'module' }));
  const backend = await run.ready();
  const losses = [];
  run.on('step', (e) => {
    losses.push(e.loss);
    status.textContent = 'step ' + e.step + ': ' + e.loss.toFixed(4);
  });
  await run.build({ epochs });
  const result = await run.fit();
  const ms = performance.now() - t0;
  await settle();
  const weights = await run.getWeights();
  // Weights made in Node, into the worker and back.
  const other = new Uint8Array(await (await fetch('/other.safetensors')).arrayBuffer());
  await run.setWeights(other);
  const back = await run.getWeights();
  await run.terminate();
  return {
    backend, ms, losses, stepLosses: result.stepLosses,
    longTasks: overlapping(t0, t0 + ms),
    weights: Array.from(weights), back: Array.from(back),
  };
};

window.onMainThread = async (epochs) => {
  await nabla.ready();
  const { pixels, labels } = await readDigits();
  const trainer = digitsTrainer(nabla, pixels, labels, epochs);
  trainer.on('step', (e) => { status.textContent = 'step ' + e.step + ': ' + e.loss.toFixed(4); });
  const t0 = performance.now();
  const result = await trainer.fit();
  const ms = performance.now() - t0;
  await settle();
  return { ms, stepLosses: result.stepLosses, longTasks: overlapping(t0, t0 + ms) };
};
window.appReady = true;
`;

interface LongTask {
  start: number;
  duration: number;
}
interface WorkerRun {
  backend: string;
  ms: number;
  losses: number[];
  stepLosses: number[];
  longTasks: LongTask[];
  weights: number[];
  back: number[];
}
interface MainRun {
  ms: number;
  stepLosses: number[];
  longTasks: LongTask[];
}

type Trainer = InstanceType<typeof nabla.Trainer>;

let server: Server;
let base = '';
let browser: Browser;
let page: Page;
const errors: string[] = [];
const notices: string[] = [];
/** Node's run of the same trainer on wasm with one thread (the page is not cross-origin isolated). */
let node: { trainer: Trainer; losses: number[]; bytes: Uint8Array; x: nabla.Tensor };
/** Another model's weights, made in Node, that the page sends to the worker. */
let otherBytes: Uint8Array;
let inWorker: WorkerRun;

async function nodeRun(): Promise<typeof node> {
  await createNodeWasmBackend({ name: 'wasm-worker-ref', threads: 1, register: true });
  nabla.setBackend('wasm-worker-ref');
  const digits = new Digits();
  const make = new Function(`${DIGITS_TRAINER}\nreturn digitsTrainer;`)() as (
    lib: object,
    pixels: Float32Array,
    labels: Int32Array,
    epochs: number,
  ) => Trainer;
  const trainer = make(nabla, digits.features, digits.targets, EPOCHS);
  const result = await trainer.fit();
  const bytes = nabla.io.serialize(trainer.model.stateDict(), { metadata: { format: 'pt' } });
  const x = nabla.tensor(digits.features.slice(0, 64 * 64)).reshape([64, 64]);
  return { trainer, losses: [...result.stepLosses], bytes, x };
}

/** The digits MLP of DIGITS_TRAINER, freshly initialised: what the weights load into. */
const digitsMlp = () =>
  new nabla.nn.Sequential(
    new nabla.nn.Linear(64, 256),
    new nabla.nn.ReLU(),
    new nabla.nn.Linear(256, 128),
    new nabla.nn.ReLU(),
    new nabla.nn.Linear(128, 10),
  );

beforeAll(async () => {
  node = await nodeRun();
  nabla.manualSeed(1);
  const other = digitsMlp();
  otherBytes = nabla.io.serialize(other.stateDict());
  nabla.setBackend('cpu');

  const site = tmp('nabla-worker-page-');
  mkdirSync(join(site, 'node_modules'));
  symlinkSync(ROOT, join(site, 'node_modules', 'nabla'), 'dir');
  writeFileSync(join(site, 'app.src.js'), APP);
  writeFileSync(join(site, 'worker.src.js'), WORKER);
  writeFileSync(join(site, 'index.html'), html('<script type="module" src="/app.js"></script>'));
  writeFileSync(join(site, 'other.safetensors'), otherBytes);
  const esbuild = await import('esbuild');
  await esbuild.build({
    entryPoints: { app: join(site, 'app.src.js'), worker: join(site, 'worker.src.js') },
    absWorkingDir: site,
    bundle: true,
    format: 'esm',
    outdir: site,
    logLevel: 'silent',
  });
  ({ server, base } = await serve(({ pathname }) => {
    if (pathname === '/') return join(site, 'index.html');
    if (['/app.js', '/worker.js', '/other.safetensors'].includes(pathname))
      return join(site, pathname);
    // The kernels, where the bundles' import.meta.url lookups find them (no 404 in the console).
    if (/^\/kernels\/build\/[a-z-]+\.wasm$/.test(pathname)) return join(ROOT, pathname);
    return undefined;
  }));
  if (!haveBrowser) return;
  browser = await launchChromium();
  page = await browser.newPage();
  page.on('console', (m) => {
    if (m.text().startsWith('nabla:')) notices.push(m.text());
    if (m.type() === 'error' || m.type() === 'warning') errors.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  await page.goto(`${base}/`);
  await page.waitForFunction('window.appReady === true', null, { timeout: 60_000 });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  server?.close();
});

describe.skipIf(!haveBrowser)('nabla/worker in headless Chromium (esbuild bundles)', () => {
  it('trains in the worker with no long task on the main thread, streaming every step', async () => {
    inWorker = (await page.evaluate(`window.inWorker(${EPOCHS})`)) as WorkerRun;
    expect(inWorker.backend).toBe('wasm');
    expect(inWorker.stepLosses).toHaveLength(EPOCHS * Math.ceil(1797 / 32));
    expect(inWorker.losses).toEqual(inWorker.stepLosses);
    // NOTE: none at all: the main thread only takes one small message per step.
    expect(inWorker.longTasks).toEqual([]);
  }, 120_000);

  it('the same training on the main thread blocks it with long tasks (the contrast)', async () => {
    const main = (await page.evaluate(`window.onMainThread(${EPOCHS})`)) as MainRun;
    expect(main.stepLosses).toEqual(node.losses);
    // Trainer yields every 50 ms (its yieldEvery), so each task it runs is a long one: the page
    // cannot answer input for most of the run.
    const blocked = main.longTasks.reduce((sum, t) => sum + t.duration, 0);
    expect(main.longTasks.length).toBeGreaterThan(0);
    expect(blocked).toBeGreaterThan(0.5 * main.ms);
  }, 120_000);

  it("the streamed losses are Node's on wasm with one thread, bitwise", () => {
    expect(inWorker.losses).toHaveLength(node.losses.length);
    expect(inWorker.losses).toEqual(node.losses);
  });

  it("getWeights' bytes load in Node and give Node's outputs; setWeights round-trips", () => {
    const bytes = Uint8Array.from(inWorker.weights);
    expect(bytes).toEqual(node.bytes);
    nabla.setBackend('wasm-worker-ref');
    try {
      const { tensors } = nabla.io.deserialize(bytes);
      nabla.manualSeed(2);
      const model = digitsMlp();
      model.loadStateDict(new Map(Object.entries(tensors)));
      const out = (m: nabla.nn.Module) =>
        nabla.noGrad(() => (m.forward as (x: nabla.Tensor) => nabla.Tensor)(node.x).tolist());
      expect(out(model)).toEqual(out(node.trainer.model));
    } finally {
      nabla.setBackend('cpu');
    }
    const tensorsOf = (b: Uint8Array) =>
      Object.fromEntries(
        Object.entries(nabla.io.deserialize(b, { device: 'cpu' }).tensors).map(([k, t]) => [
          k,
          t.tolist(),
        ]),
      );
    expect(tensorsOf(Uint8Array.from(inWorker.back))).toEqual(tensorsOf(otherBytes));
  });

  it('the console has no errors or warnings; the page and the worker each say which wasm runs', () => {
    expect(errors).toEqual([]);
    expect(notices.filter((n) => n.startsWith('nabla: using the wasm backend'))).toHaveLength(2);
  });
});

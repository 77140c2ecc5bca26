// The app the bundler tests ship (the seed network and the CLI's digits MLP, trained a few steps on
// wasm), Node's numbers for it at a given thread count, a static server and a page loader.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { expect } from 'vitest';
import { ROOT } from './cli.js';
import * as nabla from '../../src/index.js';
import { buildModel } from '../../src/cli/models.js';
import { Digits } from '../../src/data/node/digits.js';
import { createNodeWasmBackend } from '../../src/node/wasm.js';

/** The digits the page trains on: the first BATCH images of data/digits (the CLI's batch size). */
export const BATCH = 32;
export const DIGITS_FILE = join(ROOT, 'data', 'digits', 'digits.csv.gz');

// Both programs take nabla's namespace as `lib`, so Node runs the very text the page runs.
// The seed network (examples/seed.ts): Linear(2,2) → ReLU → Linear(2,1), MSE, SGD 0.01.
const TRAIN_SEED = `function trainSeed(lib) {
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

// The CLI's digits MLP (nabla train's default: --model mlp, Adam 0.001) on one fixed batch:
// pixels float32 [B*64] in [0, 1], labels int32 [B].
const TRAIN_DIGITS = `function trainDigits(lib, pixels, labels) {
  const { manualSeed, nn, optim, tensor } = lib;
  manualSeed(0);
  const model = new nn.Sequential(
    new nn.Flatten(),
    new nn.Linear(64, 256),
    new nn.ReLU(),
    new nn.Linear(256, 128),
    new nn.ReLU(),
    new nn.Linear(128, 10),
  );
  const criterion = new nn.CrossEntropyLoss();
  const optimizer = new optim.Adam(model.parameters(), { lr: 0.001 });
  const x = tensor(pixels).reshape([labels.length, 64]);
  const y = tensor(labels);
  const losses = [];
  for (let i = 0; i < 8; i++) {
    optimizer.zeroGrad();
    const loss = criterion.forward(model.forward(x), y);
    loss.backward();
    optimizer.step();
    losses.push(loss.item());
  }
  return { losses, device: model.get(1).weight.device, model: String(model) };
}`;

/**
 * The user's app: `import * as nabla from 'nabla'`, await ready(), read the first BATCH digits
 * from /digits.csv.gz (gunzipped in the page), train both, and leave the result on window.
 */
export const APP = `import * as nabla from 'nabla';
${TRAIN_SEED}
${TRAIN_DIGITS}
async function firstDigits(n) {
  // Some servers (Vite's dev server) send a .gz file with Content-Encoding: gzip, which the
  // browser undoes: gunzip here only what still starts with gzip's magic bytes.
  const bytes = new Uint8Array(await (await fetch('/digits.csv.gz')).arrayBuffer());
  const gzipped = bytes[0] === 0x1f && bytes[1] === 0x8b;
  const body = new Blob([bytes]).stream();
  const text = await new Response(
    gzipped ? body.pipeThrough(new DecompressionStream('gzip')) : body,
  ).text();
  const lines = text.split('\\n').slice(0, n);
  const pixels = new Float32Array(n * 64);
  const labels = new Int32Array(n);
  lines.forEach((line, i) => {
    const cells = line.split(',').map(Number);
    for (let k = 0; k < 64; k++) pixels[i * 64 + k] = cells[k] / 16;
    labels[i] = cells[64];
  });
  return { pixels, labels };
}
async function main() {
  await nabla.ready();
  const { pixels, labels } = await firstDigits(${BATCH});
  window.result = {
    seed: trainSeed(nabla),
    digits: trainDigits(nabla, pixels, labels),
    threads: nabla.getNumThreads().wasm,
  };
}
main().catch((e) => { window.result = { error: String(e && e.stack || e) }; });
`;

export interface Trained {
  losses: number[];
  device: string;
}

export interface AppResult {
  seed: Trained;
  digits: Trained & { model: string };
  threads: number;
  error?: string;
}

const references = new Map<number, AppResult>();

/**
 * What the app computes in Node on the wasm backend with `threads` threads (the page's count:
 * a threaded reduction may round differently from a single-threaded one).
 */
export async function nodeResult(threads: number): Promise<AppResult> {
  const known = references.get(threads);
  if (known !== undefined) return known;
  const name = `wasm-bundle-ref-${threads}`;
  await createNodeWasmBackend({ name, threads, register: true });
  const digits = new Digits();
  const run = new Function(`${TRAIN_SEED}\n${TRAIN_DIGITS}\nreturn [trainSeed, trainDigits];`);
  const [trainSeed, trainDigits] = run() as [
    (lib: object) => Trained,
    (lib: object, pixels: Float32Array, labels: Int32Array) => AppResult['digits'],
  ];
  nabla.setBackend(name);
  try {
    const result: AppResult = {
      seed: trainSeed(nabla),
      digits: trainDigits(
        nabla,
        digits.features.slice(0, BATCH * 64),
        digits.targets.slice(0, BATCH),
      ),
      threads,
    };
    // The page's MLP is the CLI's preset, layer for layer.
    expect(result.digits.model).toBe(String(buildModel('mlp', [64], 10)));
    references.set(threads, result);
    return result;
  } finally {
    nabla.setBackend('cpu');
  }
}

/** COOP/COEP: the headers that make a page cross-origin isolated (threads). */
export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
} as const;

const TYPES: Record<string, string> = {
  html: 'text/html',
  js: 'text/javascript',
  wasm: 'application/wasm',
  gz: 'application/gzip',
};

/**
 * A server on 127.0.0.1: `file(url, req)` names the file a URL serves (404 when undefined);
 * /digits.csv.gz is data/digits'; pages asked for with ?isolated get COOP/COEP.
 */
export async function serve(
  file: (url: URL, req: IncomingMessage) => string | undefined,
): Promise<{ server: Server; base: string }> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname === '/digits.csv.gz' ? DIGITS_FILE : file(url, req);
    if (path === undefined) {
      res.writeHead(404).end();
      return;
    }
    const headers = url.searchParams.has('isolated') ? ISOLATION_HEADERS : {};
    const type = TYPES[path.slice(path.lastIndexOf('.') + 1)] ?? 'application/octet-stream';
    res.writeHead(200, { ...headers, 'Content-Type': type }).end(readFileSync(path));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
  return { server, base: `http://127.0.0.1:${port}` };
}

/** An HTML page with no favicon request (so the console's only 404s are nabla's own tries). */
export function page(script: string): string {
  return `<!doctype html><link rel="icon" href="data:,">${script}`;
}

/**
 * Opens `url`, waits for window.result and returns it with nabla's console notices. Fails on
 * any page error or console error other than a 404 the test allows (`allow404`).
 */
export async function runApp(
  browser: Browser,
  url: string,
  allow404 = false,
): Promise<{ result: AppResult; notices: string[] }> {
  const tab = await browser.newPage();
  const notices: string[] = [];
  const errors: string[] = [];
  tab.on('console', (m) => {
    if (m.text().startsWith('nabla:')) notices.push(m.text());
    else if (m.type() === 'error' && !(allow404 && m.text().includes('404'))) errors.push(m.text());
  });
  tab.on('pageerror', (e) => errors.push(e.message));
  try {
    await tab.goto(url);
    await tab.waitForFunction("'result' in window", null, { timeout: 60_000 });
    const result = (await tab.evaluate('window.result')) as AppResult;
    expect(result.error).toBeUndefined();
    expect(errors).toEqual([]);
    return { result, notices };
  } finally {
    await tab.close();
  }
}

/** The page trained both networks on wasm and got Node's numbers at its thread count. */
export async function expectNodeNumbers(result: AppResult): Promise<void> {
  const node = await nodeResult(result.threads);
  expect(result.seed.device).toBe('wasm');
  expect(result.digits.device).toBe('wasm');
  expect(result.seed.losses).toEqual(node.seed.losses);
  expect(result.digits.losses).toEqual(node.digits.losses);
}

// The wasm backend in Node: reads kernels/build/*.wasm from this package and runs the threaded build
// on worker_threads.
import { defineOptions } from '../options.js';
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';
import type { FastBackend } from '../backend/fast/backend.js';
import {
  compileIfValid,
  createWasmBackend,
  type SpawnWorker,
  WASM_BACKEND_SPEC,
  type WasmBackendOptions,
} from '../backend/wasm/index.js';
import { WA } from '../backend/wasm/webassembly.js';

const CREATE_NODE_WASM_BACKEND = defineOptions<WasmBackendOptions>(
  'createNodeWasmBackend',
  WASM_BACKEND_SPEC,
);

const BUILD_DIR = new URL('../../kernels/build/', import.meta.url);

async function bytes(name: string): Promise<Uint8Array | undefined> {
  try {
    return await readFile(new URL(name, BUILD_DIR));
  } catch {
    return undefined;
  }
}

/**
 * Node 20's V8 (11.3) implements relaxed SIMD, final opcodes included, behind a flag that V8 11.4
 * (Node 22) turned on by default. The relaxed build's FMA makes wasm GEMM about 1.4x faster, so
 * when it does not validate we set the flag (it only adds instructions) and try again.
 */
function enableRelaxedSimd(relaxed: Uint8Array | undefined): void {
  if (relaxed === undefined || WA.validate(relaxed)) return;
  if (process.env.NABLA_WASM_RELAXED === '0') return;
  setFlagsFromString('--experimental-wasm-relaxed-simd');
}

/** A worker_threads worker running the wasm worker body; unref'd so it never keeps Node alive. */
const spawnNodeWorker: SpawnWorker = (body, init) =>
  new Promise((resolve, reject) => {
    const src = `const { workerData, parentPort } = require('node:worker_threads');
${body}(workerData, () => parentPort.postMessage('ready'));`;
    const w = new Worker(src, { eval: true, workerData: init });
    w.once('message', () => {
      w.unref();
      resolve(w);
    });
    w.once('error', reject);
  });

/**
 * Creates the wasm backend from the committed modules (not registered unless options.register).
 * Threads default to the number of CPUs; 1 uses the single-threaded build and no workers.
 */
export async function createNodeWasmBackend(
  options: WasmBackendOptions = {},
): Promise<FastBackend> {
  CREATE_NODE_WASM_BACKEND.checkGiven(options);
  const threads = options.threads ?? availableParallelism();
  const [plain, relaxed, mt, mtRelaxed] = await Promise.all([
    bytes('nabla.wasm'),
    bytes('nabla-relaxed.wasm'),
    threads > 1 ? bytes('nabla-mt.wasm') : undefined,
    threads > 1 ? bytes('nabla-mt-relaxed.wasm') : undefined,
  ]);
  enableRelaxedSimd(relaxed);
  const p = await compileIfValid(plain);
  if (p === undefined) throw new Error('kernels/build/nabla.wasm is missing or invalid');
  return createWasmBackend(
    {
      plain: p,
      relaxed: await compileIfValid(relaxed),
      mt: await compileIfValid(mt),
      mtRelaxed: await compileIfValid(mtRelaxed),
    },
    { register: false, ...options, threads, spawn: spawnNodeWorker, canWait: true },
  );
}

// The wasm backend, browser-safe: instantiates the committed kernels/build/*.wasm (SIMD128, with
// relaxed-SIMD FMA where the engine validates it; threaded over Web Workers when the page is
// cross-origin isolated) and registers it. Node loads the bytes itself: src/node/wasm.ts.
import { defineOptions, type Spec } from '../../options.js';
import { NablaError } from '../../errors.js';
import { registerBackend } from '../registry.js';
import { makeFastBackend, type FastBackend, type FastThresholds } from '../fast/backend.js';
import { checkContract } from '../fast/contract.js';
import { KERNEL_NAMES, WasmEngine, type WasmKernelExports } from './engine.js';
import {
  CTRL_INTS,
  SharedPool,
  WORKER_BODY,
  WORKER_STACK_BYTES,
  type WorkerInit,
} from './threads.js';
import { WA, type Bytes, type WasmMemory, type WasmModule } from './webassembly.js';
import type { Backend } from '../backend.js';

/** The keys of the wasm backend's options (createNodeWasmBackend takes the same). */
export const WASM_BACKEND_SPEC: Spec<WasmBackendOptions> = {
  name: 'string',
  threads: 'number',
  spawn: 'function',
  canWait: 'boolean',
  thresholds: 'object',
  relaxedSimd: 'boolean',
  register: 'boolean',
};
const CREATE_WASM_BACKEND = defineOptions<WasmBackendOptions>(
  'createWasmBackend',
  WASM_BACKEND_SPEC,
);
const LOAD_WASM_BACKEND = defineOptions<WasmBackendOptions>('loadWasmBackend', WASM_BACKEND_SPEC);

/**
 * The least work that goes to the wasm kernels: they copy their operands in and out, so cheap
 * elementwise ops need more elements to win. Measured with scripts/measure-fast.ts (Node 20);
 * see docs/kernels.md.
 */
export const WASM_THRESHOLDS: FastThresholds = {
  gemm: 512,
  elementwise: 1024,
  transcendental: 64,
  reduce: 256,
  optim: 256,
  index: 64,
};

/** The compiled variants; `mt` ones import a shared memory and run on workers. */
export interface WasmModules {
  readonly plain: WasmModule;
  readonly relaxed?: WasmModule | undefined;
  readonly mt?: WasmModule | undefined;
  readonly mtRelaxed?: WasmModule | undefined;
}

/** Starts a worker running WORKER_BODY with `init`; resolves once it is ready. */
export type SpawnWorker = (body: string, init: WorkerInit) => Promise<{ terminate(): unknown }>;

export interface WasmBackendOptions {
  /** Registered under this name (default 'wasm'). */
  readonly name?: string;
  /** Threads, the calling one included (default 1; more need a threaded module and `spawn`). */
  readonly threads?: number;
  /** How workers start: Node's worker_threads (src/node/wasm.ts) or the browser's Web Workers. */
  readonly spawn?: SpawnWorker;
  /** Atomics.wait may block the calling thread (true in Node; false on a browser's main thread). */
  readonly canWait?: boolean;
  readonly thresholds?: Partial<FastThresholds>;
  /** Use the relaxed-SIMD (FMA) build when the engine validates it (default true). */
  readonly relaxedSimd?: boolean;
  /** Register the backend (default true). */
  readonly register?: boolean;
}

/**
 * Throws a NablaError naming what differs when the module's kernel contract (a NUL-terminated
 * string at nb_wasm_contract() in its memory) is not the one this nabla's tables expect.
 */
export function checkWasmContract(x: WasmKernelExports, memory: WasmMemory): void {
  let contract: string | undefined;
  if (typeof x.nb_wasm_contract === 'function') {
    const bytes = new Uint8Array(memory.buffer);
    const at = x.nb_wasm_contract();
    let end = at;
    while (end < bytes.length && bytes[end] !== 0) end++;
    contract = String.fromCharCode(...bytes.subarray(at, end));
  }
  checkContract(
    'the wasm kernel module',
    contract,
    'Rebuild kernels/build with scripts/build-wasm.sh (or reinstall nabla).',
  );
}

/** The backend over already compiled modules (the variant is chosen here). */
export async function createWasmBackend(
  modules: WasmModules,
  options: WasmBackendOptions = {},
): Promise<FastBackend> {
  CREATE_WASM_BACKEND.checkGiven(options);
  const threads = Math.max(1, Math.floor(options.threads ?? 1));
  const relaxed = options.relaxedSimd ?? true;
  const useMt =
    threads > 1 &&
    options.spawn !== undefined &&
    modules.mt !== undefined &&
    typeof SharedArrayBuffer !== 'undefined';
  let engine: WasmEngine;
  let version: string;
  if (useMt) {
    const module = (relaxed ? modules.mtRelaxed : undefined) ?? modules.mt!;
    version = module === modules.mtRelaxed ? 'simd128+relaxed+threads' : 'simd128+threads';
    // 4 MiB initial (the build's --initial-memory), at most 2 GiB (--max-memory).
    const memory = new WA.Memory({ initial: 64, maximum: 32768, shared: true });
    const inst = await WA.instantiate(module, { env: { memory } });
    const x = inst.exports as unknown as WasmKernelExports;
    checkWasmContract(x, memory);
    const heap = Number(x.__heap_base.value);
    const ctrl = Math.ceil(heap / 64) * 64;
    const stacks = ctrl + 256;
    const arena = stacks + (threads - 1) * WORKER_STACK_BYTES;
    const need = arena + (1 << 20) - memory.buffer.byteLength;
    if (need > 0) memory.grow(Math.ceil(need / 65536));
    new Int32Array(memory.buffer, ctrl, CTRL_INTS).fill(0);
    const spawn = options.spawn!;
    await Promise.all(
      Array.from({ length: threads - 1 }, (_, i) =>
        spawn(WORKER_BODY, {
          module,
          memory,
          ctrl,
          stackTop: stacks + (i + 1) * WORKER_STACK_BYTES,
          tid: i + 1,
          names: KERNEL_NAMES,
        }),
      ),
    );
    const pool = new SharedPool(x, memory, ctrl, threads - 1, options.canWait ?? false);
    engine = new WasmEngine(x, memory, arena, pool);
  } else {
    const module = (relaxed ? modules.relaxed : undefined) ?? modules.plain;
    version = module === modules.relaxed ? 'simd128+relaxed' : 'simd128';
    // A threaded build given alone (no workers) still needs its shared memory from us.
    const threaded = WA.Module.imports(module).some((i) => i.kind === 'memory');
    const imported = threaded
      ? new WA.Memory({ initial: 64, maximum: 32768, shared: true })
      : undefined;
    const inst = await WA.instantiate(module, imported ? { env: { memory: imported } } : {});
    const x = inst.exports as unknown as WasmKernelExports;
    const mem = imported ?? x.memory!;
    checkWasmContract(x, mem);
    engine = new WasmEngine(x, mem, Number(x.__heap_base.value));
  }
  const backend = makeFastBackend(options.name ?? 'wasm', version, engine, {
    ...WASM_THRESHOLDS,
    ...options.thresholds,
  });
  if (options.register ?? true) registerBackend(backend as unknown as Backend);
  return backend;
}

/** Compiles `bytes` when they validate (a relaxed-SIMD build does not on older engines). */
export async function compileIfValid(bytes: Bytes | undefined): Promise<WasmModule | undefined> {
  if (bytes === undefined || !WA.validate(bytes)) return undefined;
  return WA.compile(bytes);
}

/**
 * Where the committed modules are, relative to this file (src/ or dist/); literal `new URL(…,
 * import.meta.url)` expressions so that bundlers find and copy them.
 */
function defaultUrls(): { plain: URL; relaxed: URL; mt: URL; mtRelaxed: URL } {
  return {
    plain: new URL('../../../kernels/build/nabla.wasm', import.meta.url),
    relaxed: new URL('../../../kernels/build/nabla-relaxed.wasm', import.meta.url),
    mt: new URL('../../../kernels/build/nabla-mt.wasm', import.meta.url),
    mtRelaxed: new URL('../../../kernels/build/nabla-mt-relaxed.wasm', import.meta.url),
  };
}

async function fetchBytes(url: URL): Promise<ArrayBuffer | undefined> {
  try {
    const r = await fetch(url);
    return r.ok ? await r.arrayBuffer() : undefined;
  } catch {
    return undefined;
  }
}

/** The part of the browser's Worker this module uses (the core's types have no DOM). */
interface WebWorker {
  onmessage: ((e: unknown) => void) | null;
  onerror: ((e: { message: string }) => void) | null;
  postMessage(data: unknown): void;
  terminate(): void;
}
type WebWorkerCtor = new (url: string) => WebWorker;
const WebWorkerClass = (globalThis as { Worker?: WebWorkerCtor }).Worker;

/** Web Workers from a Blob URL (browsers): the worker waits for its init message. */
const spawnWebWorker: SpawnWorker = (body, init) =>
  new Promise((resolve, reject) => {
    const src = `self.onmessage = (e) => { self.onmessage = null; ${body}(e.data, () => self.postMessage('ready')); };`;
    const url = URL.createObjectURL(new Blob([src], { type: 'text/javascript' }));
    const w = new WebWorkerClass!(url);
    w.onmessage = () => {
      URL.revokeObjectURL(url);
      resolve(w);
    };
    w.onerror = (e) => reject(new NablaError(`wasm worker failed: ${e.message}`));
    w.postMessage(init);
  });

/**
 * Loads the wasm backend and registers it. With bytes (or a URL) of one module, that module is
 * used; without, the variants are fetched from kernels/build/ next to this package and the best
 * one the engine supports is taken. Threads (options.threads > 1) need a cross-origin isolated
 * page in browsers; Node should use src/node (loadFastBackends) instead.
 */
export async function loadWasmBackend(
  bytesOrUrl?: Bytes | URL | string,
  options: WasmBackendOptions = {},
): Promise<FastBackend> {
  LOAD_WASM_BACKEND.checkGiven(options);
  if (bytesOrUrl !== undefined) {
    const bytes =
      typeof bytesOrUrl === 'string' || bytesOrUrl instanceof URL
        ? await fetchBytes(new URL(bytesOrUrl, import.meta.url))
        : bytesOrUrl;
    if (bytes === undefined)
      throw new NablaError(`could not load wasm kernels from ${String(bytesOrUrl)}`);
    const module = await WA.compile(bytes);
    const threaded = WA.Module.imports(module).some((i) => i.kind === 'memory');
    return createWasmBackend(threaded ? { plain: module, mt: module } : { plain: module }, options);
  }
  const urls = defaultUrls();
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  const threads = options.threads ?? 1;
  const wantMt = threads > 1 && isolated && WebWorkerClass !== undefined;
  const [plain, relaxed, mt, mtRelaxed] = await Promise.all([
    fetchBytes(urls.plain),
    fetchBytes(urls.relaxed),
    wantMt ? fetchBytes(urls.mt) : undefined,
    wantMt ? fetchBytes(urls.mtRelaxed) : undefined,
  ]);
  if (plain === undefined) throw new NablaError('could not load kernels/build/nabla.wasm');
  return createWasmBackend(
    {
      plain: await WA.compile(plain),
      relaxed: await compileIfValid(relaxed),
      mt: await compileIfValid(mt),
      mtRelaxed: await compileIfValid(mtRelaxed),
    },
    { ...options, ...(wantMt ? { spawn: options.spawn ?? spawnWebWorker } : {}) },
  );
}

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
import {
  fetchFailed,
  fetchWasm,
  inlinedWasm,
  packagedWasmUrls,
  resolveWasmUrl,
  usesRelaxedSimd,
  type FetchFailure,
} from './locate.js';
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

/** What loadWasm loaded, from where, and why it runs the build it runs (for one console notice). */
export interface WasmLoad {
  readonly backend: FastBackend;
  /** The URL the module came from, 'the inlined kernels' or 'the bytes given'. */
  readonly source: string;
  /** Why the build is what it is: one thread's reason, a fallback's cause. */
  readonly notes: readonly string[];
}

const page = globalThis as {
  crossOriginIsolated?: boolean;
  navigator?: { hardwareConcurrency?: number };
};

/** Why a browser page cannot run threads here, or undefined when it can. */
function noThreadsReason(): string | undefined {
  if (page.crossOriginIsolated !== true)
    return 'the page is not cross-origin isolated (threads need it to be served with the headers Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp)';
  if (WebWorkerClass === undefined) return 'there are no Web Workers here';
  if (typeof SharedArrayBuffer === 'undefined') return 'there is no SharedArrayBuffer here';
  return undefined;
}

function oneThreadReason(options: WasmBackendOptions, noThreads: string | undefined): string {
  if (options.threads !== undefined && options.threads < 2) return 'one thread: as asked (threads)';
  return `one thread: ${noThreads ?? 'no way to start workers was given (spawn)'}`;
}

async function compileFrom(bytes: Bytes, source: string): Promise<WasmModule> {
  try {
    return await WA.compile(bytes);
  } catch (e) {
    throw new NablaError(
      `could not compile the wasm kernels from ${source}: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
}

/** One module the caller gave (bytes or a URL): its kind (threaded, relaxed) read from it. */
async function loadGiven(
  bytesOrUrl: Bytes | URL | string,
  options: WasmBackendOptions,
  threads: number,
  noThreads: string | undefined,
): Promise<WasmLoad> {
  let bytes: Bytes;
  let source = 'the bytes given';
  if (typeof bytesOrUrl === 'string' || bytesOrUrl instanceof URL) {
    const url = resolveWasmUrl(bytesOrUrl);
    const got = await fetchWasm(url);
    if (fetchFailed(got))
      throw new NablaError(`could not load the wasm kernels from ${got.url}: ${got.why}`);
    bytes = got;
    source = url.href;
  } else bytes = bytesOrUrl;
  const module = await compileFrom(bytes, source);
  const threaded = WA.Module.imports(module).some((i) => i.kind === 'memory');
  const relaxed = usesRelaxedSimd(bytes);
  const modules: WasmModules = threaded
    ? { plain: module, mt: module, ...(relaxed ? { mtRelaxed: module } : {}) }
    : { plain: module, ...(relaxed ? { relaxed: module } : {}) };
  const spawn = options.spawn ?? (threaded && noThreads === undefined ? spawnWebWorker : undefined);
  const backend = await createWasmBackend(modules, {
    ...options,
    threads,
    ...(spawn ? { spawn } : {}),
  });
  const notes: string[] = [];
  if (backend.engine.numThreads === 1)
    notes.push(
      !threaded
        ? `one thread: the module from ${source} is the single-threaded build`
        : oneThreadReason(options, noThreads),
    );
  return { backend, source, notes };
}

/**
 * Loads the wasm kernels and registers the backend, saying where they came from and why that
 * build runs. Without a module given: the committed builds next to this package (the URL form
 * bundlers copy), and when those are not there, the inlined single-threaded build.
 */
export async function loadWasm(
  bytesOrUrl?: Bytes | URL | string,
  options: WasmBackendOptions = {},
): Promise<WasmLoad> {
  const noThreads = noThreadsReason();
  const threads = Math.max(
    1,
    Math.floor(
      options.threads ??
        (noThreads === undefined ? Math.min(page.navigator?.hardwareConcurrency ?? 1, 8) : 1),
    ),
  );
  if (bytesOrUrl !== undefined) return loadGiven(bytesOrUrl, options, threads, noThreads);
  const notes: string[] = [];
  if (threads === 1) notes.push(oneThreadReason(options, noThreads));
  const urls = packagedWasmUrls();
  const plain = urls === undefined ? undefined : await fetchWasm(urls.plain);
  if (plain === undefined || fetchFailed(plain)) {
    notes.unshift(
      plain === undefined
        ? 'this code has no import.meta.url or <script> URL to find kernels/build/*.wasm from, so the inlined single-threaded build runs (for threads, serve nabla-mt.wasm and pass its URL: loadWasmBackend(url))'
        : `kernels/build/nabla.wasm is not at ${plain.url} (${plain.why}), so the inlined single-threaded build runs (for threads, serve kernels/build/*.wasm there; see docs/browser.md)`,
    );
    const backend = await createWasmBackend(
      { plain: await compileFrom(await inlinedWasm(), 'the inlined kernels') },
      { ...options, threads: 1 },
    );
    return { backend, source: 'the inlined kernels', notes };
  }
  const wantMt = threads > 1 && noThreads === undefined;
  const [relaxed, mt, mtRelaxed] = await Promise.all([
    fetchWasm(urls!.relaxed),
    wantMt ? fetchWasm(urls!.mt) : undefined,
    wantMt ? fetchWasm(urls!.mtRelaxed) : undefined,
  ]);
  if (fetchFailed(mt)) notes.push(`one thread: the threaded build is not at ${mt.url} (${mt.why})`);
  const ok = (x: ArrayBuffer | FetchFailure | undefined) => (fetchFailed(x) ? undefined : x);
  const backend = await createWasmBackend(
    {
      plain: await compileFrom(plain, urls!.plain.href),
      relaxed: await compileIfValid(ok(relaxed)),
      mt: await compileIfValid(ok(mt)),
      mtRelaxed: await compileIfValid(ok(mtRelaxed)),
    },
    {
      ...options,
      threads,
      ...(wantMt ? { spawn: options.spawn ?? spawnWebWorker } : {}),
    },
  );
  const module = backend.version.includes('threads')
    ? backend.version.includes('relaxed')
      ? urls!.mtRelaxed
      : urls!.mt
    : backend.version.includes('relaxed')
      ? urls!.relaxed
      : urls!.plain;
  return { backend, source: module.href, notes };
}

/**
 * Loads the wasm backend and registers it. With bytes (or a URL) of one module, that module is
 * used (threaded or not, relaxed or not, as it was built); without, the builds next to this
 * package are fetched and the best one the engine supports is taken, or the inlined
 * single-threaded build when they are not there (docs/browser.md). Threads default to the
 * number of cores (at most 8) in a cross-origin isolated page, else 1. Node should use src/node
 * (loadFastBackends) instead.
 */
export async function loadWasmBackend(
  bytesOrUrl?: Bytes | URL | string,
  options: WasmBackendOptions = {},
): Promise<FastBackend> {
  LOAD_WASM_BACKEND.checkGiven(options);
  return (await loadWasm(bytesOrUrl, options)).backend;
}

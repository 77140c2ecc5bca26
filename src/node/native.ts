// The native backend (Node only): the N-API addon build/Release/nabla.node, which runs the C kernels
// on the typed arrays' own memory (zero copy) with its own thread pool.
import { defineOptions } from '../options.js';
import { existsSync } from 'node:fs';
import { NablaError } from '../errors.js';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { FastEngine, Operand, ReduceOut } from '../backend/fast/engine.js';
import { makeFastBackend, type FastBackend, type FastThresholds } from '../backend/fast/backend.js';
import { Meta } from '../backend/fast/meta.js';
import { checkContract } from '../backend/fast/contract.js';

const CREATE_NATIVE_BACKEND = defineOptions<NativeBackendOptions>('createNativeBackend', {
  name: 'string',
  threads: 'integer',
  thresholds: 'object',
});

/** The addon's exports (kernels/napi/addon.c); the fused updates take the engine's arrays as they are. */
interface NativeAddon extends Pick<FastEngine, 'sgd' | 'adam'> {
  readonly isa: string;
  readonly abi: number;
  /** nabla.h's NB_CONTRACT as the addon was built (absent before ABI 5). */
  readonly contract?: string;
  init(meta: Int32Array): void;
  setNumThreads(n: number): number;
  getNumThreads(): number;
  defaultThreads(): number;
  /** GFLOP/s of an FMA-bound loop run once on each of `threads` threads (the machine's peak). */
  fmaPeak(threads: number): number;
  sgemm(c: Float32Array, a: Float32Array, b: Float32Array, bias?: Float32Array): void;
  unary(out: Float32Array, x: Float32Array): void;
  binary(out: Float32Array, a: Float32Array, b: Float32Array): void;
  fused(out: Float32Array, ...leaves: Float32Array[]): void;
  compare(out: Uint8Array, a: Float32Array, b: Float32Array): void;
  where(out: Float32Array, c: Uint8Array, a: Float32Array, b: Float32Array): void;
  reduce(out: ReduceOut, x: Float32Array): void;
  bnStats(out: Float32Array, x: Float32Array, coef?: Float32Array, g?: Float32Array): void;
  bnApply(out: Float32Array, x: Float32Array, coef: Float32Array, g?: Float32Array): void;
  unfold(out: Float32Array, x: Float32Array): void;
  fold(out: Float32Array, cols: Float32Array): void;
  maxpoolIndex(out: Int32Array, x: Float32Array): void;
  logSoftmax(out: Float32Array, x: Float32Array): void;
  conv2d(out: Float32Array, x: Float32Array, w: Float32Array, bias?: Float32Array): void;
  conv2dWgrad(out: Float32Array, grad: Float32Array, x: Float32Array): void;
  conv2dDgrad(out: Float32Array, grad: Float32Array, w: Float32Array): void;
  /** False when an index was out of range. */
  gather(out: Float32Array, x: Float32Array, index: Int32Array): boolean;
  /** out = x, then src scattered at index; false when an index was out of range. */
  scatter(out: Float32Array, x: Float32Array, index: Int32Array, src: Float32Array): boolean;
  /** Zeros, then g added at index per plane (meta: nabla.h NB_MB_*). */
  maxPoolBackward(out: Float32Array, g: Float32Array, index: Int32Array): void;
}

/**
 * The least work that goes to the addon (below it the JavaScript kernels are as fast: a call costs
 * about 1-2 µs of argument handling). Measured with scripts/measure-fast.ts; see docs/kernels.md.
 */
export const NATIVE_THRESHOLDS: FastThresholds = {
  gemm: 512,
  elementwise: 256,
  transcendental: 32,
  reduce: 64,
  optim: 64,
  index: 64,
};

/** Where the addon is: NABLA_NATIVE_PATH, else build/Release/nabla.node in this package. */
export function nativeAddonPath(): string {
  return (
    process.env.NABLA_NATIVE_PATH ??
    fileURLToPath(new URL('../../build/Release/nabla.node', import.meta.url))
  );
}

class NativeEngine implements FastEngine {
  readonly meta = new Meta();
  readonly copiesInputs = false;
  readonly #a: NativeAddon;

  constructor(addon: NativeAddon) {
    this.#a = addon;
    addon.init(this.meta.all);
  }

  get numThreads(): number {
    return this.#a.getNumThreads();
  }
  setNumThreads(n: number): number {
    return this.#a.setNumThreads(n);
  }
  sgemm(out: Float32Array, a: Operand, b: Operand, bias?: Operand): void {
    if (bias === undefined) this.#a.sgemm(out, a.data, b.data);
    else this.#a.sgemm(out, a.data, b.data, bias.data);
  }
  unary(out: Float32Array, x: Operand): void {
    this.#a.unary(out, x.data);
  }
  binary(out: Float32Array, a: Operand, b: Operand): void {
    this.#a.binary(out, a.data, b.data);
  }
  fused(out: Float32Array, leaves: readonly Operand[]): void {
    this.#a.fused(out, ...leaves.map((l) => l.data));
  }
  compare(out: Uint8Array, a: Operand, b: Operand): void {
    this.#a.compare(out, a.data, b.data);
  }
  where(out: Float32Array, c: Operand<Uint8Array>, a: Operand, b: Operand): void {
    this.#a.where(out, c.data, a.data, b.data);
  }
  reduce(out: ReduceOut, x: Operand): void {
    this.#a.reduce(out, x.data);
  }
  bnStats(out: Float32Array, x: Operand, coef: Operand | null, g: Operand | null): void {
    if (coef === null) this.#a.bnStats(out, x.data);
    else if (g === null) this.#a.bnStats(out, x.data, coef.data);
    else this.#a.bnStats(out, x.data, coef.data, g.data);
  }
  bnApply(out: Float32Array, x: Operand, coef: Operand, g: Operand | null): void {
    if (g === null) this.#a.bnApply(out, x.data, coef.data);
    else this.#a.bnApply(out, x.data, coef.data, g.data);
  }
  unfold(out: Float32Array, x: Operand): void {
    this.#a.unfold(out, x.data);
  }
  fold(out: Float32Array, cols: Operand): void {
    this.#a.fold(out, cols.data);
  }
  maxPoolIndex(out: Int32Array, x: Operand): void {
    this.#a.maxpoolIndex(out, x.data);
  }
  logSoftmax(out: Float32Array, x: Operand): void {
    this.#a.logSoftmax(out, x.data);
  }
  conv2d(out: Float32Array, x: Operand, weight: Operand, bias: Operand | null): void {
    if (bias === null) this.#a.conv2d(out, x.data, weight.data);
    else this.#a.conv2d(out, x.data, weight.data, bias.data);
  }
  conv2dWeightGrad(out: Float32Array, grad: Operand, x: Operand): void {
    this.#a.conv2dWgrad(out, grad.data, x.data);
  }
  conv2dInputGrad(out: Float32Array, grad: Operand, weight: Operand): void {
    this.#a.conv2dDgrad(out, grad.data, weight.data);
  }
  gather(out: Float32Array, x: Operand, index: Operand<Int32Array>): boolean {
    return this.#a.gather(out, x.data, index.data);
  }
  scatter(out: Float32Array, x: Operand, index: Operand<Int32Array>, src: Operand): boolean {
    return this.#a.scatter(out, x.data, index.data, src.data);
  }
  maxPoolBackward(out: Float32Array, g: Operand, index: Operand<Int32Array>): void {
    this.#a.maxPoolBackward(out, g.data, index.data);
  }
  sgd(p: Float32Array, g: Float32Array, buf: Float32Array | null): void {
    this.#a.sgd(p, g, buf);
  }
  adam(
    p: Float32Array,
    g: Float32Array,
    m: Float32Array,
    v: Float32Array,
    vmax: Float32Array | null,
  ): void {
    this.#a.adam(p, g, m, v, vmax);
  }
}

export interface NativeBackendOptions {
  readonly name?: string;
  /** Threads of the addon's pool (default: the number of CPUs). */
  readonly threads?: number;
  readonly thresholds?: Partial<FastThresholds>;
}

function loadAddon(): NativeAddon {
  const require = createRequire(import.meta.url);
  const path = nativeAddonPath();
  if (!existsSync(path))
    throw new NablaError(`no addon built: ${path} is missing (the install found no C compiler?)`);
  const addon = require(path) as NativeAddon;
  checkAddon(addon, path);
  return addon;
}

/**
 * Throws a NablaError naming what differs when the addon's kernel contract (its op tables and
 * scalar layouts) is not the one this nabla's tables expect.
 */
export function checkAddon(addon: { readonly contract?: unknown }, path = nativeAddonPath()): void {
  checkContract(`the native addon ${path}`, addon.contract, 'Run npm run build:native.');
}

/**
 * The machine's float32 FMA peak in GFLOP/s, measured by a small probe in the addon's widest ISA
 * on `threads` threads (at most the pool's size); null when the addon is unavailable.
 */
export function nativeFmaPeak(threads = 1): number | null {
  try {
    return loadAddon().fmaPeak(threads);
  } catch {
    return null;
  }
}

/** Loads the addon and makes the backend (not registered); throws when the addon is missing. */
export function createNativeBackend(options: NativeBackendOptions = {}): FastBackend {
  CREATE_NATIVE_BACKEND.checkGiven(options);
  const addon = loadAddon();
  if (options.threads !== undefined) addon.setNumThreads(options.threads);
  return makeFastBackend(options.name ?? 'native', addon.isa, new NativeEngine(addon), {
    ...NATIVE_THRESHOLDS,
    ...options.thresholds,
  });
}

// The wasm engine: copies operands into the module's linear memory (a scratch arena above
// __heap_base, grown as needed), runs a kernel (on worker threads too when a pool is attached),
// and copies the output back into the caller's typed array.
import type { FastEngine, Operand, ReduceOut } from '../fast/engine.js';
import { META_BYTES, Meta, X_COPY } from '../fast/meta.js';
import type { WasmGlobal, WasmMemory } from './webassembly.js';

/** The module's exports (kernels/wasm/api.c; names fixed by scripts/build-wasm.sh). */
export interface WasmKernelExports {
  readonly memory?: WasmMemory;
  readonly __heap_base: WasmGlobal;
  readonly __stack_pointer?: WasmGlobal;
  nb_wasm_abi(): number;
  /** The address of nabla.h's NB_CONTRACT in memory (absent before ABI 5). */
  nb_wasm_contract?(): number;
  nb_wasm_sgemm_ws_floats(meta: number): number;
  nb_wasm_gemm(...args: number[]): void;
  nb_wasm_unary(...args: number[]): void;
  nb_wasm_binary(...args: number[]): void;
  nb_wasm_compare(...args: number[]): void;
  nb_wasm_where(...args: number[]): void;
  nb_wasm_reduce(...args: number[]): void;
  nb_wasm_sgd(...args: number[]): void;
  nb_wasm_adam(...args: number[]): void;
  nb_wasm_unfold(...args: number[]): void;
  nb_wasm_fold(...args: number[]): void;
  nb_wasm_maxpool_index(...args: number[]): void;
  nb_wasm_log_softmax(...args: number[]): void;
  nb_wasm_bn_stats(...args: number[]): void;
  nb_wasm_bn_apply(...args: number[]): void;
  nb_wasm_conv_ws_floats(meta: number): number;
  nb_wasm_conv_partials_floats(meta: number): number;
  nb_wasm_conv(...args: number[]): void;
  nb_wasm_conv_wgrad(...args: number[]): void;
  nb_wasm_conv2d_wgrad_sum(...args: number[]): void;
  nb_wasm_conv_dgrad(...args: number[]): void;
  nb_wasm_gather(...args: number[]): void;
  nb_wasm_scatter(...args: number[]): void;
  nb_wasm_fused(...args: number[]): void;
  nb_wasm_maxpool_backward(...args: number[]): void;
}

/** The kernels a thread pool can run, by index (workers look them up by these names). */
export const KERNEL_NAMES = [
  'nb_wasm_gemm',
  'nb_wasm_unary',
  'nb_wasm_binary',
  'nb_wasm_compare',
  'nb_wasm_where',
  'nb_wasm_reduce',
  'nb_wasm_sgd',
  'nb_wasm_adam',
  'nb_wasm_unfold',
  'nb_wasm_fold',
  'nb_wasm_maxpool_index',
  'nb_wasm_log_softmax',
  'nb_wasm_bn_stats',
  'nb_wasm_bn_apply',
  'nb_wasm_conv',
  'nb_wasm_conv_wgrad',
  'nb_wasm_conv2d_wgrad_sum',
  'nb_wasm_conv_dgrad',
  'nb_wasm_gather',
  'nb_wasm_scatter',
  'nb_wasm_fused',
  'nb_wasm_maxpool_backward',
] as const;
export type KernelName = (typeof KERNEL_NAMES)[number];

/** Shares per thread of a parallel call (a late thread leaves its shares to the others). */
export const SHARES_PER_THREAD = 4;
/**
 * GEMM takes fewer, larger shares: every share packs its own copy of the operand it does not
 * split, so more shares mean more packing. (The native addon takes one per thread; wasm keeps two,
 * since its workers wake through Atomics.wait and start later. Not re-measured for wasm.)
 */
const GEMM_SHARES_PER_THREAD = 2;

/** Runs kernel `name` with `args` (addresses and sizes) as `shares` shares on nt threads. */
export interface WasmThreadPool {
  readonly size: number;
  run(name: KernelName, args: readonly number[], shares: number, nt: number): void;
}

/** Work below which a call runs on one thread: the same thresholds as the native addon. */
const PAR_GEMM_FLOPS = 2 ** 21;
const PAR_ELEMENTS = 2 ** 17;
const PAGE = 65536;

type View = Float32Array | Int32Array | Uint8Array;

export class WasmEngine implements FastEngine {
  readonly meta = new Meta();
  readonly copiesInputs = true;
  readonly #x: WasmKernelExports;
  readonly #memory: WasmMemory;
  readonly #base: number;
  #top = 0;
  #buffer: ArrayBufferLike | null = null;
  #u8: Uint8Array = new Uint8Array(0);
  #f32: Float32Array = new Float32Array(0);
  #i32: Int32Array = new Int32Array(0);
  #pool: WasmThreadPool | null;
  #threads = 1;

  /**
   * `arenaBase` is the first address the engine may use (above __heap_base and anything a thread
   * pool reserved); `pool` runs shares on workers when the module is the threaded build.
   */
  constructor(
    exports: WasmKernelExports,
    memory: WasmMemory,
    arenaBase: number,
    pool: WasmThreadPool | null = null,
  ) {
    this.#x = exports;
    this.#memory = memory;
    this.#base = align(arenaBase);
    this.#pool = pool;
    this.#threads = pool === null ? 1 : pool.size;
  }

  get numThreads(): number {
    return this.#threads;
  }

  setNumThreads(n: number): number {
    const max = this.#pool === null ? 1 : this.#pool.size;
    this.#threads = Math.max(1, Math.min(max, Math.floor(n)));
    return this.#threads;
  }

  // ---- arena ----

  #begin(): number {
    this.#top = this.#base;
    return this.#alloc(META_BYTES);
  }

  #alloc(bytes: number): number {
    const p = align(this.#top);
    this.#top = p + bytes;
    return p;
  }

  /** Grows the memory to cover the arena, refreshes the views and writes the meta block. */
  #ready(metaPtr: number): void {
    const need = this.#top - this.#memory.buffer.byteLength;
    if (need > 0) this.#memory.grow(Math.ceil(need / PAGE));
    const buf = this.#memory.buffer;
    if (buf !== this.#buffer || this.#u8.byteLength !== buf.byteLength) {
      this.#buffer = buf;
      this.#u8 = new Uint8Array(buf);
      this.#f32 = new Float32Array(buf);
      this.#i32 = new Int32Array(buf);
    }
    this.#u8.set(new Uint8Array(this.meta.buffer), metaPtr);
  }

  #view(data: View): View {
    return data instanceof Float32Array
      ? this.#f32
      : data instanceof Int32Array
        ? this.#i32
        : this.#u8;
  }

  /** Reserves room for an operand's extent; returns its address. */
  #reserve(o: Operand<View>): number {
    return this.#alloc((o.hi - o.lo) * o.data.BYTES_PER_ELEMENT);
  }

  #copyIn(o: Operand<View>, ptr: number): void {
    if (o.hi > o.lo)
      this.#view(o.data).set(o.data.subarray(o.lo, o.hi), ptr / o.data.BYTES_PER_ELEMENT);
  }

  #copyOut(out: View, ptr: number, n = out.length): void {
    const v = this.#view(out);
    const at = ptr / out.BYTES_PER_ELEMENT;
    out.set(v.subarray(at, at + n));
  }

  #run(
    name: KernelName,
    args: number[],
    work: number,
    threshold: number,
    perThread = SHARES_PER_THREAD,
  ): void {
    const nt = work >= threshold ? this.#threads : 1;
    if (nt > 1 && this.#pool !== null) this.#pool.run(name, args, nt * perThread, nt);
    else (this.#x[name] as (...a: number[]) => void)(...args, 0, 1);
  }

  // ---- kernels ----

  sgemm(out: Float32Array, a: Operand, b: Operand, bias?: Operand): void {
    const m = this.#begin();
    const pa = this.#reserve(a);
    const pb = this.#reserve(b);
    const pbias = bias === undefined ? 0 : this.#reserve(bias);
    const pc = this.#alloc(out.byteLength);
    this.#ready(m);
    const wsFloats = this.#x.nb_wasm_sgemm_ws_floats(m);
    const ints = this.meta.ints;
    const flops = out.length * ints[2]!;
    const nt = flops >= PAR_GEMM_FLOPS ? this.#threads : 1;
    const stride = Math.ceil(wsFloats / 16) * 16;
    // One workspace per share (shares, not threads, index them).
    const ws = this.#alloc(stride * 4 * (nt > 1 ? nt * GEMM_SHARES_PER_THREAD : 1));
    this.#ready(m);
    this.#copyIn(a, pa);
    this.#copyIn(b, pb);
    if (bias !== undefined) this.#copyIn(bias, pbias);
    this.#run(
      'nb_wasm_gemm',
      [m, pc, pa, pb, pbias, ws, stride],
      flops,
      PAR_GEMM_FLOPS,
      GEMM_SHARES_PER_THREAD,
    );
    this.#copyOut(out, pc);
  }

  #walk(name: KernelName, out: View, ins: Operand<View>[]): void {
    const m = this.#begin();
    const ptrs = ins.map((o) => this.#reserve(o));
    const po = this.#alloc(out.byteLength);
    this.#ready(m);
    ins.forEach((o, i) => this.#copyIn(o, ptrs[i]!));
    this.#run(name, [m, po, ...ptrs], out.length, PAR_ELEMENTS);
    this.#copyOut(out, po);
  }

  unary(out: Float32Array, x: Operand): void {
    this.#walk('nb_wasm_unary', out, [x]);
  }
  binary(out: Float32Array, a: Operand, b: Operand): void {
    this.#walk('nb_wasm_binary', out, [a, b]);
  }
  /** The leaves' [lo, hi) are copied in (Meta.fused's offsets are relative to lo), then a pointer table. */
  fused(out: Float32Array, leaves: readonly Operand[]): void {
    const m = this.#begin();
    const ptrs = leaves.map((o) => this.#reserve(o));
    const table = this.#alloc(4 * Math.max(1, leaves.length));
    const po = this.#alloc(out.byteLength);
    this.#ready(m);
    leaves.forEach((o, i) => {
      this.#copyIn(o, ptrs[i]!);
      this.#i32[table / 4 + i] = ptrs[i]!;
    });
    this.#run('nb_wasm_fused', [m, po, table], out.length, PAR_ELEMENTS);
    this.#copyOut(out, po);
  }
  compare(out: Uint8Array, a: Operand, b: Operand): void {
    this.#walk('nb_wasm_compare', out, [a, b]);
  }
  where(out: Float32Array, c: Operand<Uint8Array>, a: Operand, b: Operand): void {
    this.#walk('nb_wasm_where', out, [c, a, b]);
  }

  reduce(out: ReduceOut, x: Operand): void {
    const m = this.#begin();
    const px = this.#reserve(x);
    const po = this.#alloc(out.byteLength);
    this.#ready(m);
    this.#copyIn(x, px);
    const nout = out.length;
    const work = nout >= 2 ? x.hi - x.lo : 0; // shares are of outputs
    this.#run('nb_wasm_reduce', [m, po, px], work, PAR_ELEMENTS);
    this.#copyOut(out, po);
  }

  /** A batch-norm kernel over x (and the optional coefficients and g; absent: address 0). */
  #bn(name: KernelName, out: Float32Array, ins: readonly (Operand | null)[], work: number): void {
    const m = this.#begin();
    const ptrs = ins.map((o) => (o === null ? 0 : this.#reserve(o)));
    const po = this.#alloc(out.byteLength);
    this.#ready(m);
    ins.forEach((o, i) => {
      if (o !== null) this.#copyIn(o, ptrs[i]!);
    });
    this.#run(name, [m, po, ...ptrs], work, PAR_ELEMENTS);
    this.#copyOut(out, po);
  }
  bnStats(out: Float32Array, x: Operand, coef: Operand | null, g: Operand | null): void {
    this.#bn('nb_wasm_bn_stats', out, [x, coef, g], x.hi - x.lo);
  }
  bnApply(out: Float32Array, x: Operand, coef: Operand, g: Operand | null): void {
    this.#bn('nb_wasm_bn_apply', out, [x, coef, g], out.length);
  }

  unfold(out: Float32Array, x: Operand): void {
    this.#walk('nb_wasm_unfold', out, [x]);
  }
  fold(out: Float32Array, cols: Operand): void {
    this.#walk('nb_wasm_fold', out, [cols]);
  }
  maxPoolIndex(out: Int32Array, x: Operand): void {
    this.#walk('nb_wasm_maxpool_index', out, [x]);
  }
  logSoftmax(out: Float32Array, x: Operand): void {
    this.#walk('nb_wasm_log_softmax', out, [x]);
  }
  maxPoolBackward(out: Float32Array, g: Operand, index: Operand<Int32Array>): void {
    this.#walk('nb_wasm_maxpool_backward', out, [g, index]);
  }

  /**
   * A convolution kernel: copies the operands in (null: absent, address 0), lays out each share's
   * workspace (and the weight gradient's partial sums when asked), runs `body` (meta, output,
   * operand addresses, workspace, its stride in floats, partials, multiply-adds) and copies the
   * output back.
   */
  #conv(
    out: Float32Array,
    ins: readonly (Operand | null)[],
    partials: boolean,
    body: (
      m: number,
      po: number,
      ptrs: number[],
      ws: number,
      stride: number,
      pp: number,
      flops: number,
    ) => void,
  ): void {
    const m = this.#begin();
    const ptrs = ins.map((o) => (o === null ? 0 : this.#reserve(o)));
    const po = this.#alloc(out.byteLength);
    this.#ready(m);
    const flops = this.meta.convWork();
    const nt = flops >= PAR_GEMM_FLOPS ? this.#threads : 1;
    const pp = partials ? this.#alloc(this.#x.nb_wasm_conv_partials_floats(m) * 4) : 0;
    const stride = Math.ceil(this.#x.nb_wasm_conv_ws_floats(m) / 16) * 16;
    const ws = this.#alloc(stride * 4 * (nt > 1 ? nt * GEMM_SHARES_PER_THREAD : 1));
    this.#ready(m);
    ins.forEach((o, i) => {
      if (o !== null) this.#copyIn(o, ptrs[i]!);
    });
    body(m, po, ptrs, ws, stride, pp, flops);
    this.#copyOut(out, po);
  }

  conv2d(out: Float32Array, x: Operand, weight: Operand, bias: Operand | null): void {
    this.#conv(out, [x, weight, bias], false, (m, po, [px, pw, pb], ws, stride, _pp, flops) =>
      this.#run(
        'nb_wasm_conv',
        [m, po, px!, pw!, pb!, ws, stride],
        flops,
        PAR_GEMM_FLOPS,
        GEMM_SHARES_PER_THREAD,
      ),
    );
  }

  conv2dInputGrad(out: Float32Array, grad: Operand, weight: Operand): void {
    this.#conv(out, [grad, weight], false, (m, po, [pg, pw], ws, stride, _pp, flops) =>
      this.#run('nb_wasm_conv_dgrad', [m, po, pg!, pw!, ws, stride], flops, PAR_GEMM_FLOPS, 1),
    );
  }

  conv2dWeightGrad(out: Float32Array, grad: Operand, x: Operand): void {
    this.#conv(out, [grad, x], true, (m, po, [pg, px], ws, stride, pp, flops) => {
      this.#run('nb_wasm_conv_wgrad', [m, pp, pg!, px!, ws, stride], flops, PAR_GEMM_FLOPS, 1);
      this.#run('nb_wasm_conv2d_wgrad_sum', [m, po, pp], out.length, PAR_ELEMENTS);
    });
  }

  gather(out: Float32Array, x: Operand, index: Operand<Int32Array>): boolean {
    return this.#indexed(out, [x, index], (m, po, [px, pi], ps) =>
      this.#run('nb_wasm_gather', [m, po, px!, pi!, ps], out.length, PAR_ELEMENTS),
    );
  }

  scatter(out: Float32Array, x: Operand, index: Operand<Int32Array>, src: Operand): boolean {
    return this.#indexed(out, [x, index, src], (m, po, [px, pi, psrc], ps) => {
      this.#run('nb_wasm_unary', [m + X_COPY * 4, po, px!], out.length, PAR_ELEMENTS);
      const work = this.meta.indexedPositions();
      this.#run('nb_wasm_scatter', [m, po, pi!, psrc!, ps], work, PAR_ELEMENTS);
    });
  }

  /**
   * An index kernel: copies the operands in, clears the status word, runs `body` (meta, output,
   * operand and status addresses) and copies the output back unless an index was out of range.
   */
  #indexed(
    out: Float32Array,
    ins: Operand<View>[],
    body: (m: number, po: number, ptrs: number[], ps: number) => void,
  ): boolean {
    const m = this.#begin();
    const ptrs = ins.map((o) => this.#reserve(o));
    const po = this.#alloc(out.byteLength);
    const ps = this.#alloc(4);
    this.#ready(m);
    ins.forEach((o, i) => this.#copyIn(o, ptrs[i]!));
    this.#i32[ps / 4] = 0;
    body(m, po, ptrs, ps);
    if (this.#i32[ps / 4] !== 0) return false;
    this.#copyOut(out, po);
    return true;
  }

  /** Copies whole arrays in, runs an in-place update, copies back those that change. */
  #update(name: KernelName, arrays: (Float32Array | null)[], changed: boolean[]): void {
    const m = this.#begin();
    const ptrs = arrays.map((a) => (a === null ? 0 : this.#alloc(a.byteLength)));
    this.#ready(m);
    arrays.forEach((a, i) => {
      if (a !== null) this.#f32.set(a, ptrs[i]! / 4);
    });
    const n = arrays[0]!.length;
    this.#run(name, [m, ...ptrs], n, PAR_ELEMENTS);
    arrays.forEach((a, i) => {
      if (a !== null && changed[i]) this.#copyOut(a, ptrs[i]!);
    });
  }

  sgd(p: Float32Array, g: Float32Array, buf: Float32Array | null): void {
    this.#update('nb_wasm_sgd', [p, g, buf], [true, false, true]);
  }

  adam(
    p: Float32Array,
    g: Float32Array,
    m: Float32Array,
    v: Float32Array,
    vmax: Float32Array | null,
  ): void {
    this.#update('nb_wasm_adam', [p, g, m, v, vmax], [true, false, true, true, true]);
  }
}

function align(n: number): number {
  return Math.ceil(n / 64) * 64;
}

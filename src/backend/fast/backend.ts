// A fast CPU backend (native or wasm): the cpu backend's typed arrays and kernels, with the C kernels
// of kernels/ overriding the ones they implement when the dtypes fit and the work is large enough.
import type { TypedArray } from '../../dtype.js';
import type {
  Backend,
  FusedAdamOptions,
  FusedOps,
  FusedSGDOptions,
  FusedTensor,
  Kernel,
  KernelInput,
  KernelOutput,
  KernelTable,
} from '../backend.js';
import { cpuBackend } from '../cpu/index.js';
import {
  BINARY_PRIMITIVES,
  REDUCE_PRIMITIVES,
  UNARY_PRIMITIVES,
  type BinaryPrimitive,
  type ReducePrimitive,
  type UnaryPrimitive,
} from '../../primitives.js';
import type { FastEngine, Operand } from './engine.js';
import { jsAdam, jsSgd } from '../cpu/fused.js';
import { INT32_LIMIT, X_COPY, extentOf } from './meta.js';
import {
  BINARY_CODE,
  BINARY_OPS,
  COMPARE_CODE,
  INDEX_CODE,
  REDUCE_CODE,
  REDUCE_OPS,
  SCALARS,
  UNARY_CODE,
  UNARY_OPS,
  isCompareKernel,
  optFlags,
  type IndexKernel,
} from './contract.js';
import { denseStrides } from '../cpu/strided.js';

type Buf = TypedArray;

/**
 * The least work for which a call goes to the C kernels; below it the JavaScript kernel runs
 * (a call into C has a fixed cost, and wasm copies its operands). Measured by
 * scripts/measure-fast.ts; see docs/kernels.md.
 */
export interface FastThresholds {
  /** m·n·k summed over batches. */
  gemm: number;
  /** Output elements of cheap elementwise ops (arithmetic, relu, compare, where, copy, clamp). */
  elementwise: number;
  /** Output elements of transcendental ops (exp, log, tanh, sigmoid, ...). */
  transcendental: number;
  /** Input elements of a reduction. */
  reduce: number;
  /** Elements of a fused optimizer update. */
  optim: number;
  /** Output elements of gather, scatter and scatterAdd. */
  index: number;
}

/** Thresholds of 0: every call that the C kernels can take goes to them (tests use this). */
export const NO_THRESHOLDS: FastThresholds = {
  gemm: 0,
  elementwise: 0,
  transcendental: 0,
  reduce: 0,
  optim: 0,
  index: 0,
};

export interface FastBackend extends Backend<Buf> {
  readonly engine: FastEngine;
  /** Mutable: tests set them to 0, benchmarks tune them. */
  readonly thresholds: FastThresholds;
}

/**
 * Which threshold a unary primitive's C kernel is held to: `elementwise` for the cheap ones,
 * `transcendental` for those that cost more per element; null where there is no C kernel
 * (contract.ts's UNARY_OPS has null there too: test/conformance/fast.test.ts checks that).
 */
export const UNARY_THRESHOLD = {
  neg: 'elementwise',
  abs: 'elementwise',
  sign: 'elementwise',
  exp: 'transcendental',
  log: 'transcendental',
  log1p: 'transcendental',
  expm1: 'transcendental',
  sqrt: 'transcendental',
  rsqrt: 'transcendental',
  sin: null,
  cos: null,
  tanh: 'transcendental',
  sigmoid: 'transcendental',
  erf: 'transcendental',
  relu: 'elementwise',
  floor: 'elementwise',
  ceil: 'elementwise',
  round: 'elementwise',
  logicalNot: null,
} as const satisfies {
  readonly [P in UnaryPrimitive]: 'elementwise' | 'transcendental' | null;
};

function numel(shape: readonly number[]): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}

function fits(...bufs: TypedArray[]): boolean {
  for (const b of bufs) if (b.length > INT32_LIMIT) return false;
  return true;
}

export function makeFastBackend(
  name: string,
  version: string,
  engine: FastEngine,
  thresholds: FastThresholds,
): FastBackend {
  const cpu = cpuBackend.kernels;
  const meta = engine.meta;
  const copies = engine.copiesInputs;

  /** The operand for input x, and the base its meta offsets are relative to. */
  function operand<T extends TypedArray>(x: KernelInput<Buf>): Operand<T> & { base: number } {
    const e = extentOf(x.shape, x.strides, x.offset);
    return { data: x.buffer as T, lo: e.lo, hi: e.hi, base: copies ? e.lo : 0 };
  }

  const matmul: Kernel<Buf, 'matmul'> = (out, inputs, params) => {
    const [a, b] = inputs as [KernelInput<Buf>, KernelInput<Buf>];
    const n = numel(out.shape);
    const k = a.shape[a.shape.length - 1]!;
    if (
      out.dtype !== 'float32' ||
      n === 0 ||
      n * k < thresholds.gemm ||
      !fits(out.buffer, a.buffer, b.buffer)
    ) {
      return cpu.matmul(out, inputs, params);
    }
    const oa = operand<Float32Array>(a);
    const ob = operand<Float32Array>(b);
    if (!meta.gemm(out, a, b, oa.base, ob.base)) return cpu.matmul(out, inputs, params);
    engine.sgemm(out.buffer as Float32Array, oa, ob);
  };

  // Scratch for walk(): no allocation per call.
  const scratch = [0, 1, 2].map(() => ({ data: new Float32Array(0) as TypedArray, lo: 0, hi: 0 }));
  const bases = [0, 0, 0];

  /** Runs a walk kernel, or returns false so that the caller falls back to JavaScript. */
  function walk(
    op: number,
    out: KernelOutput<Buf>,
    inputs: readonly KernelInput<Buf>[],
    min: number,
    run: (ops: Operand<TypedArray>[]) => void,
  ): boolean {
    const n = out.buffer.length;
    if (n === 0 || n < min || n > INT32_LIMIT) return false;
    for (let k = 0; k < inputs.length; k++) {
      const x = inputs[k]!;
      if (x.buffer.length > INT32_LIMIT) return false;
      const o = scratch[k]!;
      o.data = x.buffer;
      if (copies) {
        const e = extentOf(x.shape, x.strides, x.offset);
        o.lo = e.lo;
        o.hi = e.hi;
        bases[k] = e.lo;
      } else {
        o.lo = 0;
        o.hi = x.buffer.length;
        bases[k] = 0;
      }
    }
    if (!meta.walk(op, out, inputs, bases)) return false;
    run(scratch as Operand<TypedArray>[]);
    return true;
  }

  function unary(op: UnaryPrimitive): Kernel<Buf, UnaryPrimitive> {
    const kernel = UNARY_OPS[op];
    const cost = UNARY_THRESHOLD[op];
    const fallback = cpu[op] as Kernel<Buf, UnaryPrimitive>;
    if (kernel === null || cost === null) return fallback;
    const code = UNARY_CODE[kernel];
    return (out, inputs, params) => {
      const x = inputs[0]!;
      const min = thresholds[cost];
      const done =
        out.dtype === 'float32' &&
        x.dtype === 'float32' &&
        walk(code, out, inputs, min, ([o]) =>
          engine.unary(out.buffer as Float32Array, o as Operand),
        );
      if (!done) fallback(out, inputs, params);
    };
  }

  const cast: Kernel<Buf, 'cast'> = (out, inputs, params) => {
    const x = inputs[0]!;
    const done =
      out.dtype === 'float32' &&
      x.dtype === 'float32' &&
      walk(UNARY_CODE.copy, out, inputs, thresholds.elementwise, ([o]) =>
        engine.unary(out.buffer as Float32Array, o as Operand),
      );
    if (!done) cpu.cast(out, inputs, params);
  };

  const clamp: Kernel<Buf, 'clamp'> = (out, inputs, params) => {
    const x = inputs[0]!;
    meta.scalars(SCALARS.clamp, { min: params.min ?? -Infinity, max: params.max ?? Infinity });
    const done =
      out.dtype === 'float32' &&
      x.dtype === 'float32' &&
      walk(UNARY_CODE.clamp, out, inputs, thresholds.elementwise, ([o]) =>
        engine.unary(out.buffer as Float32Array, o as Operand),
      );
    if (!done) cpu.clamp(out, inputs, params);
  };

  function binary(op: BinaryPrimitive): Kernel<Buf, BinaryPrimitive> {
    const kernel = BINARY_OPS[op];
    const fallback = cpu[op] as Kernel<Buf, BinaryPrimitive>;
    if (kernel === null) return fallback;
    const arith = isCompareKernel(kernel) ? undefined : BINARY_CODE[kernel];
    const cmp = isCompareKernel(kernel) ? COMPARE_CODE[kernel] : undefined;
    return (out, inputs, params) => {
      const [a, b] = inputs as [KernelInput<Buf>, KernelInput<Buf>];
      let done = false;
      if (a.dtype === 'float32' && b.dtype === 'float32') {
        if (arith !== undefined && out.dtype === 'float32') {
          done = walk(arith, out, inputs, thresholds.elementwise, ([oa, ob]) =>
            engine.binary(out.buffer as Float32Array, oa as Operand, ob as Operand),
          );
        } else if (cmp !== undefined && out.dtype === 'bool') {
          done = walk(cmp, out, inputs, thresholds.elementwise, ([oa, ob]) =>
            engine.compare(out.buffer as Uint8Array, oa as Operand, ob as Operand),
          );
        }
      }
      if (!done) fallback(out, inputs, params);
    };
  }

  const where: Kernel<Buf, 'where'> = (out, inputs, params) => {
    const [c, a, b] = inputs as [KernelInput<Buf>, KernelInput<Buf>, KernelInput<Buf>];
    const done =
      out.dtype === 'float32' &&
      c.dtype === 'bool' &&
      a.dtype === 'float32' &&
      b.dtype === 'float32' &&
      walk(0, out, inputs, thresholds.elementwise, ([oc, oa, ob]) =>
        engine.where(
          out.buffer as Float32Array,
          oc as Operand<Uint8Array>,
          oa as Operand,
          ob as Operand,
        ),
      );
    if (!done) cpu.where(out, inputs, params);
  };

  function reduce(op: ReducePrimitive): Kernel<Buf, ReducePrimitive> {
    const kernel = REDUCE_OPS[op];
    const fallback = cpu[op] as Kernel<Buf, ReducePrimitive>;
    if (kernel === null) return fallback;
    const code = REDUCE_CODE[kernel];
    const wantOut = op === 'argmax' || op === 'argmin' ? 'int32' : 'float32';
    return (out, inputs, params) => {
      const x = inputs[0]!;
      const n = numel(x.shape);
      if (
        x.dtype !== 'float32' ||
        out.dtype !== wantOut ||
        numel(out.shape) === 0 ||
        n < thresholds.reduce ||
        !fits(out.buffer, x.buffer)
      ) {
        return fallback(out, inputs, params);
      }
      const ox = operand<Float32Array>(x);
      if (!meta.reduce(code, x, params.dims, ox.base)) return fallback(out, inputs, params);
      engine.reduce(out.buffer as Float32Array | Int32Array, ox);
    };
  }

  /** How many windows fit along one dim (as the cpu kernel counts them). */
  const blocks = (size: number, k: number, d: number, p: number, s: number) =>
    Math.floor((size + 2 * p - d * (k - 1) - 1) / s) + 1;

  const unfold: Kernel<Buf, 'unfold'> = (out, inputs, params) => {
    const x = inputs[0]!;
    const n = numel(out.shape);
    if (
      x.dtype !== 'float32' ||
      n === 0 ||
      n < thresholds.elementwise ||
      !fits(out.buffer, x.buffer)
    ) {
      return cpu.unfold(out, inputs, params);
    }
    const batched = x.shape.length === 4;
    const shape = (batched ? x.shape : [1, ...x.shape]) as [number, number, number, number];
    const strides = batched ? x.strides : [0, ...x.strides];
    const grid: [number, number] = [
      blocks(
        shape[2],
        params.kernelSize[0],
        params.dilation[0],
        params.padding[0],
        params.stride[0],
      ),
      blocks(
        shape[3],
        params.kernelSize[1],
        params.dilation[1],
        params.padding[1],
        params.stride[1],
      ),
    ];
    const ox = operand<Float32Array>(x);
    meta.window(shape, strides, x.offset - ox.base, params, grid);
    engine.unfold(out.buffer as Float32Array, ox);
  };

  const fold: Kernel<Buf, 'fold'> = (out, inputs, params) => {
    const cols = inputs[0]!;
    const n = numel(out.shape);
    if (
      cols.dtype !== 'float32' ||
      n === 0 ||
      n < thresholds.elementwise ||
      !fits(out.buffer, cols.buffer)
    ) {
      return cpu.fold(out, inputs, params);
    }
    const batched = cols.shape.length === 3;
    const [kh, kw] = params.kernelSize;
    const [oh, ow] = params.outputSize;
    const nImg = batched ? cols.shape[0]! : 1;
    const c = cols.shape[batched ? 1 : 0]! / (kh * kw);
    const strides = batched ? cols.strides : [0, ...cols.strides];
    const grid: [number, number] = [
      blocks(oh, kh, params.dilation[0], params.padding[0], params.stride[0]),
      blocks(ow, kw, params.dilation[1], params.padding[1], params.stride[1]),
    ];
    const oc = operand<Float32Array>(cols);
    meta.window([nImg, c, oh, ow], strides, cols.offset - oc.base, params, grid);
    engine.fold(out.buffer as Float32Array, oc);
  };

  /**
   * gather, scatter and scatterAdd in C when the values are float32, the index int32 and every
   * operand has the index's dims (at least 1); false sends the call to the JavaScript kernel,
   * which also raises the error when the C kernel met an index out of range.
   */
  function indexed(
    op: IndexKernel,
    out: KernelOutput<Buf>,
    inputs: readonly KernelInput<Buf>[],
    dim: number,
  ): boolean {
    const x = inputs[0]!;
    const index = inputs[1]!;
    const src = op === 'gather' ? null : inputs[2]!;
    const nd = index.shape.length;
    const n = numel(out.shape);
    if (
      out.dtype !== 'float32' ||
      x.dtype !== 'float32' ||
      index.dtype !== 'int32' ||
      (src !== null && src.dtype !== 'float32') ||
      nd === 0 ||
      x.shape.length !== nd ||
      (src !== null && src.shape.length !== nd) ||
      n === 0 ||
      n < thresholds.index ||
      numel(index.shape) === 0 ||
      x.shape[dim] === 0 ||
      !fits(out.buffer, x.buffer, index.buffer, ...(src === null ? [] : [src.buffer]))
    ) {
      return false;
    }
    const ox = operand<Float32Array>(x);
    const oi = operand<Int32Array>(index);
    const code = INDEX_CODE[op];
    const size = x.shape[dim]!;
    const ioff = index.offset - oi.base;
    const dense = denseStrides(out.shape);
    if (src === null) {
      return (
        meta.indexed(
          code,
          index.shape,
          dim,
          size,
          x.strides[dim]!,
          [index.strides, x.strides, dense],
          [ioff, x.offset - ox.base, 0],
        ) && engine.gather(out.buffer as Float32Array, ox, oi)
      );
    }
    const os = operand<Float32Array>(src);
    return (
      meta.walk(UNARY_CODE.copy, out, [x], [ox.base], X_COPY) &&
      meta.indexed(
        code,
        index.shape,
        dim,
        size,
        dense[dim]!,
        [index.strides, dense, src.strides],
        [ioff, 0, src.offset - os.base],
      ) &&
      engine.scatter(out.buffer as Float32Array, ox, oi, os)
    );
  }

  const gather: Kernel<Buf, 'gather'> = (out, inputs, params) => {
    if (!indexed('gather', out, inputs, params.dim)) cpu.gather(out, inputs, params);
  };
  const scatter: Kernel<Buf, 'scatter'> = (out, inputs, params) => {
    if (!indexed('scatter', out, inputs, params.dim)) cpu.scatter(out, inputs, params);
  };
  const scatterAdd: Kernel<Buf, 'scatterAdd'> = (out, inputs, params) => {
    if (!indexed('scatterAdd', out, inputs, params.dim)) cpu.scatterAdd(out, inputs, params);
  };

  const family = <P extends string, K>(names: readonly P[], make: (p: P) => K) =>
    Object.fromEntries(names.map((n) => [n, make(n)])) as { [Q in P]: K };

  const kernels: KernelTable<Buf> = {
    ...cpu,
    ...family<UnaryPrimitive, Kernel<Buf, UnaryPrimitive>>(UNARY_PRIMITIVES, unary),
    ...family<BinaryPrimitive, Kernel<Buf, BinaryPrimitive>>(BINARY_PRIMITIVES, binary),
    ...family<ReducePrimitive, Kernel<Buf, ReducePrimitive>>(REDUCE_PRIMITIVES, reduce),
    matmul,
    cast,
    clamp,
    where,
    unfold,
    fold,
    gather,
    scatter,
    scatterAdd,
  };

  const view = (t: FusedTensor<Buf>) =>
    (t.buffer as Float32Array).subarray(t.offset, t.offset + t.size);

  const fused: FusedOps<Buf> = {
    sgd(p, g, buf, o: FusedSGDOptions) {
      if (p.size < thresholds.optim || p.size > INT32_LIMIT) return jsSgd(p, g, buf, o);
      meta.optim(p.size, optFlags(o));
      meta.scalars(SCALARS.sgd, o);
      engine.sgd(view(p), view(g), buf === null || o.momentum === 0 ? null : view(buf));
    },
    adam(p, g, m, v, vmax, o: FusedAdamOptions) {
      if (p.size < thresholds.optim || p.size > INT32_LIMIT) return jsAdam(p, g, m, v, vmax, o);
      const { maximize, decoupled } = o;
      meta.optim(p.size, optFlags({ maximize, decoupled, amsgrad: o.amsgrad && vmax !== null }));
      meta.scalars(SCALARS.adam, o);
      engine.adam(view(p), view(g), view(m), view(v), vmax === null ? null : view(vmax));
    },
  };

  return { ...cpuBackend, name, version, kernels, fused, engine, thresholds };
}

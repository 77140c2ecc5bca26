// What the fast kernel families share: thresholds, a per-backend context, operand and walk helpers.
import type { TypedArray } from '../../dtype.js';
import type { KernelPrimitive } from '../../primitives.js';
import type { KernelInput, KernelOutput, KernelTable } from '../backend.js';
import { cpuBackend } from '../cpu/index.js';
import type { FastEngine, Operand } from './engine.js';
import { INT32_LIMIT, extentOf, type Meta } from './meta.js';

export type Buf = TypedArray;

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

/** The part of the kernel table that one family overrides. */
export type Kernels<P extends KernelPrimitive> = Pick<KernelTable<Buf>, P>;

/** What a family's kernels close over: one per backend, made by makeContext. */
export interface FastContext {
  readonly engine: FastEngine;
  readonly meta: Meta;
  /** The same object as the backend's thresholds: read at each call, so changes take effect. */
  readonly thresholds: FastThresholds;
  /** The cpu backend's kernels: the fallbacks. */
  readonly cpu: KernelTable<Buf>;
  /** The operand for input x, and the base its meta offsets are relative to. */
  operand<T extends TypedArray>(x: KernelInput<Buf>): Operand<T> & { base: number };
  /** Runs a walk kernel, or returns false so that the caller falls back to JavaScript. */
  walk(
    op: number,
    out: KernelOutput<Buf>,
    inputs: readonly KernelInput<Buf>[],
    min: number,
    run: (ops: Operand<TypedArray>[]) => void,
  ): boolean;
}

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}

export function fits(...bufs: TypedArray[]): boolean {
  for (const b of bufs) if (b.length > INT32_LIMIT) return false;
  return true;
}

/** One kernel per primitive of a family, made by `make`. */
export const family = <P extends string, K>(names: readonly P[], make: (p: P) => K) =>
  Object.fromEntries(names.map((n) => [n, make(n)])) as { [Q in P]: K };

export function makeContext(engine: FastEngine, thresholds: FastThresholds): FastContext {
  const meta = engine.meta;
  const copies = engine.copiesInputs;

  function operand<T extends TypedArray>(x: KernelInput<Buf>): Operand<T> & { base: number } {
    const e = extentOf(x.shape, x.strides, x.offset);
    return { data: x.buffer as T, lo: e.lo, hi: e.hi, base: copies ? e.lo : 0 };
  }

  // Scratch for walk(): no allocation per call.
  const scratch = [0, 1, 2].map(() => ({ data: new Float32Array(0) as TypedArray, lo: 0, hi: 0 }));
  const bases = [0, 0, 0];

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

  return { engine, meta, thresholds, cpu: cpuBackend.kernels, operand, walk };
}

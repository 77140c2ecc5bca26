// Fast elementwise kernels: unary (with clamp and float32 cast), binary, compare, where: C walks.
import type { Kernel, KernelInput } from '../backend.js';
import {
  BINARY_PRIMITIVES,
  UNARY_PRIMITIVES,
  type BinaryPrimitive,
  type UnaryPrimitive,
} from '../../primitives.js';
import type { Operand } from './engine.js';
import {
  BINARY_CODE,
  BINARY_OPS,
  COMPARE_CODE,
  SCALARS,
  UNARY_CODE,
  UNARY_OPS,
  isCompareKernel,
} from './contract.js';
import { family, type Buf, type FastContext, type Kernels } from './shared.js';

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
  tan: null,
  asin: null,
  acos: null,
  atan: null,
  sinh: null,
  cosh: null,
  asinh: null,
  acosh: null,
  atanh: null,
  log2: null,
  log10: null,
  bitwiseNot: null,
} as const satisfies {
  readonly [P in UnaryPrimitive]: 'elementwise' | 'transcendental' | null;
};

export function elementwiseKernels(
  ctx: FastContext,
): Kernels<UnaryPrimitive | BinaryPrimitive | 'cast' | 'clamp' | 'where'> {
  const { cpu, engine, meta, thresholds, walk } = ctx;

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

  return {
    ...family<UnaryPrimitive, Kernel<Buf, UnaryPrimitive>>(UNARY_PRIMITIVES, unary),
    ...family<BinaryPrimitive, Kernel<Buf, BinaryPrimitive>>(BINARY_PRIMITIVES, binary),
    cast,
    clamp,
    where,
  };
}

// Fast reductions: sum, prod, amax/amin and argmax/argmin over float32 in C, and logSoftmax (a row reduction, then a map).
import type { Kernel } from '../backend.js';
import { REDUCE_PRIMITIVES, type ReducePrimitive } from '../../primitives.js';
import { REDUCE_CODE, REDUCE_OPS } from './contract.js';
import { isDense } from '../cpu/strided.js';
import { family, fits, numel, type Buf, type FastContext, type Kernels } from './shared.js';

export function reduceKernels(ctx: FastContext): Kernels<ReducePrimitive | 'logSoftmax'> {
  const { cpu, engine, meta, thresholds, operand } = ctx;

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

  // A contiguous float32 input in C; anything else in the cpu kernel.
  const logSoftmax: Kernel<Buf, 'logSoftmax'> = (out, inputs, params) => {
    const x = inputs[0]!;
    const n = numel(x.shape);
    if (
      x.dtype !== 'float32' ||
      n === 0 ||
      n < thresholds.reduce ||
      !isDense(x.shape, x.strides) ||
      !fits(out.buffer, x.buffer)
    ) {
      return cpu.logSoftmax(out, inputs, params);
    }
    const { dim } = params;
    const len = x.shape[dim] ?? 1;
    let inner = 1;
    for (let d = dim + 1; d < x.shape.length; d++) inner *= x.shape[d]!;
    const ox = operand<Float32Array>(x);
    meta.logSoftmax(n / (len * inner), len, inner, x.offset - ox.base);
    engine.logSoftmax(out.buffer as Float32Array, ox);
  };

  return {
    ...family<ReducePrimitive, Kernel<Buf, ReducePrimitive>>(REDUCE_PRIMITIVES, reduce),
    logSoftmax,
  };
}

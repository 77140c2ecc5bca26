// Fast matmul and linear: batched, strided float32 GEMM in C (linear's bias starts each C tile).
import type { Kernel, KernelInput } from '../backend.js';
import { viewStrides } from '../../shape.js';
import { fits, numel, type Buf, type FastContext, type Kernels } from './shared.js';

export function linalgKernels(ctx: FastContext): Kernels<'matmul' | 'linear'> {
  const { cpu, engine, meta, thresholds, operand } = ctx;

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

  // x [..., k] · Wᵀ + b: W [n, k] is B read through swapped strides, never copied transposed.
  const linear: Kernel<Buf, 'linear'> = (out, inputs, params) => {
    const [x, w, bias] = inputs as [KernelInput<Buf>, KernelInput<Buf>, KernelInput<Buf>?];
    const size = numel(out.shape);
    const xs = x.shape;
    const k = xs[xs.length - 1]!;
    if (
      out.dtype !== 'float32' ||
      size === 0 ||
      size * k < thresholds.gemm ||
      (bias !== undefined && bias.strides[0] !== 1) ||
      !fits(out.buffer, x.buffer, w.buffer, ...(bias ? [bias.buffer] : []))
    ) {
      return cpu.linear(out, inputs, params);
    }
    const n = w.shape[0]!;
    // The leading dims as the rows of one product where x views as [rows, k], else a batch.
    const rows = size / n;
    const rowStrides = viewStrides(x, [rows, k]);
    const a: KernelInput<Buf> =
      rowStrides === undefined ? x : { ...x, shape: [rows, k], strides: rowStrides };
    const batch = rowStrides === undefined ? xs.slice(0, -2) : [];
    const b: KernelInput<Buf> = {
      ...w,
      shape: [...batch, k, n],
      strides: [...batch.map(() => 0), w.strides[1]!, w.strides[0]!],
    };
    const c = rowStrides === undefined ? out : { ...out, shape: [rows, n] };
    const oa = operand<Float32Array>(a);
    const ob = operand<Float32Array>(b);
    const obias = bias === undefined ? undefined : operand<Float32Array>(bias);
    const biasOffset = bias === undefined ? null : bias.offset - obias!.base;
    if (!meta.gemm(c, a, b, oa.base, ob.base, biasOffset)) return cpu.linear(out, inputs, params);
    engine.sgemm(out.buffer as Float32Array, oa, ob, obias);
  };

  return { matmul, linear };
}

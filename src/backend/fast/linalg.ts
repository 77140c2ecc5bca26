// Fast matmul and linear: batched, strided float32 GEMM in C (linear's bias starts each C tile).
import type { Kernel, KernelInput } from '../backend.js';
import { linearProduct } from '../linear.js';
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

  // x [..., k] · Wᵀ + b as one product (linearProduct: x's rows merged where they view so, W as
  // B through swapped strides), each C tile starting from the bias and leaving through the
  // activation.
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
    const p = linearProduct(x, w);
    const a: KernelInput<Buf> = { ...x, ...p.a };
    const b: KernelInput<Buf> = { ...w, ...p.b };
    const c = { ...out, shape: p.out };
    const oa = operand<Float32Array>(a);
    const ob = operand<Float32Array>(b);
    const obias = bias === undefined ? undefined : operand<Float32Array>(bias);
    const biasOffset = bias === undefined ? null : bias.offset - obias!.base;
    if (!meta.gemm(c, a, b, oa.base, ob.base, biasOffset, params.activation))
      return cpu.linear(out, inputs, params);
    engine.sgemm(out.buffer as Float32Array, oa, ob, obias);
  };

  return { matmul, linear };
}

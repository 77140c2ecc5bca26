// Fast matmul: batched, strided float32 GEMM in C.
import type { Kernel, KernelInput } from '../backend.js';
import { fits, numel, type Buf, type FastContext, type Kernels } from './shared.js';

export function linalgKernels(ctx: FastContext): Kernels<'matmul'> {
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

  return { matmul };
}

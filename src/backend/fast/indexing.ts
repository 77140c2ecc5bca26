// Fast indexing: gather, scatter and scatterAdd over float32 values with int32 indices in C.
import type { Kernel, KernelInput, KernelOutput } from '../backend.js';
import { denseStrides } from '../cpu/strided.js';
import { INDEX_CODE, UNARY_CODE, type IndexKernel } from './contract.js';
import { X_COPY } from './meta.js';
import { fits, numel, type Buf, type FastContext, type Kernels } from './shared.js';

export function indexKernels(ctx: FastContext): Kernels<IndexKernel | 'maxPoolBackward'> {
  const { cpu, engine, meta, thresholds, operand } = ctx;

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

  /**
   * maxPoolBackward in C when g is float32, the index int32, both view as [planes, L] (their
   * leading dims merge) and the output is not empty; else the JavaScript kernel.
   */
  const maxPoolBackward: Kernel<Buf, 'maxPoolBackward'> = (out, inputs, params) => {
    const [g, index] = inputs as [KernelInput<Buf>, KernelInput<Buf>];
    const n = numel(out.shape);
    const l = g.shape[g.shape.length - 1]!;
    const gp = planeStride(g);
    const ip = planeStride(index);
    if (
      out.dtype !== 'float32' ||
      g.dtype !== 'float32' ||
      index.dtype !== 'int32' ||
      n === 0 ||
      l === 0 ||
      n < thresholds.index ||
      gp === null ||
      ip === null ||
      !fits(out.buffer, g.buffer, index.buffer)
    ) {
      return cpu.maxPoolBackward(out, inputs, params);
    }
    const og = operand<Float32Array>(g);
    const oi = operand<Int32Array>(index);
    const last = g.shape.length - 1;
    meta.maxPoolBackward(
      n / params.size,
      l,
      params.size,
      [gp, g.strides[last]!, g.offset - og.base],
      [ip, index.strides[last]!, index.offset - oi.base],
    );
    engine.maxPoolBackward(out.buffer as Float32Array, og, oi);
  };

  return { gather, scatter, scatterAdd, maxPoolBackward };
}

/** The one stride of x's leading dims merged into planes (0 for one plane); null if they do not merge. */
function planeStride(x: KernelInput<Buf>): number | null {
  let stride: number | null = null;
  let next = 0;
  for (let d = x.shape.length - 2; d >= 0; d--) {
    const size = x.shape[d]!;
    if (size === 1) continue;
    if (stride === null) stride = x.strides[d]!;
    else if (x.strides[d] !== next) return null;
    next = x.strides[d]! * size;
  }
  return stride ?? 0;
}

// Fast windows over float32 in C: unfold (im2col), fold (col2im) and max pooling's indices; conv2d is unfold plus GEMM.
import type { Kernel } from '../backend.js';
import { fits, numel, type Buf, type FastContext, type Kernels } from './shared.js';

/** How many windows fit along one dim (as the cpu kernel counts them). */
const blocks = (size: number, k: number, d: number, p: number, s: number) =>
  Math.floor((size + 2 * p - d * (k - 1) - 1) / s) + 1;

export function windowKernels(ctx: FastContext): Kernels<'unfold' | 'fold' | 'maxPoolIndices'> {
  const { cpu, engine, meta, thresholds, operand } = ctx;

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

  const maxPoolIndices: Kernel<Buf, 'maxPoolIndices'> = (out, inputs, params) => {
    const x = inputs[0]!;
    const n = numel(x.shape);
    if (
      x.dtype !== 'float32' ||
      n === 0 ||
      n < thresholds.elementwise ||
      !fits(out.buffer, x.buffer)
    ) {
      return cpu.maxPoolIndices(out, inputs, params);
    }
    const batched = x.shape.length === 4;
    const shape = (batched ? x.shape : [1, ...x.shape]) as [number, number, number, number];
    const strides = batched ? x.strides : [0, ...x.strides];
    const ox = operand<Float32Array>(x);
    meta.window(shape, strides, x.offset - ox.base, params, params.grid);
    engine.maxPoolIndex(out.buffer as Int32Array, ox);
  };

  return { unfold, fold, maxPoolIndices };
}

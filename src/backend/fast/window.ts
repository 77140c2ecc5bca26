// Fast windows over float32 in C: unfold (im2col), fold (col2im), max pooling's indices, and conv2d with its weight gradient (im2col of cache-sized blocks plus GEMM).
import type { Kernel, KernelInput } from '../backend.js';
import type { WindowParams } from '../../primitives.js';
import { contiguousStrides, isContiguous } from '../../shape.js';
import { fits, numel, type Buf, type FastContext, type Kernels } from './shared.js';

/** How many windows fit along one dim (as the cpu kernel counts them). */
const blocks = (size: number, k: number, d: number, p: number, s: number) =>
  Math.floor((size + 2 * p - d * (k - 1) - 1) / s) + 1;

export function windowKernels(
  ctx: FastContext,
): Kernels<
  'unfold' | 'fold' | 'maxPoolIndices' | 'conv2d' | 'conv2dWeightGrad' | 'conv2dInputGrad'
> {
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

  /** The convolution geometry of image x [N, C, H, W] (and the forward's activation) into meta. */
  const convMeta = (
    x: KernelInput<Buf>,
    outShape: readonly number[],
    channels: number,
    params: WindowParams,
    offsets: { weight: number; bias: number | null; grad: number },
    activation?: 'relu',
  ): void => {
    const ox = operand<Float32Array>(x);
    meta.conv(
      x.shape as [number, number, number, number],
      x.strides,
      x.offset - ox.base,
      params,
      [outShape[2]!, outShape[3]!],
      channels,
      offsets,
      activation,
    );
  };

  const dense = (t: KernelInput<Buf>) => isContiguous(t);

  const conv2d: Kernel<Buf, 'conv2d'> = (out, inputs, params) => {
    const [x, weight, bias] = inputs as [KernelInput<Buf>, KernelInput<Buf>, KernelInput<Buf>?];
    const n = numel(out.shape);
    if (
      x.dtype !== 'float32' ||
      n === 0 ||
      n * numel(weight.shape.slice(1)) < thresholds.gemm ||
      !dense(weight) ||
      (bias !== undefined && !dense(bias)) ||
      !fits(out.buffer, x.buffer, weight.buffer, ...(bias ? [bias.buffer] : []))
    ) {
      return cpu.conv2d(out, inputs, params);
    }
    const ow = operand<Float32Array>(weight);
    const ob = bias === undefined ? null : operand<Float32Array>(bias);
    convMeta(
      x,
      out.shape,
      weight.shape[0]!,
      params,
      {
        weight: weight.offset - ow.base,
        bias: ob === null ? null : bias!.offset - ob.base,
        grad: 0,
      },
      params.activation,
    );
    engine.conv2d(out.buffer as Float32Array, operand<Float32Array>(x), ow, ob);
  };

  const conv2dWeightGrad: Kernel<Buf, 'conv2dWeightGrad'> = (out, inputs, params) => {
    const [gy, x] = inputs as [KernelInput<Buf>, KernelInput<Buf>];
    if (
      x.dtype !== 'float32' ||
      numel(out.shape) === 0 ||
      numel(gy.shape) * numel(out.shape.slice(1)) < thresholds.gemm ||
      !dense(gy) ||
      !fits(out.buffer, x.buffer, gy.buffer)
    ) {
      return cpu.conv2dWeightGrad(out, inputs, params);
    }
    const og = operand<Float32Array>(gy);
    convMeta(x, gy.shape, gy.shape[1]!, params, {
      weight: 0,
      bias: null,
      grad: gy.offset - og.base,
    });
    engine.conv2dWeightGrad(out.buffer as Float32Array, og, operand<Float32Array>(x));
  };

  const conv2dInputGrad: Kernel<Buf, 'conv2dInputGrad'> = (out, inputs, params) => {
    const [gy, weight] = inputs as [KernelInput<Buf>, KernelInput<Buf>];
    if (
      gy.dtype !== 'float32' ||
      numel(out.shape) === 0 ||
      numel(gy.shape) * numel(weight.shape.slice(1)) < thresholds.gemm ||
      !dense(gy) ||
      !dense(weight) ||
      !fits(out.buffer, gy.buffer, weight.buffer)
    ) {
      return cpu.conv2dInputGrad(out, inputs, params);
    }
    const og = operand<Float32Array>(gy);
    const ow = operand<Float32Array>(weight);
    // the image is the output: contiguous, at offset 0
    const image = out.shape as [number, number, number, number];
    meta.conv(
      image,
      contiguousStrides(image),
      0,
      params,
      [gy.shape[2]!, gy.shape[3]!],
      gy.shape[1]!,
      {
        weight: weight.offset - ow.base,
        bias: null,
        grad: gy.offset - og.base,
      },
    );
    engine.conv2dInputGrad(out.buffer as Float32Array, og, ow);
  };

  return { unfold, fold, maxPoolIndices, conv2d, conv2dWeightGrad, conv2dInputGrad };
}

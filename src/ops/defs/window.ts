// Op definitions of the sliding-window primitives: unfold (im2col) and fold (col2im), each the other's VJP; max pooling's indices; conv2d and its weight gradient. Shape rules in PyTorch's words.
import { DTypeError, ShapeError } from '../../errors.js';
import { isFloating, type DType } from '../../dtype.js';
import type { WindowParams } from '../../primitives.js';
import { shapeStr, windowCount } from '../../shape.js';
import { apply, sumToShape } from '../call.js';
import { checkEpilogue, epilogueGrad } from './epilogue.js';
import type { KernelOpDef } from '../op.js';
import type { Tensor } from '../../tensor.js';
import type { TensorMeta } from '../op.js';

const pair = (xs: readonly [number, number]) => `(${xs[0]}, ${xs[1]})`;

/** PyTorch's type names in its "not implemented for" messages. */
const TYPE_NAMES: Partial<Record<DType, string>> = { bool: 'Bool', int32: 'Int' };

function checkDType(op: string, dtype: DType): void {
  if (!isFloating(dtype))
    throw new DTypeError(`"${op}_out_cpu" not implemented for '${TYPE_NAMES[dtype] ?? dtype}'`);
}

/** The common checks of kernel size, stride, dilation and padding (im2col_shape_check's). */
function checkWindow(p: WindowParams): void {
  const [kh, kw] = p.kernelSize;
  const [dh, dw] = p.dilation;
  const [ph, pw] = p.padding;
  const [sh, sw] = p.stride;
  if (!(kh > 0 && kw > 0)) {
    throw new ShapeError(
      `kernel size should be greater than zero, but got kernel_height: ${kh} kernel_width: ${kw}`,
    );
  }
  if (!(dh > 0 && dw > 0)) {
    throw new ShapeError(
      `dilation should be greater than zero, but got dilation_height: ${dh} dilation_width: ${dw}`,
    );
  }
  if (!(ph >= 0 && pw >= 0))
    throw new ShapeError(
      `padding should be non-negative, but got pad_height: ${ph} pad_width: ${pw}`,
    );
  if (!(sh > 0 && sw > 0)) {
    throw new ShapeError(
      `stride should be greater than zero, but got stride_height: ${sh} stride_width: ${sw}`,
    );
  }
}

function counts(size: readonly [number, number], p: WindowParams): [number, number] {
  return [0, 1].map((i) =>
    windowCount(size[i]!, p.kernelSize[i]!, p.dilation[i]!, p.padding[i]!, p.stride[i]!),
  ) as [number, number];
}

const windowOnly = (p: WindowParams): WindowParams => ({
  kernelSize: p.kernelSize,
  dilation: p.dilation,
  padding: p.padding,
  stride: p.stride,
});

export const unfoldDef: KernelOpDef<'unfold'> = {
  kind: 'kernel',
  overwrites: true,
  infer: ([x], p) => {
    checkDType('im2col', x!.dtype);
    checkWindow(p);
    const s = x!.shape;
    const nonEmpty = s.length >= 3 && s[s.length - 3] !== 0 && s[s.length - 2] !== 0;
    if (!(nonEmpty && (s.length === 3 || (s.length === 4 && s[3] !== 0)))) {
      throw new ShapeError(
        `Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and other non-zero dimensions for input, but got: ${shapeStr(s)}`,
      );
    }
    const [c, h, w] = s.slice(-3) as [number, number, number];
    const [oh, ow] = counts([h, w], p);
    if (oh < 1 || ow < 1) {
      throw new ShapeError(
        `Given input with spatial size (${h}, ${w}), kernel_size=${pair(p.kernelSize)}, dilation=${pair(p.dilation)}, padding=${pair(p.padding)}, calculated shape of the array of sliding blocks as (${oh}, ${ow}), but its components must be at least one.`,
      );
    }
    const rows = c * p.kernelSize[0] * p.kernelSize[1];
    return { shape: s.length === 4 ? [s[0]!, rows, oh * ow] : [rows, oh * ow], dtype: x!.dtype };
  },
  // the adjoint of gathering windows is summing them back into place
  backward: (g, c) => {
    const s = c.inputs[0]!.shape;
    return [
      apply('fold', [g], {
        ...windowOnly(c.params),
        outputSize: [s[s.length - 2]!, s[s.length - 1]!],
      }),
    ];
  },
};

export const foldDef: KernelOpDef<'fold'> = {
  kind: 'kernel',
  overwrites: true,
  infer: ([x], p) => {
    checkDType('col2im', x!.dtype);
    checkWindow(p);
    const s = x!.shape;
    if (!(
      (s.length === 2 && s[0] !== 0 && s[1] !== 0) ||
      (s.length === 3 && s[1] !== 0 && s[2] !== 0)
    )) {
      throw new ShapeError(
        `Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and non-zero dimensions for input, but got: ${shapeStr(s)}`,
      );
    }
    const [rows, length] = s.slice(-2) as [number, number];
    const [kh, kw] = p.kernelSize;
    if (rows % (kh * kw) !== 0) {
      throw new ShapeError(
        `Expected size of input's dimension 1 to be divisible by the product of kernel_size, but got input.size(1)=${rows} and kernel_size=${pair(p.kernelSize)}.`,
      );
    }
    const [bh, bw] = counts(p.outputSize, p);
    const given = `Given output_size=${pair(p.outputSize)}, kernel_size=${pair(p.kernelSize)}, dilation=${pair(p.dilation)}, padding=${pair(p.padding)}, stride=${pair(p.stride)}, `;
    if (length !== bh * bw) {
      throw new ShapeError(
        `${given}expected size of input's dimension 2 to match the calculated number of sliding blocks ${bh} * ${bw} = ${bh * bw}, but got input.size(2)=${length}.`,
      );
    }
    if (bh < 1 || bw < 1) {
      throw new ShapeError(
        `${given}calculated shape of the array of sliding blocks as (${bh}, ${bw}), which is too small (non-positive)`,
      );
    }
    const [oh, ow] = p.outputSize;
    if (oh < 1 || ow < 1) {
      throw new ShapeError(
        `Expected output spatial size to be positive, but got: output_size=${pair(p.outputSize)}.`,
      );
    }
    const c = rows / (kh * kw);
    return { shape: s.length === 3 ? [s[0]!, c, oh, ow] : [c, oh, ow], dtype: x!.dtype };
  },
  // each summed position hands its gradient back to every window that covered it
  backward: (g, c) => [apply('unfold', [g], windowOnly(c.params))],
};

export const maxPoolIndicesDef: KernelOpDef<'maxPoolIndices'> = {
  kind: 'kernel',
  overwrites: true,
  // not differentiable: the pool's values are gathered at these indices, and that gather carries
  // the gradient
  infer: ([x], p) => {
    checkDType('max_pool2d', x!.dtype);
    checkWindow(p);
    const s = x!.shape;
    if (!((s.length === 3 || s.length === 4) && s.slice(-3).every((d) => d > 0))) {
      throw new ShapeError(
        `non-empty 3D or 4D (batch mode) tensor expected for input, but got: ${shapeStr(s)}`,
      );
    }
    return { shape: [...s.slice(0, -2), p.grid[0], p.grid[1]], dtype: 'int32' };
  },
};

/** The image [N, C, H, W] a convolution reads, and its output grid. */
function convGeometry(x: TensorMeta, kernel: readonly number[], p: WindowParams) {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const [oh, ow] = counts([h, w], { ...p, kernelSize: [kernel[0]!, kernel[1]!] });
  return { n, c, h, w, oh, ow };
}

/** conv2d's input gradient for dY and weight, into an image of `image`'s size. */
function convInputGrad(gy: Tensor, weight: Tensor, image: readonly number[], p: WindowParams) {
  return apply('conv2dInputGrad', [gy, weight], {
    ...windowOnly(p),
    inputSize: [image[2]!, image[3]!],
  });
}

export const conv2dDef: KernelOpDef<'conv2d'> = {
  kind: 'kernel',
  overwrites: true,
  infer: ([x, weight, bias], p) => {
    checkDType('conv2d', x!.dtype);
    checkWindow(p);
    checkEpilogue('conv2d', p.activation, ['relu']);
    if (x!.shape.length !== 4 || weight!.shape.length !== 4)
      throw new ShapeError('conv2d expects a 4-d input and a 4-d weight');
    if (weight!.dtype !== x!.dtype || (bias !== undefined && bias.dtype !== x!.dtype))
      throw new DTypeError('conv2d: input, weight and bias must have the same dtype');
    const [o, c, kh, kw] = weight!.shape as [number, number, number, number];
    if (x!.shape[1] !== c || kh !== p.kernelSize[0] || kw !== p.kernelSize[1])
      throw new ShapeError(`conv2d: weight ${shapeStr(weight!.shape)} does not match the input`);
    if (bias !== undefined && !(bias.shape.length === 1 && bias.shape[0] === o))
      throw new ShapeError(`conv2d: bias ${shapeStr(bias.shape)} does not match ${o} channels`);
    const g = convGeometry(x!, [kh, kw], p);
    if (g.oh < 1 || g.ow < 1)
      throw new ShapeError(`conv2d: the output grid (${g.oh}, ${g.ow}) is empty`);
    return { shape: [g.n, o, g.oh, g.ow], dtype: x!.dtype };
  },
  save: (c) => [
    c.needsInputGrad[1] ? c.inputs[0]! : null,
    c.needsInputGrad[0] ? c.inputs[1]! : null,
    c.params.activation === 'relu' ? c.output : null,
  ],
  // y = act(z), z = W ⋆ x + b: dz = g·act'(z); dx = Wᵀ·dz folded back; dW = Σ dz·colsᵀ; db = Σ dz
  // over batch and positions
  backward: (gy, c) => {
    const [x, weight, y] = c.saved;
    const g = c.params.activation === 'relu' ? epilogueGrad(gy, 'relu', y!) : gy;
    const p = windowOnly(c.params);
    return [
      c.needsInputGrad[0] ? convInputGrad(g, weight!, c.inputs[0]!.shape, p) : null,
      c.needsInputGrad[1] ? apply('conv2dWeightGrad', [g, x!], p) : null,
      c.needsInputGrad[2] ? sumToShape(g, [1, c.inputs[2]!.shape[0]!, 1, 1]).reshape([-1]) : null,
    ];
  },
};

export const conv2dWeightGradDef: KernelOpDef<'conv2dWeightGrad'> = {
  kind: 'kernel',
  overwrites: true,
  infer: ([gy, x], p) => {
    checkDType('conv2d', x!.dtype);
    checkWindow(p);
    const g = convGeometry(x!, p.kernelSize, p);
    const s = gy!.shape;
    if (!(s.length === 4 && s[0] === g.n && s[2] === g.oh && s[3] === g.ow))
      throw new ShapeError(`conv2d: gradient ${shapeStr(s)} does not match the output grid`);
    return { shape: [s[1]!, g.c, p.kernelSize[0], p.kernelSize[1]], dtype: x!.dtype };
  },
  save: (c) => [
    c.needsInputGrad[1] ? c.inputs[0]! : null,
    c.needsInputGrad[0] ? c.inputs[1]! : null,
  ],
  // dW = Σ dY·colsᵀ is bilinear: with gg the gradient of dW, d/d(dY) = gg ⋆ x, d/dx = ggᵀ·dY folded
  backward: (gg, c) => {
    const [gy, x] = c.saved;
    return [
      c.needsInputGrad[0] ? apply('conv2d', [x!, gg], c.params) : null,
      c.needsInputGrad[1] ? convInputGrad(gy!, gg, c.inputs[1]!.shape, c.params) : null,
    ];
  },
};

export const conv2dInputGradDef: KernelOpDef<'conv2dInputGrad'> = {
  kind: 'kernel',
  overwrites: true,
  infer: ([gy, weight], p) => {
    checkDType('conv2d', gy!.dtype);
    checkWindow(p);
    const [n, o, gh, gw] = gy!.shape as [number, number, number, number];
    const [wo, c, kh, kw] = weight!.shape as [number, number, number, number];
    const [oh, ow] = counts(p.inputSize, { ...p, kernelSize: [kh, kw] });
    if (gy!.shape.length !== 4 || wo !== o || gh !== oh || gw !== ow)
      throw new ShapeError(
        `conv2d: gradient ${shapeStr(gy!.shape)} does not match weight ${shapeStr(weight!.shape)} and input size (${p.inputSize.join(', ')})`,
      );
    return { shape: [n, c, p.inputSize[0], p.inputSize[1]], dtype: gy!.dtype };
  },
  save: (c) => [
    c.needsInputGrad[1] ? c.inputs[0]! : null,
    c.needsInputGrad[0] ? c.inputs[1]! : null,
  ],
  // dX = Wᵀ·dY folded is bilinear: with gg the gradient of dX, d/d(dY) = W ⋆ gg, d/dW = Σ dY·unfold(gg)ᵀ
  backward: (gg, c) => {
    const [gy, weight] = c.saved;
    const p = windowOnly(c.params);
    return [
      c.needsInputGrad[0] ? apply('conv2d', [gg, weight!], p) : null,
      c.needsInputGrad[1] ? apply('conv2dWeightGrad', [gy!, gg], p) : null,
    ];
  },
};

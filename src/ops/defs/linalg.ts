// Op definitions of the batched matrix product (batch broadcasting) and of linear (x·Wᵀ + b), with their VJPs.
import { isFloating } from '../../dtype.js';
import { DTypeError, ShapeError } from '../../errors.js';
import { broadcastShapes } from '../../shape.js';
import { apply, reshape, sumToShape, transpose } from '../call.js';
import { checkEpilogue, epilogueGrad } from './epilogue.js';
import type { Tensor } from '../../tensor.js';
import type { KernelOpDef, TensorMeta } from '../op.js';

/** A 2-d input laid out as the transpose of a contiguous matrix (strides [1, rows]). */
function isTransposedMatrix(m: TensorMeta): boolean {
  const st = m.strides;
  return (
    m.shape.length === 2 &&
    st !== undefined &&
    st[0] === 1 &&
    st[1] === m.shape[0] &&
    m.shape[0]! > 1 &&
    m.shape[1]! > 1
  );
}

export const matmulDef: KernelOpDef<'matmul'> = {
  kind: 'kernel',
  overwrites: true,
  infer: ([a, b]) => {
    const as = a!.shape;
    const bs = b!.shape;
    if (as.length < 2 || bs.length < 2)
      throw new ShapeError('matmul primitive expects operands of at least 2 dims');
    if (a!.dtype !== b!.dtype) {
      throw new DTypeError(
        `expected mat1 and mat2 to have the same dtype, but got: ${a!.dtype} != ${b!.dtype}`,
      );
    }
    if (a!.dtype === 'bool') throw new DTypeError('matmul is not implemented for bool tensors');
    const [m, k] = [as[as.length - 2]!, as[as.length - 1]!];
    const [k2, n] = [bs[bs.length - 2]!, bs[bs.length - 1]!];
    if (k !== k2)
      throw new ShapeError(`mat1 and mat2 shapes cannot be multiplied (${m}x${k} and ${k2}x${n})`);
    const batch = broadcastShapes(as.slice(0, -2), bs.slice(0, -2));
    return {
      shape: [...batch, m, n],
      dtype: a!.dtype,
      broadcastTo: [
        [...batch, m, k],
        [...batch, k, n],
      ],
    };
  },
  save: (c) => [
    c.needsInputGrad[1] ? c.inputs[0]! : null,
    c.needsInputGrad[0] ? c.inputs[1]! : null,
  ],
  // dA = G·Bᵀ, dB = Aᵀ·G, summed over broadcast batch dims
  backward: (g, c) => {
    const [a, b] = c.saved;
    const bMeta = c.inputs[1]!;
    let gb: Tensor | null = null;
    if (c.needsInputGrad[1]) {
      // NOTE: when B is a transposed matrix (x·Wᵀ in Linear), dB is made as (Gᵀ·A)ᵀ, so that
      // undoing the transpose gives W a contiguous gradient the engine can keep without a copy.
      gb =
        isTransposedMatrix(bMeta) && c.output.shape.length === 2
          ? transpose(apply('matmul', [transpose(g, -1, -2), a!], {}), -1, -2)
          : sumToShape(apply('matmul', [transpose(a!, -1, -2), g], {}), bMeta.shape);
    }
    return [
      c.needsInputGrad[0]
        ? sumToShape(apply('matmul', [g, transpose(b!, -1, -2)], {}), c.inputs[0]!.shape)
        : null,
      gb,
    ];
  },
};

export const linearDef: KernelOpDef<'linear'> = {
  kind: 'kernel',
  overwrites: true,
  infer: ([x, weight, bias], p) => {
    checkEpilogue('linear', p.activation, ['relu', 'gelu']);
    const xs = x!.shape;
    const ws = weight!.shape;
    if (xs.length < 1 || ws.length !== 2)
      throw new ShapeError('linear primitive expects an input of at least 1 dim and a 2-d weight');
    if (!isFloating(x!.dtype)) throw new DTypeError(`"addmm" not implemented for '${x!.dtype}'`);
    if (weight!.dtype !== x!.dtype || (bias !== undefined && bias.dtype !== x!.dtype)) {
      throw new DTypeError(
        `expected mat1 and mat2 to have the same dtype, but got: ${x!.dtype} != ${weight!.dtype}`,
      );
    }
    const [out, k] = [ws[0]!, ws[1]!];
    const lead = xs.slice(0, -1);
    if (xs[xs.length - 1] !== k) {
      const m = lead.reduce((a, b) => a * b, 1);
      throw new ShapeError(
        `mat1 and mat2 shapes cannot be multiplied (${m}x${xs[xs.length - 1]} and ${k}x${out})`,
      );
    }
    if (bias !== undefined && !(bias.shape.length === 1 && bias.shape[0] === out))
      throw new ShapeError(
        `linear: bias of shape [${bias.shape.join(', ')}] does not match ${out} outputs`,
      );
    return { shape: [...lead, out], dtype: x!.dtype };
  },
  // NOTE: with GELU the pre-activation z = x·Wᵀ + b is never written; backward computes it again
  // from x, W and b (one more product), so nn.Sequential fuses GELU only where no graph is recorded.
  save: (c) => {
    const act = c.params.activation;
    const gelu = act === 'gelu';
    return [
      c.needsInputGrad[1] || gelu ? c.inputs[0]! : null,
      c.needsInputGrad[0] || gelu ? c.inputs[1]! : null,
      act === 'relu' ? c.output : gelu ? (c.inputs[2] ?? null) : null,
    ];
  },
  // y = act(z), z = x·Wᵀ + b: dz = g·act'(z); dx = dz·W, dW = dzᵀ·x over every leading row,
  // db = Σ dz over the leading dims
  backward: (gy, c) => {
    const [x, weight, extra] = c.saved;
    const act = c.params.activation;
    const g =
      act === undefined
        ? gy
        : epilogueGrad(
            gy,
            act,
            act === 'relu'
              ? extra!
              : apply('linear', extra === null ? [x!, weight!] : [x!, weight!, extra!], {}),
          );
    const xShape = c.inputs[0]!.shape;
    const k = xShape[xShape.length - 1]!;
    const out = c.output.shape[c.output.shape.length - 1]!;
    // NOTE: the leading dims fold into the rows of one 2-d product (views, no copies for the
    // contiguous gradients backward produces), and dW reads gᵀ through its strides.
    const g2 = g.ndim === 2 ? g : reshape(g, [-1, out]);
    const lead = xShape.slice(0, -1);
    return [
      c.needsInputGrad[0] ? reshape(apply('matmul', [g2, weight!], {}), [...lead, k]) : null,
      c.needsInputGrad[1]
        ? apply('matmul', [transpose(g2, 0, 1), x!.ndim === 2 ? x! : reshape(x!, [-1, k])], {})
        : null,
      c.needsInputGrad[2] && c.inputs[2] !== undefined
        ? g.ndim === 1
          ? g
          : apply('sum', [g], { dims: lead.map((_, i) => i), keepdim: false })
        : null,
    ];
  },
};

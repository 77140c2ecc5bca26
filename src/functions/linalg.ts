// Matrix products: matmul with PyTorch's 1-d, 2-d and batched broadcasting rules; mm, bmm, dot, outer.
import { ShapeError, DTypeError } from '../errors.js';
import { apply } from '../ops/apply.js';
import type { Tensor } from '../tensor.js';
import { reshape, squeezeDim, unsqueeze } from './shape_ops.js';

function sameDType(a: Tensor, b: Tensor, what: string): void {
  if (a.dtype !== b.dtype) {
    throw new DTypeError(
      `expected ${what} to have the same dtype, but got: ${a.dtype} != ${b.dtype}`,
    );
  }
}

function dims2(t: Tensor): string {
  return `${t.shape[t.ndim - 2]}x${t.shape[t.ndim - 1]}`;
}

/** mm: a 2-d matrix product. */
export function mm(a: Tensor, b: Tensor): Tensor {
  if (a.ndim !== 2) throw new ShapeError(`self must be a matrix`);
  if (b.ndim !== 2) throw new ShapeError(`mat2 must be a matrix`);
  sameDType(a, b, 'mat1 and mat2');
  return apply('matmul', [a, b], {});
}

/** bmm: a batch of matrix products, [b, n, m] @ [b, m, p]. */
export function bmm(a: Tensor, b: Tensor): Tensor {
  if (a.ndim !== 3) throw new ShapeError('batch1 must be a 3D tensor');
  if (b.ndim !== 3) throw new ShapeError('batch2 must be a 3D tensor');
  if (a.shape[0] !== b.shape[0] || a.shape[2] !== b.shape[1]) {
    throw new ShapeError(
      `Expected size for first two dimensions of batch2 tensor to be: [${a.shape[0]}, ${a.shape[2]}] but got: [${b.shape[0]}, ${b.shape[1]}].`,
    );
  }
  sameDType(a, b, 'batch1 and batch2');
  return apply('matmul', [a, b], {});
}

/** dot: the inner product of two 1-d tensors. */
export function dot(a: Tensor, b: Tensor): Tensor {
  if (a.ndim !== 1 || b.ndim !== 1) {
    throw new ShapeError(`1D tensors expected, but got ${a.ndim}D and ${b.ndim}D tensors`);
  }
  if (a.numel() !== b.numel()) {
    throw new ShapeError(
      `inconsistent tensor size, expected tensor [${a.numel()}] and src [${b.numel()}] to have the same number of elements, but got ${a.numel()} and ${b.numel()} elements respectively`,
    );
  }
  sameDType(a, b, 'both vectors');
  return reshape(apply('matmul', [reshape(a, [1, -1]), reshape(b, [-1, 1])], {}), []);
}

/** outer: a[i] · b[j]. */
export function outer(a: Tensor, b: Tensor): Tensor {
  if (a.ndim !== 1 || b.ndim !== 1) {
    throw new ShapeError(`outer: expected 1D tensors, but got ${a.ndim}D and ${b.ndim}D tensors`);
  }
  return reshape(a, [-1, 1]).mul(reshape(b, [1, -1]));
}

/**
 * matmul, as torch.matmul: 1-d @ 1-d is a dot product; a 1-d operand gains a dim that the result
 * loses again; batch dims broadcast.
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  if (a.ndim === 0 || b.ndim === 0) {
    throw new ShapeError(
      `both arguments to matmul need to be at least 1D, but they are ${a.ndim}D and ${b.ndim}D`,
    );
  }
  if (a.ndim === 1 && b.ndim === 1) return dot(a, b);
  sameDType(a, b, 'mat1 and mat2');
  const a2 = a.ndim === 1 ? unsqueeze(a, 0) : a;
  const b2 = b.ndim === 1 ? unsqueeze(b, 1) : b;
  if (a2.shape[a2.ndim - 1] !== b2.shape[b2.ndim - 2]) {
    throw new ShapeError(
      `mat1 and mat2 shapes cannot be multiplied (${dims2(a2)} and ${dims2(b2)})`,
    );
  }
  let out = apply('matmul', [a2, b2], {});
  if (b.ndim === 1) out = squeezeDim(out, -1);
  if (a.ndim === 1) out = squeezeDim(out, -2 + (b.ndim === 1 ? 1 : 0));
  return out;
}

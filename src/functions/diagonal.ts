// Triangles and diagonals: tril, triu and diag composed from where and pad; diagonal, a view primitive.
import { ArgumentError, ShapeError } from '../errors.js';
import { apply } from '../ops/apply.js';
import { normalizeDim } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { fromArray, scalarTensor } from './creation.js';
import { where } from './elementwise.js';
import { clone, pad, unsqueeze } from './shape_ops.js';

/** A bool [n, m] mask of the positions (i, j) with keep(j − i). */
function offsetMask(n: number, m: number, keep: (k: number) => boolean, device: string): Tensor {
  const data = new Uint8Array(n * m);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) data[i * m + j] = keep(j - i) ? 1 : 0;
  return fromArray(data, [n, m], 'bool', { device });
}

function triangle(x: Tensor, diagonal: number, lower: boolean): Tensor {
  if (!Number.isInteger(diagonal))
    throw new ArgumentError(`${lower ? 'tril' : 'triu'}(): diagonal must be an integer`);
  normalizeDim(-2, x.ndim); // PyTorch's IndexError for an input with fewer than 2 dims
  const n = x.shape[x.ndim - 2]!;
  const m = x.shape[x.ndim - 1]!;
  const keep = lower ? (k: number) => k <= diagonal : (k: number) => k >= diagonal;
  return where(offsetMask(n, m, keep, x.device), x, scalarTensor(0, x.dtype, x.device));
}

/** tril(x, diagonal = 0): the lower triangle of the last two dims (j − i ≤ diagonal), zeros above. */
export function tril(x: Tensor, diagonal = 0): Tensor {
  return triangle(x, diagonal, true);
}

/** triu(x, diagonal = 0): the upper triangle of the last two dims (j − i ≥ diagonal), zeros below. */
export function triu(x: Tensor, diagonal = 0): Tensor {
  return triangle(x, diagonal, false);
}

/**
 * diagonal(x, offset = 0, dim1 = 0, dim2 = 1): the entries (i, i + offset) of dims dim1 and dim2,
 * as a new last dim: a view of x, as PyTorch.
 */
export function diagonal(x: Tensor, offset = 0, dim1 = 0, dim2 = 1): Tensor {
  const d1 = normalizeDim(dim1, x.ndim);
  const d2 = normalizeDim(dim2, x.ndim);
  if (d1 === d2)
    throw new ArgumentError(`diagonal dimensions cannot be identical ${dim1}, ${dim2}`);
  if (!Number.isInteger(offset)) throw new ArgumentError('diagonal(): offset must be an integer');
  return apply('diagonal', [x], { offset, dim1: d1, dim2: d2 });
}

/**
 * diag(x, diagonal = 0): a 1-d x placed on a diagonal of a square matrix of size n + |diagonal|,
 * or the diagonal of a 2-d x (a copy, as PyTorch).
 */
export function diag(x: Tensor, diagonal = 0): Tensor {
  if (x.ndim === 2) return clone(diagonalOf(x, diagonal));
  if (x.ndim !== 1) throw new ShapeError('matrix or a vector expected');
  if (!Number.isInteger(diagonal)) throw new ArgumentError('diag(): diagonal must be an integer');
  const k = Math.abs(diagonal);
  const size = x.shape[0]! + k;
  // row i holds x[i] when diagonal ≥ 0, column j holds x[j] when it is < 0
  const padded = pad(x, [0, k]);
  const v = diagonal >= 0 ? unsqueeze(padded, 1) : unsqueeze(padded, 0);
  const mask = offsetMask(size, size, (d) => d === diagonal, x.device);
  return where(mask, v, scalarTensor(0, x.dtype, x.device));
}

const diagonalOf = (x: Tensor, offset: number): Tensor => diagonal(x, offset, 0, 1);

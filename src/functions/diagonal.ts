// Triangles and diagonals: tril, triu, diagonal and diag, composed from views, where and pad.
import { ArgumentError, ShapeError } from '../errors.js';
import { normalizeDim } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { fromArray, scalarTensor } from './creation.js';
import { where } from './elementwise.js';
import { clone, pad, permute, reshape, slice, unsqueeze } from './shape_ops.js';

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
 * as a new last dim. NOTE: a view of x when dim1 and dim2 can be merged into one strided dim
 * (always for a contiguous x), otherwise a copy; PyTorch always returns a view.
 */
export function diagonal(x: Tensor, offset = 0, dim1 = 0, dim2 = 1): Tensor {
  const d1 = normalizeDim(dim1, x.ndim);
  const d2 = normalizeDim(dim2, x.ndim);
  if (d1 === d2)
    throw new ArgumentError(`diagonal dimensions cannot be identical ${dim1}, ${dim2}`);
  if (!Number.isInteger(offset)) throw new ArgumentError('diagonal(): offset must be an integer');
  const n = x.shape[d1]!;
  const m = x.shape[d2]!;
  const len = Math.max(0, offset >= 0 ? Math.min(n, m - offset) : Math.min(n + offset, m));
  const rest = x.shape.map((_, i) => i).filter((i) => i !== d1 && i !== d2);
  const restShape = rest.map((i) => x.shape[i]!);
  const flat = reshape(permute(x, [...rest, d1, d2]), [...restShape, n * m]);
  if (len === 0) return slice(flat, -1, 0, 0);
  const start = offset >= 0 ? offset : -offset * m;
  return slice(flat, -1, start, start + (len - 1) * (m + 1) + 1, m + 1);
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

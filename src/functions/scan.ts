// Scans along one dim besides cumsum: cumprod, cummax/cummin (values and indices) and logcumsumexp.
import { IndexError } from '../errors.js';
import { defineOptions } from '../options.js';
import { apply } from '../ops/apply.js';
import { normalizeDim } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { clone } from './shape_ops.js';
import {
  SCAN_SPEC,
  dimKeywords,
  scanInput,
  valuesIndices,
  type ScanOptions,
  type ValuesIndices,
} from './reduction.js';

const CUMPROD = defineOptions<ScanOptions>('cumprod', SCAN_SPEC);

/**
 * cumprod(x, dim, { dtype }?) or cumprod(x, { dim, dtype }): the running product; the input cast
 * to dtype first if given, else integral and bool inputs give int32 (PyTorch: int64).
 */
export function cumprod(x: Tensor, dim: number | ScanOptions, opts?: ScanOptions): Tensor {
  const o = dimKeywords(CUMPROD, dim, opts);
  const d = typeof dim === 'number' ? dim : o?.dim;
  if (d === undefined) throw new IndexError("cumprod(): missing option 'dim'");
  const input = scanInput('cumprod_out_cpu', x, o?.dtype);
  return apply('cumprod', [input], { dim: normalizeDim(d, x.ndim) });
}

/** logcumsumexp(x, dim): log Σ_{j≤i} exp(xⱼ), stable for inputs far apart (floating inputs only). */
export function logcumsumexp(x: Tensor, dim: number): Tensor {
  return apply('logcumsumexp', [x], { dim: normalizeDim(dim, x.ndim) });
}

function cumExtreme(x: Tensor, dim: number, op: 'max' | 'min'): ValuesIndices {
  const d = normalizeDim(dim, x.ndim);
  const indices = apply('cumExtremeIndex', [x], { dim: d, op });
  // the gradient goes to the index each value came from (a scatter-add, as PyTorch)
  const values = x.ndim === 0 ? clone(x) : apply('gather', [x, indices], { dim: d });
  return valuesIndices(values, indices);
}

/**
 * cummax(x, dim): the running maximum and the index it was taken from; among ties the latest
 * index, and a NaN, once seen, is the maximum from there on (as PyTorch).
 */
export function cummax(x: Tensor, dim: number): ValuesIndices {
  return cumExtreme(x, dim, 'max');
}

/** cummin(x, dim): the running minimum and its index (the latest among ties, NaN as cummax). */
export function cummin(x: Tensor, dim: number): ValuesIndices {
  return cumExtreme(x, dim, 'min');
}

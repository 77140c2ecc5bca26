// The linear primitive's operands as a batched matrix product, for every backend's kernel: x [..., k] and W [n, k] as A [...b, m, k] and B = Wᵀ [...b, k, n].
import { viewStrides } from '../shape.js';

interface Strided {
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
}

export interface LinearProduct {
  readonly a: { readonly shape: number[]; readonly strides: number[] };
  readonly b: { readonly shape: number[]; readonly strides: number[] };
  /** The product's output shape, [...b, m, n]: the contiguous output seen as that. */
  readonly out: number[];
}

/**
 * x's leading dims become the product's m rows where x views as [rows, k] (one matrix: a 1-d x is
 * one row, a 2-d x itself); otherwise x's last-but-one dim gives the rows and the dims before it
 * the batch. W is B through swapped strides, stride 0 across the batch: never copied transposed.
 */
export function linearProduct(x: Strided, w: Strided): LinearProduct {
  const xs = x.shape;
  const k = xs[xs.length - 1]!;
  const n = w.shape[0]!;
  const rows = xs.slice(0, -1).reduce((p, s) => p * s, 1);
  // A 2-d x is its own [rows, k] (the common case, kept free of viewStrides' work).
  const merged = xs.length === 2 ? [...x.strides] : viewStrides(x, [rows, k]);
  const a =
    merged === undefined
      ? { shape: [...xs], strides: [...x.strides] }
      : { shape: [rows, k], strides: merged };
  const batch = a.shape.slice(0, -2);
  return {
    a,
    b: {
      shape: [...batch, k, n],
      strides: [...batch.map(() => 0), w.strides[1]!, w.strides[0]!],
    },
    out: [...batch, a.shape[a.shape.length - 2]!, n],
  };
}

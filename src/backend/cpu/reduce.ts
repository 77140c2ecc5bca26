// cpu kernels for reductions (pairwise float64 summation), the p-norm and cumsum.
import type { TypedArray } from '../../dtype.js';
import type { ReducePrimitive } from '../../primitives.js';
import type { Kernel, KernelInput } from '../backend.js';
import { coalesce, denseStrides, forEachRow } from './strided.js';

type Buf = TypedArray;

/** Pairwise summation of a[lo, hi): error grows with log n, not n. */
function pairwiseSum(a: Float64Array, lo: number, hi: number): number {
  const n = hi - lo;
  if (n <= 32) {
    let s = 0;
    for (let i = lo; i < hi; i++) s += a[i]!;
    return s;
  }
  const mid = lo + (n >> 1);
  return pairwiseSum(a, lo, mid) + pairwiseSum(a, mid, hi);
}

type Reducer = (block: Float64Array, n: number) => number;

const REDUCERS: { readonly [P in ReducePrimitive]: Reducer } = {
  sum: (b, n) => pairwiseSum(b, 0, n),
  prod: (b, n) => {
    let p = 1;
    for (let i = 0; i < n; i++) p *= b[i]!;
    return p;
  },
  amax: (b, n) => {
    let m = -Infinity;
    for (let i = 0; i < n; i++) {
      const v = b[i]!;
      if (v !== v) return v;
      if (v > m) m = v;
    }
    return m;
  },
  amin: (b, n) => {
    let m = Infinity;
    for (let i = 0; i < n; i++) {
      const v = b[i]!;
      if (v !== v) return v;
      if (v < m) m = v;
    }
    return m;
  },
  // The first extreme wins; a NaN counts as the extreme, as in PyTorch.
  argmax: (b, n) => {
    let m = -Infinity;
    let at = 0;
    for (let i = 0; i < n; i++) {
      const v = b[i]!;
      if (v !== v) return i;
      if (v > m) {
        m = v;
        at = i;
      }
    }
    return at;
  },
  argmin: (b, n) => {
    let m = Infinity;
    let at = 0;
    for (let i = 0; i < n; i++) {
      const v = b[i]!;
      if (v !== v) return i;
      if (v < m) {
        m = v;
        at = i;
      }
    }
    return at;
  },
  all: (b, n) => {
    for (let i = 0; i < n; i++) if (b[i] === 0) return 0;
    return 1;
  },
  any: (b, n) => {
    for (let i = 0; i < n; i++) if (b[i] !== 0) return 1;
    return 0;
  },
};

/**
 * Visits each output position of a reduction over `dims`: `visit(outIndex, block, n)` receives the
 * reduced elements, copied in row-major order into a float64 scratch block.
 */
function forEachReduction(
  x: KernelInput<Buf>,
  dims: readonly number[],
  visit: (outIndex: number, block: Float64Array, n: number) => void,
): void {
  const keptShape: number[] = [];
  const keptStrides: number[] = [];
  const redShape: number[] = [];
  const redStrides: number[] = [];
  for (let d = 0; d < x.shape.length; d++) {
    if (dims.includes(d)) {
      redShape.push(x.shape[d]!);
      redStrides.push(x.strides[d]!);
    } else {
      keptShape.push(x.shape[d]!);
      keptStrides.push(x.strides[d]!);
    }
  }
  let n = 1;
  for (const s of redShape) n *= s;
  let outer = 1;
  for (const s of keptShape) outer *= s;
  const block = new Float64Array(n);
  const src = x.buffer;
  const red = coalesce(redShape, [redStrides]);
  const sIn = red.strides[0]![red.shape.length - 1]!;
  const fillBlock = (base: number) => {
    let p = 0;
    forEachRow(red, [base], (offs, len) => {
      let q = offs[0]!;
      for (let i = 0; i < len; i++, q += sIn) block[p++] = src[q]!;
    });
  };
  if (outer === 0) return;
  const kept = coalesce(keptShape, [keptStrides]);
  const sKept = kept.strides[0]![kept.shape.length - 1]!;
  let outIndex = 0;
  forEachRow(kept, [x.offset], (offs, len) => {
    let base = offs[0]!;
    for (let i = 0; i < len; i++, base += sKept) {
      if (n > 0) fillBlock(base);
      visit(outIndex++, block, n);
    }
  });
}

export function reduceKernel(op: ReducePrimitive): Kernel<Buf, ReducePrimitive> {
  const reduce = REDUCERS[op];
  return (out, [x], { dims }) => {
    const o = out.buffer;
    forEachReduction(x!, dims, (i, block, n) => {
      o[i] = reduce(block, n);
    });
  };
}

export const normKernel: Kernel<Buf, 'norm'> = (out, [x], { dims, p }) => {
  const o = out.buffer;
  forEachReduction(x!, dims, (i, b, n) => {
    for (let j = 0; j < n; j++) b[j] = Math.abs(b[j]!);
    if (p === Infinity) o[i] = REDUCERS.amax(b, n);
    else if (p === -Infinity) o[i] = REDUCERS.amin(b, n);
    else if (p === 0) {
      let c = 0;
      for (let j = 0; j < n; j++) if (b[j] !== 0) c++;
      o[i] = c;
    } else if (p === 1) o[i] = pairwiseSum(b, 0, n);
    else if (p === 2) {
      for (let j = 0; j < n; j++) b[j] = b[j]! * b[j]!;
      o[i] = Math.sqrt(pairwiseSum(b, 0, n));
    } else {
      for (let j = 0; j < n; j++) b[j] = Math.pow(b[j]!, p);
      o[i] = Math.pow(pairwiseSum(b, 0, n), 1 / p);
    }
  });
};

export const cumsumKernel: Kernel<Buf, 'cumsum'> = (out, [x], { dim }) => {
  const a = x!;
  const o = out.buffer;
  const src = a.buffer;
  const ndim = out.shape.length;
  if (ndim === 0) {
    o[0] = src[a.offset]!;
    return;
  }
  const len = out.shape[dim]!;
  const outStrides = denseStrides(out.shape);
  const shape = out.shape.map((s, d) => (d === dim ? 1 : s));
  const walk = coalesce(shape, [outStrides, a.strides]);
  const so = outStrides[dim]!;
  const sa = a.strides[dim]!;
  const last = walk.shape.length - 1;
  const wo = walk.strides[0]![last]!;
  const wa = walk.strides[1]![last]!;
  forEachRow(walk, [0, a.offset], (offs, n) => {
    for (let i = 0; i < n; i++) {
      let p = offs[0]! + i * wo;
      let q = offs[1]! + i * wa;
      let acc = 0;
      for (let j = 0; j < len; j++, p += so, q += sa) {
        acc += src[q]!;
        o[p] = acc;
      }
    }
  });
};

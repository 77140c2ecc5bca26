// cpu kernels for the batched matrix product over strided (and batch-broadcast) operands, and for linear (x·Wᵀ + b).
import type { TypedArray } from '../../dtype.js';
import { erf } from '../../math.js';
import type { Epilogue } from '../../primitives.js';
import type { Kernel, KernelInput, KernelOutput } from '../backend.js';
import { linearProduct } from '../linear.js';
import { forEachRow } from './strided.js';

type Buf = TypedArray;

/** Products of at most this many multiply-adds take the direct loop. */
const SMALL = 512;

export const matmulKernel: Kernel<Buf, 'matmul'> = (out, [x, y]) => product(out, x!, y!);

/**
 * out = a·b over the batch dims, each sum over p in order in float64, starting from bias[j] (0
 * without one) and rounded once.
 */
function product(
  out: KernelOutput<Buf>,
  a: KernelInput<Buf>,
  b: KernelInput<Buf>,
  bias?: KernelInput<Buf>,
): void {
  const nd = out.shape.length;
  const m = out.shape[nd - 2]!;
  const n = out.shape[nd - 1]!;
  const k = a.shape[nd - 1]!;
  const [sam, sak] = [a.strides[nd - 2]!, a.strides[nd - 1]!];
  const [sbk, sbn] = [b.strides[nd - 2]!, b.strides[nd - 1]!];
  const o = out.buffer;
  const A = a.buffer;
  const B = b.buffer;
  const isInt = out.dtype === 'int32';
  // The sums' starting values: the bias row, or none (0) for a plain product.
  let start: Float64Array | null = null;
  if (bias !== undefined) {
    start = new Float64Array(n);
    for (let j = 0; j < n; j++) start[j] = bias.buffer[bias.offset + j * bias.strides[0]!]!;
  }
  if (nd === 2 && m * n * k <= SMALL) {
    // NOTE: small products (the seed network's) skip the panels below: their allocations cost
    // more than the arithmetic. Same sums: over p in order, in float64, from the bias.
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let acc = start === null ? 0 : start[j]!;
        let q = a.offset + i * sam;
        let r = b.offset + j * sbn;
        for (let p = 0; p < k; p++, q += sak, r += sbk) acc += A[q]! * B[r]!;
        o[i * n + j] = isInt ? acc | 0 : acc;
      }
    }
    return;
  }
  // NOTE: each batch's B is packed into a contiguous float64 panel first, so the hot loop always
  // reads one array type at stride 1 (transposed or strided B included), and rows of A are taken
  // four at a time to share each load of B. Every sum still runs over p in order, in float64.
  const panel = new Float64Array(k * n);
  const acc = new Float64Array(4 * n);
  let packed = -1;
  // Batch dims, with a trailing pseudo-dim of 1 so the row walker visits each batch once.
  const batchShape = [...out.shape.slice(0, nd - 2), 1];
  const mn = m * n;
  const batchStrides = [
    [
      ...batchShape
        .slice(0, -1)
        .map((_, d) => out.shape.slice(d + 1, nd - 2).reduce((p, s) => p * s, 1) * mn),
      0,
    ],
    [...a.strides.slice(0, nd - 2), 0],
    [...b.strides.slice(0, nd - 2), 0],
  ];
  if (mn === 0) return;
  forEachRow({ shape: batchShape, strides: batchStrides }, [0, a.offset, b.offset], (offs) => {
    const ob = offs[0]!;
    const ab = offs[1]!;
    const bb = offs[2]!;
    if (bb !== packed) {
      // A batch-broadcast B (stride 0) is packed once.
      for (let p = 0; p < k; p++) {
        let q = bb + p * sbk;
        const row = p * n;
        for (let j = 0; j < n; j++, q += sbn) panel[row + j] = B[q]!;
      }
      packed = bb;
    }
    for (let i = 0; i < m; i += 4) {
      const rows = Math.min(4, m - i);
      if (start === null) acc.fill(0);
      else for (let r = 0; r < rows; r++) acc.set(start, r * n);
      const a0 = ab + i * sam;
      if (rows === 4) {
        const n2 = 2 * n;
        const n3 = 3 * n;
        for (let p = 0; p < k; p++) {
          const at = a0 + p * sak;
          const v0 = A[at]!;
          const v1 = A[at + sam]!;
          const v2 = A[at + 2 * sam]!;
          const v3 = A[at + 3 * sam]!;
          const row = p * n;
          for (let j = 0; j < n; j++) {
            const bv = panel[row + j]!;
            acc[j] = acc[j]! + v0 * bv;
            acc[n + j] = acc[n + j]! + v1 * bv;
            acc[n2 + j] = acc[n2 + j]! + v2 * bv;
            acc[n3 + j] = acc[n3 + j]! + v3 * bv;
          }
        }
      } else {
        for (let r = 0; r < rows; r++) {
          const base = r * n;
          for (let p = 0; p < k; p++) {
            const v = A[a0 + r * sam + p * sak]!;
            const row = p * n;
            for (let j = 0; j < n; j++) acc[base + j] = acc[base + j]! + v * panel[row + j]!;
          }
        }
      }
      const orow = ob + i * n;
      const count = rows * n;
      if (isInt) for (let j = 0; j < count; j++) o[orow + j] = acc[j]! | 0;
      else for (let j = 0; j < count; j++) o[orow + j] = acc[j]!;
    }
  });
}

/**
 * linear: out[..., r, j] = b[j] + Σ_p x[..., r, p]·W[j, p], the product above on linearProduct's
 * operands (W read as Wᵀ through strides) with the sums starting from the bias.
 */
export const linearKernel: Kernel<Buf, 'linear'> = (out, [x, w, bias], params) => {
  const p = linearProduct(x!, w!);
  product({ ...out, shape: p.out }, { ...x!, ...p.a }, { ...w!, ...p.b }, bias);
  if (params.activation !== undefined) applyEpilogue(out, params.activation);
};

/**
 * A product's fused activation over its (contiguous) output, each step rounded to the output's
 * type as the composed ops round it: relu, or GELU as F.gelu composes it, (z·½)·(erf(z·√½) + 1).
 */
export function applyEpilogue(out: KernelOutput<Buf>, activation: Epilogue): void {
  const o = out.buffer;
  const n = out.shape.reduce((a, b) => a * b, 1);
  if (activation === 'relu') {
    for (let i = 0; i < n; i++) if (o[i]! < 0) o[i] = 0; // NaN and -0 pass, as relu's
    return;
  }
  const r = out.dtype === 'float32' ? Math.fround : (v: number) => v;
  const rsqrt2 = r(Math.SQRT1_2);
  for (let i = 0; i < n; i++) {
    const z = o[i]!;
    o[i] = r(r(z * 0.5) * r(r(erf(r(z * rsqrt2))) + 1));
  }
}

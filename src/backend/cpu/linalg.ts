// cpu kernel for the batched matrix product over strided (and batch-broadcast) operands.
import type { TypedArray } from '../../dtype.js';
import type { Kernel } from '../backend.js';
import { forEachRow } from './strided.js';

type Buf = TypedArray;

export const matmulKernel: Kernel<Buf, 'matmul'> = (out, [x, y]) => {
  const a = x!;
  const b = y!;
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
  const acc = new Float64Array(n);
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
    for (let i = 0; i < m; i++) {
      acc.fill(0);
      const arow = ab + i * sam;
      for (let p = 0; p < k; p++) {
        const av = A[arow + p * sak]!;
        let q = bb + p * sbk;
        for (let j = 0; j < n; j++, q += sbn) acc[j] = acc[j]! + av * B[q]!;
      }
      const orow = ob + i * n;
      if (isInt) for (let j = 0; j < n; j++) o[orow + j] = acc[j]! | 0;
      else for (let j = 0; j < n; j++) o[orow + j] = acc[j]!;
    }
  });
};

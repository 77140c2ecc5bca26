// Golden tests of sorting, selection and indexing ops against PyTorch 1.13 (test/fixtures/sorting_golden.json):
// values, int32 indices, gradients, tie and NaN behaviour, and error messages.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as nb from '../../src/index.js';
import type { Tensor } from '../../src/index.js';

const F = nb.nn.functional;

type Num = number | 'nan' | 'inf' | '-inf';
interface Enc {
  data: Num[];
  shape: number[];
  dtype: 'float32' | 'float64' | 'int32' | 'bool';
  requiresGrad?: boolean;
  transposed?: boolean;
}
type Args = Record<string, unknown>;
interface Case {
  name: string;
  op: string;
  args: Args;
  exact: boolean;
  inputs: Enc[];
  upstream: Enc | null;
  outs: Enc[];
  grads: (Enc | null)[];
}
interface ErrorCase {
  name: string;
  op: string;
  args: Args;
  inputs: Enc[];
  message: string;
}

const golden = JSON.parse(
  readFileSync(new URL('../fixtures/sorting_golden.json', import.meta.url), 'utf8'),
) as { cases: Case[]; errors: ErrorCase[] };

const decode = (v: Num): number =>
  v === 'nan' ? NaN : v === 'inf' ? Infinity : v === '-inf' ? -Infinity : v;

function build(e: Enc): { leaf: Tensor; operand: Tensor } {
  // (data and shape are the stored leaf's; a transposed operand is its .t())
  const flat = nb.tensor(e.data.map(decode), { dtype: e.dtype });
  const leaf = flat
    .reshape(e.shape)
    .detach()
    .requiresGrad_(e.requiresGrad === true);
  return { leaf, operand: e.transposed ? leaf.t() : leaf };
}

const n = (v: unknown): number => v as number;
const opt = <T>(v: unknown): T | undefined =>
  v === undefined || v === null ? undefined : (v as T);

/** nabla's call for each of the generator's op names. */
const OPS: Record<string, (x: Tensor[], a: Args) => Tensor | readonly Tensor[]> = {
  sort: (x, a) =>
    x[0]!.sort({
      dim: opt<number>(a.dim) ?? -1,
      descending: a.descending === true,
      stable: a.stable === true,
    }),
  argsort: (x, a) => nb.argsort(x[0]!, opt<number>(a.dim), a.descending === true),
  topk: (x, a) =>
    x[0]!.topk(n(a.k), { dim: opt<number>(a.dim) ?? -1, largest: a.largest !== false }),
  kthvalue: (x, a) => x[0]!.kthvalue(n(a.k), opt<number>(a.dim), a.keepdim === true),
  medianAll: (x) => nb.median(x[0]!),
  median: (x, a) => x[0]!.median(n(a.dim), a.keepdim === true),
  mode: (x, a) => nb.mode(x[0]!, opt<number>(a.dim), a.keepdim === true),
  unique: (x, a) =>
    nb.unique(x[0]!, {
      sorted: a.sorted !== false,
      returnInverse: a.returnInverse === true,
      returnCounts: a.returnCounts === true,
      ...(a.dim !== undefined ? { dim: n(a.dim) } : {}),
    }),
  einsum: (x, a) => nb.einsum(a.equation as string, ...x),
  scatterReduce: (x, a) =>
    x[0]!.scatterReduce(n(a.dim), x[1]!, x[2]!, a.reduce as 'sum', {
      includeSelf: a.includeSelf !== false,
    }),
  maxPool2dIndices: (x, a) =>
    F.maxPool2d(x[0]!, a.kernelSize as number, {
      stride: opt<number>(a.stride) ?? null,
      padding: opt<number>(a.padding) ?? 0,
      dilation: opt<number>(a.dilation) ?? 1,
      ceilMode: a.ceilMode === true,
      returnIndices: true,
    }),
  maxPool1dIndices: (x, a) =>
    F.maxPool1d(x[0]!, a.kernelSize as number, {
      stride: opt<number>(a.stride) ?? null,
      padding: opt<number>(a.padding) ?? 0,
      returnIndices: true,
    }),
  maxUnpool2d: (x, a) =>
    F.maxUnpool2d(x[0]!, x[1]!, a.kernelSize as number, {
      stride: opt<number>(a.stride) ?? null,
      padding: opt<number>(a.padding) ?? 0,
      outputSize: opt<number[]>(a.outputSize) ?? null,
    }),
};

function values(t: Tensor): number[] {
  return Array.from(t.dataSync() as ArrayLike<number>, Number);
}

function expectClose(got: Tensor, want: Enc, what: string): void {
  expect([...got.shape], `${what} shape`).toEqual(want.shape);
  expect(got.dtype, `${what} dtype`).toBe(want.dtype);
  const g = values(got);
  want.data.map(decode).forEach((w, i) => {
    const v = g[i]!;
    if (Number.isNaN(w)) expect(v, `${what}[${i}]`).toBeNaN();
    else if (!Number.isFinite(w) || want.dtype === 'int32') expect(v, `${what}[${i}]`).toBe(w);
    else
      expect(Math.abs(v - w), `${what}[${i}]: ${v} vs ${w}`).toBeLessThanOrEqual(
        1e-5 + 1e-5 * Math.abs(w),
      );
  });
}

/** Where PyTorch leaves tie order unspecified: each index must point at a value equal to the output's. */
function expectIndicesPointAtValues(c: Case, x: Tensor, vals: Tensor, idx: Tensor): void {
  const dim = (c.args.dim as number | undefined) ?? -1;
  const keep = c.args.keepdim === true || c.op === 'topk';
  const d = dim < 0 ? dim + x.ndim : dim;
  const index = keep ? idx : idx.unsqueeze(d);
  expectClose(x.gather(d, index), { ...c.outs[0]!, shape: [...index.shape] }, 'x at indices');
  expect(vals.shape).toEqual(idx.shape);
}

describe('golden: sorting, selection and indexing ops vs PyTorch', () => {
  it('the fixture has every op', () => {
    expect(new Set(golden.cases.map((c) => c.op))).toEqual(new Set(Object.keys(OPS)));
  });

  for (const c of golden.cases) {
    it(c.name, () => {
      const built = c.inputs.map(build);
      const raw = OPS[c.op]!(
        built.map((b) => b.operand),
        c.args,
      );
      const outs = raw instanceof nb.Tensor ? [raw] : [...(raw as readonly Tensor[])];
      expect(outs.length).toBe(c.outs.length);
      if (c.exact) {
        outs.forEach((o, i) => expectClose(o, c.outs[i]!, `out ${i}`));
      } else if (c.op === 'unique') {
        // PyTorch's unsorted order is its hash order: the same set of values
        expect(values(outs[0]!)).toEqual(c.outs[0]!.data.map(decode).sort((p, q) => p - q));
      } else {
        expectClose(outs[0]!, c.outs[0]!, 'values');
        expectIndicesPointAtValues(c, built[0]!.operand, outs[0]!, outs[1]!);
      }
      // (with unspecified tie indices the gradient goes elsewhere than PyTorch's: not compared)
      if (c.upstream === null || !c.exact) return;
      const up = build(c.upstream).leaf;
      outs[0]!.mul(up).sum().backward();
      c.grads.forEach((g, i) => {
        if (g === null) return;
        expect(built[i]!.leaf.grad, `grad ${i}`).not.toBeNull();
        expectClose(built[i]!.leaf.grad!, g, `grad ${i}`);
      });
    });
  }

  for (const e of golden.errors) {
    it(`error: ${e.name}`, () => {
      const xs = e.inputs.map((i) => build(i).operand);
      expect(() => OPS[e.op]!(xs, e.args)).toThrow(e.message);
    });
  }
});

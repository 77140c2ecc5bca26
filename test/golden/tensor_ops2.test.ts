// Golden tests for issue 13's activations and tensor ops: every case of test/fixtures/tensor_ops2_golden.json (made by PyTorch) rebuilt with nabla.
import {
  diag,
  diagonal,
  isclose,
  logcumsumexp,
  meshgrid,
  nn,
  prod,
  repeatInterleave,
  roll,
  stdMean,
  sum,
  triu,
  varMean,
  type DType,
} from '../../src/index.js';
import { describeGolden, type Arg, type Args, type OpFn } from './harness.js';

const F = nn.functional;

// ---- the op table: the same names as the generator's OPS ----

const num = (a: Arg | undefined): number => a as number;
const optNum = (a: Arg | undefined): number | undefined => (a === undefined ? undefined : num(a));
const dimsArg = (a: Arg | undefined) => a as number | number[] | undefined;
const varOpts = (a: Args) => ({
  ...(a.dim !== undefined ? { dim: dimsArg(a.dim)! } : {}),
  ...(a.keepdim !== undefined ? { keepdim: a.keepdim as boolean } : {}),
  ...(a.unbiased !== undefined ? { unbiased: a.unbiased as boolean } : {}),
  ...(a.correction !== undefined ? { correction: num(a.correction) } : {}),
});
const sumOpts = (a: Args) => ({
  dtype: a.dtype as DType,
  ...(a.dim !== undefined ? { dim: dimsArg(a.dim)! } : {}),
  ...(a.keepdim !== undefined ? { keepdim: a.keepdim as boolean } : {}),
});

const OPS: Record<string, OpFn> = {
  celu: (x, a) => F.celu(x[0]!, optNum(a.alpha)),
  hardswish: (x) => F.hardswish(x[0]!),
  hardsigmoid: (x) => F.hardsigmoid(x[0]!),
  logsigmoid: (x) => F.logsigmoid(x[0]!),
  softsign: (x) => F.softsign(x[0]!),
  softmin: (x, a) => F.softmin(x[0]!, num(a.dim)),
  mish: (x) => F.mish(x[0]!),
  normalize: (x, a) =>
    F.normalize(x[0]!, {
      ...(a.p !== undefined ? { p: num(a.p) } : {}),
      ...(a.dim !== undefined ? { dim: num(a.dim) } : {}),
      ...(a.eps !== undefined ? { eps: num(a.eps) } : {}),
    }),
  tril: (x, a) => x[0]!.tril(optNum(a.diagonal)),
  triu: (x, a) => triu(x[0]!, optNum(a.diagonal)),
  diag: (x, a) => (a.diagonal === undefined ? x[0]!.diag() : diag(x[0]!, num(a.diagonal))),
  diagonal: (x, a) => diagonal(x[0]!, optNum(a.offset), optNum(a.dim1), optNum(a.dim2)),
  roll: (x, a) =>
    a.dims === undefined
      ? roll(x[0]!, a.shifts as number)
      : x[0]!.roll(a.shifts as number | number[], dimsArg(a.dims)),
  repeatInterleave: (x, a) =>
    x.length > 1
      ? repeatInterleave(x[0]!, x[1]!, optNum(a.dim))
      : x[0]!.repeatInterleave(num(a.repeats), optNum(a.dim)),
  repeatInterleaveIndices: (x) => repeatInterleave(x[0]!),
  unfold: (x, a) => x[0]!.unfold(num(a.dimension), num(a.size), num(a.step)),
  meshgrid: (x, a) => meshgrid(...x, { indexing: a.indexing as 'ij' | 'xy' }),
  cumprod: (x, a) => x[0]!.cumprod(num(a.dim)),
  cummax: (x, a) => x[0]!.cummax(num(a.dim)),
  cummin: (x, a) => x[0]!.cummin(num(a.dim)),
  logcumsumexp: (x, a) => logcumsumexp(x[0]!, num(a.dim)),
  isclose: (x, a) =>
    isclose(x[0]!, x[1]!, {
      ...(a.rtol !== undefined ? { rtol: num(a.rtol) } : {}),
      ...(a.atol !== undefined ? { atol: num(a.atol) } : {}),
      ...(a.equal_nan !== undefined ? { equalNan: a.equal_nan as boolean } : {}),
    }),
  stdMean: (x, a) => stdMean(x[0]!, varOpts(a)),
  varMean: (x, a) => varMean(x[0]!, varOpts(a)),
  sum: (x, a) => sum(x[0]!, sumOpts(a)),
  prod: (x, a) => prod(x[0]!, sumOpts(a)),
};

// ---- comparison ----

describeGolden(
  'golden: issue 13 activations and tensor ops against PyTorch',
  'tensor_ops2_golden.json',
  OPS,
  'exact',
);

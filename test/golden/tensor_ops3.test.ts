// Golden tests for issue 13's leftovers (scaled dot-product attention, repeatInterleave's outputSize, dtype of the scans and softmaxes): every case of test/fixtures/tensor_ops3_golden.json rebuilt with nabla.
import { cumprod, cumsum, nn, repeatInterleave, softmax, type DType } from '../../src/index.js';
import { describeGolden, type Arg, type Args, type OpFn } from './harness.js';

const F = nn.functional;

// ---- the op table: the same names as the generator's OPS ----

const num = (a: Arg | undefined): number => a as number;
const optNum = (a: Arg | undefined): number | undefined => (a === undefined ? undefined : num(a));
const dtypeOf = (a: Args) => ({ dtype: a.dtype as DType });

const OPS: Record<string, OpFn> = {
  sdpa: (x, a) =>
    F.scaledDotProductAttention(x[0]!, x[1]!, x[2]!, {
      ...(x[3] !== undefined ? { attnMask: x[3] } : {}),
      ...(a.is_causal !== undefined ? { isCausal: a.is_causal as boolean } : {}),
      ...(a.scale !== undefined ? { scale: num(a.scale) } : {}),
    }),
  repeatInterleave: (x, a) =>
    x.length > 1
      ? repeatInterleave(x[0]!, x[1]!, optNum(a.dim), { outputSize: num(a.output_size) })
      : x[0]!.repeatInterleave(num(a.repeats), optNum(a.dim), { outputSize: num(a.output_size) }),
  repeatInterleaveIndices: (x, a) => repeatInterleave(x[0]!, { outputSize: num(a.output_size) }),
  cumsum: (x, a) =>
    a.dtype === 'float64'
      ? cumsum(x[0]!, num(a.dim), dtypeOf(a))
      : x[0]!.cumsum(num(a.dim), dtypeOf(a)),
  cumprod: (x, a) =>
    a.dtype === 'float64'
      ? cumprod(x[0]!, num(a.dim), dtypeOf(a))
      : x[0]!.cumprod(num(a.dim), dtypeOf(a)),
  softmax: (x, a) =>
    a.dtype === 'float64'
      ? softmax(x[0]!, num(a.dim), dtypeOf(a))
      : x[0]!.softmax(num(a.dim), dtypeOf(a)),
  logSoftmax: (x, a) =>
    a.dtype === 'float64'
      ? F.logSoftmax(x[0]!, num(a.dim), dtypeOf(a))
      : x[0]!.logSoftmax(num(a.dim), dtypeOf(a)),
  softmin: (x, a) => F.softmin(x[0]!, num(a.dim), dtypeOf(a)),
};

// ---- comparison ----

describeGolden(
  "golden: issue 13's leftovers against PyTorch",
  'tensor_ops3_golden.json',
  OPS,
  'exact',
);

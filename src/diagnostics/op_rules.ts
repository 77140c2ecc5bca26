// What explain writes for each primitive: the forward formula and the local derivative ∂y/∂x_i.
import {
  BINARY_PRIMITIVES,
  UNARY_PRIMITIVES,
  type ParamsOf,
  type Primitive,
} from '../primitives.js';
import {
  CLOSE,
  DOT,
  EQ,
  d,
  val,
  type Value,
  HADAMARD,
  MINUS,
  OPEN,
  PLUS,
  TRANSPOSE,
  sym,
  txt,
  type Formula,
  type Term,
} from './math.js';

/** How an op's gradient is shown: elementwise ops have a local derivative per element. */
export type OpKind = 'elementwise' | 'matmul' | 'linear' | 'sum' | 'transpose' | 'view' | 'other';

const ELEMENTWISE = new Set<string>([
  ...UNARY_PRIMITIVES,
  ...BINARY_PRIMITIVES,
  'clamp',
  'cast',
  'where',
]);

/** True when a permute only swaps the last two dims (a matrix transpose). */
function isTranspose(dims: readonly number[]): boolean {
  const n = dims.length;
  if (n < 2) return false;
  return dims.every((d, i) => (i < n - 2 ? d === i : i === n - 2 ? d === n - 1 : d === n - 2));
}

export function opKind(op: string, params: object): OpKind {
  if (ELEMENTWISE.has(op)) return 'elementwise';
  if (op === 'matmul') return 'matmul';
  // with a stored activation its gradient is not ∂L/∂y · W: shown as the op's VJP
  if (op === 'linear') return (params as ParamsOf<'linear'>).activation ? 'other' : 'linear';
  if (op === 'sum') return 'sum';
  if (op === 'permute' && isTranspose((params as { dims: number[] }).dims)) return 'transpose';
  if (op === 'view' || op === 'permute' || op === 'expand' || op === 'slice') return 'view';
  return 'other';
}

const fn = (name: string, tex: string, args: readonly Term[][]): Term[] => {
  const out: Term[] = [txt(name, tex), txt('(', '\\left(', true)];
  args.forEach((a, i) => {
    if (i > 0) out.push(txt(',', ',', true));
    out.push(...a);
  });
  out.push(CLOSE);
  return out;
};

/** What a forward rule sees: the inputs' symbols, the op's parameters and the input's rank. */
interface ForwardCtx<P extends Primitive> {
  readonly a: Term;
  readonly b: Term;
  readonly params: ParamsOf<P>;
  readonly args: readonly string[];
  readonly ndim: number;
}
type ForwardRule<P extends Primitive> = (c: ForwardCtx<P>) => Formula;

/** name(x) for a unary function written with its own symbol. */
const named =
  (name: string, tex: string): ForwardRule<Primitive> =>
  ({ a }) =>
    fn(name, tex, [[a]]);

const shapeArg = (shape: readonly number[]) => [txt(`[${shape.join(', ')}]`)];

/**
 * How explain writes each primitive's forward pass (`y = ...`); null: as the generic
 * `name(x, ...)`. Exhaustive, so a new primitive does not compile without a decision here.
 */
const FORWARD: { readonly [P in Primitive]: ForwardRule<P> | null } = {
  neg: ({ a }) => [MINUS, a],
  abs: ({ a }) => [txt('|', '\\lvert'), a, txt('|', '\\rvert', true)],
  sign: null,
  exp: named('exp', '\\exp'),
  log: named('log', '\\log'),
  log1p: null,
  expm1: null,
  sqrt: named('√', '\\sqrt'),
  rsqrt: null,
  sin: named('sin', '\\sin'),
  cos: named('cos', '\\cos'),
  tanh: named('tanh', '\\tanh'),
  sigmoid: named('σ', '\\sigma'),
  erf: named('erf', '\\operatorname{erf}'),
  relu: named('relu', '\\operatorname{relu}'),
  floor: null,
  ceil: null,
  round: null,
  logicalNot: null,
  tan: named('tan', '\\tan'),
  asin: named('asin', '\\arcsin'),
  acos: named('acos', '\\arccos'),
  atan: named('atan', '\\arctan'),
  sinh: named('sinh', '\\sinh'),
  cosh: named('cosh', '\\cosh'),
  asinh: named('asinh', '\\operatorname{asinh}'),
  acosh: named('acosh', '\\operatorname{acosh}'),
  atanh: named('atanh', '\\operatorname{atanh}'),
  log2: named('log₂', '\\log_2'),
  log10: named('log₁₀', '\\log_{10}'),
  bitwiseNot: null,
  add: ({ a, b }) => [a, PLUS, b],
  sub: ({ a, b }) => [a, MINUS, b],
  mul: ({ a, b }) => [a, HADAMARD, b],
  div: ({ a, b }) => [a, txt('/', '/'), b],
  pow: ({ a, b }) => [a, txt('^', '^', true), b],
  maximum: ({ a, b }) => fn('max', '\\max', [[a], [b]]),
  minimum: ({ a, b }) => fn('min', '\\min', [[a], [b]]),
  eq: null,
  ne: null,
  lt: null,
  le: null,
  gt: null,
  ge: null,
  logicalAnd: null,
  logicalOr: null,
  logicalXor: null,
  atan2: ({ a, b }) => fn('atan2', '\\operatorname{atan2}', [[a], [b]]),
  copysign: ({ a, b }) => fn('copysign', '\\operatorname{copysign}', [[a], [b]]),
  hypot: ({ a, b }) => fn('hypot', '\\operatorname{hypot}', [[a], [b]]),
  divTrunc: null,
  divFloor: null,
  remainder: null,
  fmod: null,
  bitwiseAnd: null,
  bitwiseOr: null,
  bitwiseXor: null,
  bitwiseLeftShift: null,
  bitwiseRightShift: null,
  reluBackward: ({ a, b }) => [a, HADAMARD, ...ind([b, txt('>'), txt('0')])],
  sum: ({ a, params: p, ndim }) =>
    p.dims.length === 0 || p.dims.length === ndim
      ? [txt('Σ', '\\sum'), a]
      : [txt(`Σ_dim${p.dims.join(',')}`, `\\sum_{\\text{dim } ${p.dims.join(',')}}`), a],
  prod: null,
  amax: null,
  amin: null,
  argmax: null,
  argmin: null,
  all: null,
  any: null,
  cast: ({ a, params }) => fn(params.dtype, `\\operatorname{${params.dtype}}`, [[a]]),
  clamp: ({ a, params: p }) =>
    fn('clamp', '\\operatorname{clamp}', [
      [a],
      [sym(String(p.min ?? '-inf'))],
      [sym(String(p.max ?? 'inf'))],
    ]),
  where: ({ a, b, args }) =>
    fn('where', '\\operatorname{where}', [[a], [b], [sym(args[2] ?? '?')]]),
  norm: null,
  cumsum: null,
  logSoftmax: ({ a }) => fn('logSoftmax', '\\operatorname{logSoftmax}', [[a]]),
  nllLoss: ({ a, b }) => fn('nll', '\\operatorname{nll}', [[a], [b]]),
  nllLossBackward: null,
  cumprod: null,
  logcumsumexp: null,
  cumExtremeIndex: null,
  diagonal: null,
  windows: null,
  matmul: ({ a, b }) => [a, DOT, b],
  batchNormStats: ({ a }) => fn('batchNormStats', '\\operatorname{batchNormStats}', [[a]]),
  batchNormGradStats: null,
  batchNorm: ({ a, b, args, params: p }) =>
    fn('batchNorm', '\\operatorname{batchNorm}', [
      [a],
      [b],
      ...args.slice(2, 2 + (p.weight ? 1 : 0) + (p.bias ? 1 : 0)).map((s) => [sym(s)]),
    ]),
  batchNormBackward: null,
  linear: ({ a, b, args, params: p }) => {
    const z =
      args[2] === undefined ? [a, DOT, b, TRANSPOSE] : [a, DOT, b, TRANSPOSE, PLUS, sym(args[2])];
    return p.activation === undefined
      ? z
      : fn(p.activation, `\\operatorname{${p.activation}}`, [z]);
  },
  view: ({ a, params }) => fn('reshape', '\\operatorname{reshape}', [[a], shapeArg(params.shape)]),
  permute: ({ a, params: { dims } }) =>
    isTranspose(dims)
      ? [a, TRANSPOSE]
      : fn('permute', '\\operatorname{permute}', [[a], [txt(`[${dims.join(', ')}]`)]]),
  expand: ({ a, params }) => fn('expand', '\\operatorname{expand}', [[a], shapeArg(params.shape)]),
  slice: ({ a, params: p }) =>
    fn('slice', '\\operatorname{slice}', [
      [a],
      [
        txt(
          `dim ${p.dim}, ${p.start}:${p.end}${p.step === 1 ? '' : `:${p.step}`}`,
          `\\text{dim ${p.dim}, ${p.start}:${p.end}}`,
        ),
      ],
    ]),
  sliceScatter: null,
  cat: null,
  gather: null,
  scatter: null,
  scatterAdd: null,
  maxPoolBackward: null,
  scatterReduce: null,
  sort: null,
  kthIndex: null,
  unfold: null,
  fold: null,
  maxPoolIndices: null,
  conv2d: null,
  conv2dWeightGrad: null,
  conv2dInputGrad: null,
};

/** The right-hand side of `y = ...` for one op, given its inputs' symbols. */
export function forwardFormula(
  op: Primitive,
  params: object,
  args: readonly string[],
  ndim: number,
): Formula {
  // NOTE: the table pairs each rule with its own primitive; params are that primitive's.
  const rule = FORWARD[op] as ForwardRule<Primitive> | null;
  if (rule === null) {
    return fn(
      op,
      `\\operatorname{${op}}`,
      args.map((s) => [sym(s)]),
    );
  }
  const ctx = { a: sym(args[0] ?? '?'), b: sym(args[1] ?? '?'), args, ndim };
  return rule({ ...ctx, params: params as ParamsOf<Primitive> });
}

const ind = (cond: Term[]): Term[] => [
  txt('1[', '\\mathbb{1}\\left['),
  ...cond,
  txt(']', '\\right]', true),
];

/** ∂y/∂x_i as a local rule sees it: which input, and the inputs' symbols. */
interface LocalCtx {
  readonly i: number;
  readonly a: Term;
  readonly b: Term;
  readonly args: readonly string[];
}
type LocalRule = (c: LocalCtx) => Formula;

const ONE = txt('1');
const SQ = txt('²', '^2', true);
const over = (den: Term[]): Term[] => [ONE, txt('/', '/'), ...den];
const sqrtOf = (t: Term[]): Term[] => fn('√', '\\sqrt', [t]);
const ZERO: LocalRule = () => [txt('0')];
const ONES: LocalRule = () => [ONE];

/**
 * The local derivative ∂y/∂x_i that explain shows for each elementwise primitive; null where there
 * is none to show (ops that are not elementwise, comparisons and logical ops). Exhaustive.
 */
const LOCAL: { readonly [P in Primitive]: LocalRule | null } = {
  neg: () => [txt('−1', '-1')],
  abs: ({ a }) => fn('sign', '\\operatorname{sign}', [[a]]),
  sign: ZERO,
  exp: ({ a }) => fn('exp', '\\exp', [[a]]),
  log: ({ a }) => [ONE, txt('/', '/'), a],
  log1p: ({ a }) => [ONE, txt('/', '/'), OPEN, ONE, PLUS, a, CLOSE],
  expm1: ({ a }) => fn('exp', '\\exp', [[a]]),
  sqrt: ({ a }) => [ONE, txt('/', '/'), OPEN, txt('2'), ...fn('√', '\\sqrt', [[a]]), CLOSE],
  rsqrt: ({ a }) => [txt('−½', '-\\tfrac{1}{2}'), a, txt('^(−3/2)', '^{-3/2}', true)],
  sin: ({ a }) => fn('cos', '\\cos', [[a]]),
  cos: ({ a }) => [MINUS, ...fn('sin', '\\sin', [[a]])],
  tanh: ({ a }) => [ONE, MINUS, txt('tanh²', '\\tanh^2'), txt('(', '\\left(', true), a, CLOSE],
  sigmoid: ({ a }) => [
    ...fn('σ', '\\sigma', [[a]]),
    OPEN,
    ONE,
    MINUS,
    ...fn('σ', '\\sigma', [[a]]),
    CLOSE,
  ],
  erf: ({ a }) => [
    txt('(2/√π)', '\\tfrac{2}{\\sqrt{\\pi}}'),
    ...fn('exp', '\\exp', [[MINUS, a, txt('²', '^2', true)]]),
  ],
  relu: ({ a }) => ind([a, txt('>'), txt('0')]),
  floor: ZERO,
  ceil: ZERO,
  round: ZERO,
  logicalNot: null,
  tan: ({ a }) => [ONE, PLUS, txt('tan²', '\\tan^2'), txt('(', '\\left(', true), a, CLOSE],
  asin: ({ a }) => over(sqrtOf([ONE, MINUS, a, SQ])),
  acos: ({ a }) => [MINUS, ...over(sqrtOf([ONE, MINUS, a, SQ]))],
  atan: ({ a }) => over([OPEN, ONE, PLUS, a, SQ, CLOSE]),
  sinh: ({ a }) => fn('cosh', '\\cosh', [[a]]),
  cosh: ({ a }) => fn('sinh', '\\sinh', [[a]]),
  asinh: ({ a }) => over(sqrtOf([a, SQ, PLUS, ONE])),
  acosh: ({ a }) => over(sqrtOf([a, SQ, MINUS, ONE])),
  atanh: ({ a }) => over([OPEN, ONE, MINUS, a, SQ, CLOSE]),
  log2: ({ a }) => over([OPEN, a, DOT, txt('ln 2', '\\ln 2'), CLOSE]),
  log10: ({ a }) => over([OPEN, a, DOT, txt('ln 10', '\\ln 10'), CLOSE]),
  bitwiseNot: null,
  add: ONES,
  sub: ({ i }) => (i === 0 ? [ONE] : [txt('−1', '-1')]),
  mul: ({ i, a, b }) => (i === 0 ? [b] : [a]),
  div: ({ i, a, b }) =>
    i === 0 ? [ONE, txt('/', '/'), b] : [MINUS, a, txt('/', '/'), b, txt('²', '^2', true)],
  pow: ({ i, a, b }) =>
    i === 0
      ? [b, DOT, a, txt('^(', '^{', true), b, MINUS, ONE, txt(')', '}', true)]
      : [a, txt('^', '^{', true), b, txt('', '}', true), DOT, txt('ln', '\\ln'), a],
  maximum: ({ i, a, b }) => [
    ...ind(i === 0 ? [a, txt('>'), b] : [b, txt('>'), a]),
    txt('(½ at ties)', '\\text{(½ at ties)}'),
  ],
  minimum: ({ i, a, b }) => [
    ...ind(i === 0 ? [a, txt('<'), b] : [b, txt('<'), a]),
    txt('(½ at ties)', '\\text{(½ at ties)}'),
  ],
  eq: null,
  ne: null,
  lt: null,
  le: null,
  gt: null,
  ge: null,
  logicalAnd: null,
  logicalOr: null,
  logicalXor: null,
  atan2: ({ i, a, b }) => [
    ...(i === 0 ? [b] : [MINUS, a]),
    txt('/', '/'),
    OPEN,
    a,
    SQ,
    PLUS,
    b,
    SQ,
    CLOSE,
  ],
  copysign: ({ i, a, b }) =>
    i === 0
      ? [
          ...fn('sign', '\\operatorname{sign}', [[a]]),
          DOT,
          ...fn('sign', '\\operatorname{sign}', [[b]]),
        ]
      : [txt('0')],
  hypot: ({ i, a, b }) => [
    i === 0 ? a : b,
    txt('/', '/'),
    ...fn('hypot', '\\operatorname{hypot}', [[a], [b]]),
  ],
  divTrunc: ZERO,
  divFloor: ZERO,
  remainder: ({ i, a, b }) =>
    i === 0 ? [ONE] : [MINUS, ...fn('floor', '\\operatorname{floor}', [[a, txt('/', '/'), b]])],
  fmod: ({ i, a, b }) =>
    i === 0 ? [ONE] : [MINUS, ...fn('trunc', '\\operatorname{trunc}', [[a, txt('/', '/'), b]])],
  bitwiseAnd: null,
  bitwiseOr: null,
  bitwiseXor: null,
  bitwiseLeftShift: null,
  bitwiseRightShift: null,
  reluBackward: ({ i, b }) => (i === 0 ? ind([b, txt('>'), txt('0')]) : [txt('0')]),
  sum: null,
  prod: null,
  amax: null,
  amin: null,
  argmax: null,
  argmin: null,
  all: null,
  any: null,
  cast: ONES,
  clamp: ({ a }) => ind([txt('min ≤', '\\min \\le'), a, txt('≤ max', '\\le \\max')]),
  where: ({ i, args }) =>
    i === 1 ? ind([sym(args[0] ?? '?')]) : ind([txt('¬', '\\lnot'), sym(args[0] ?? '?')]),
  norm: null,
  cumsum: null,
  logSoftmax: null,
  nllLoss: null,
  nllLossBackward: null,
  cumprod: null,
  logcumsumexp: null,
  cumExtremeIndex: null,
  diagonal: null,
  windows: null,
  matmul: null,
  linear: null,
  batchNormStats: null,
  batchNormGradStats: null,
  batchNorm: null,
  batchNormBackward: null,
  view: null,
  permute: null,
  expand: null,
  slice: null,
  sliceScatter: null,
  cat: null,
  gather: null,
  scatter: null,
  scatterAdd: null,
  maxPoolBackward: null,
  scatterReduce: null,
  sort: null,
  kthIndex: null,
  unfold: null,
  fold: null,
  maxPoolIndices: null,
  conv2d: null,
  conv2dWeightGrad: null,
  conv2dInputGrad: null,
};

/** The right-hand side of `∂y/∂x_i = ...` for elementwise ops (null where it is not elementwise). */
export function localFormula(op: Primitive, i: number, args: readonly string[]): Formula | null {
  const rule = LOCAL[op];
  return rule === null ? null : rule({ i, a: sym(args[0] ?? '?'), b: sym(args[1] ?? '?'), args });
}

/**
 * The chain rule for the ops that are not elementwise, with its numbers: ∂L/∂A = ∂L/∂Y · Bᵀ and
 * ∂L/∂B = Aᵀ · ∂L/∂Y for a matrix product (`other` is the other operand, `otherT` its transposed
 * value), ∂L/∂x = ∂L/∂Y · W, ∂L/∂W = (∂L/∂Y)ᵀ · x and ∂L/∂b = Σ_rows ∂L/∂Y for linear (`otherT`
 * the other operand's value as it is, `upstreamT` the transposed upstream gradient), the upstream
 * gradient copied back for a sum, transposed back for a transpose, and the op's vector-Jacobian
 * product otherwise.
 */
export function chainProduct(
  kind: OpKind,
  op: string,
  i: number,
  x: string,
  y: string,
  v: {
    other: string;
    otherT: Value | null;
    upstream: Value;
    grad: Value;
    upstreamT?: Value | null;
  },
): Term[] {
  const lhs = [d('L', x), EQ];
  const end = [EQ, val(v.grad)];
  const o = sym(v.other);
  switch (kind) {
    case 'matmul':
      return i === 0
        ? [
            ...lhs,
            d('L', y),
            DOT,
            o,
            TRANSPOSE,
            ...(v.otherT ? [EQ, val(v.upstream), DOT, val(v.otherT)] : []),
            ...end,
          ]
        : [
            ...lhs,
            o,
            TRANSPOSE,
            DOT,
            d('L', y),
            ...(v.otherT ? [EQ, val(v.otherT), DOT, val(v.upstream)] : []),
            ...end,
          ];
    case 'linear':
      // y = x·Wᵀ + b: ∂L/∂x = ∂L/∂y · W, ∂L/∂W = (∂L/∂y)ᵀ · x, ∂L/∂b = the rows of ∂L/∂y summed
      if (i === 2) return [...lhs, txt('Σ_rows', '\\sum_{\\text{rows}}'), d('L', y), ...end];
      return i === 0
        ? [
            ...lhs,
            d('L', y),
            DOT,
            o,
            ...(v.otherT ? [EQ, val(v.upstream), DOT, val(v.otherT)] : []),
            ...end,
          ]
        : [
            ...lhs,
            OPEN,
            d('L', y),
            CLOSE,
            TRANSPOSE,
            DOT,
            o,
            ...(v.otherT && v.upstreamT ? [EQ, val(v.upstreamT), DOT, val(v.otherT)] : []),
            ...end,
          ];
    case 'sum':
      return [...lhs, ...fn('expand', '\\operatorname{expand}', [[d('L', y)]]), ...end];
    case 'transpose':
      return [...lhs, OPEN, d('L', y), CLOSE, TRANSPOSE, ...end];
    default:
      return [...lhs, ...fn(`${op}ᵀ`, `\\operatorname{${op}}^{\\top}`, [[d('L', y)]]), ...end];
  }
}

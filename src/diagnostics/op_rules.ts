// What explain writes for each primitive: the forward formula and the local derivative ∂y/∂x_i.
import {
  BINARY_PRIMITIVES,
  UNARY_PRIMITIVES,
  type ReduceParams,
  type SliceParams,
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
export type OpKind = 'elementwise' | 'matmul' | 'sum' | 'transpose' | 'view' | 'other';

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

const UNARY_NAMES: Readonly<Record<string, [string, string]>> = {
  relu: ['relu', '\\operatorname{relu}'],
  sigmoid: ['σ', '\\sigma'],
  tanh: ['tanh', '\\tanh'],
  exp: ['exp', '\\exp'],
  log: ['log', '\\log'],
  sin: ['sin', '\\sin'],
  cos: ['cos', '\\cos'],
};

/** The right-hand side of `y = ...` for one op, given its inputs' symbols. */
export function forwardFormula(
  op: string,
  params: object,
  args: readonly string[],
  ndim: number,
): Formula {
  const a = sym(args[0] ?? '?');
  const b = sym(args[1] ?? '?');
  switch (op) {
    case 'add':
      return [a, PLUS, b];
    case 'sub':
      return [a, MINUS, b];
    case 'mul':
      return [a, HADAMARD, b];
    case 'div':
      return [a, txt('/', '/'), b];
    case 'pow':
      return [a, txt('^', '^', true), b];
    case 'maximum':
    case 'minimum':
      return fn(op.slice(0, 3), `\\${op.slice(0, 3)}`, [[a], [b]]);
    case 'neg':
      return [MINUS, a];
    case 'abs':
      return [txt('|', '\\lvert'), a, txt('|', '\\rvert', true)];
    case 'sqrt':
      return fn('√', '\\sqrt', [[a]]);
    case 'matmul':
      return [a, DOT, b];
    case 'cast':
      return fn(
        (params as { dtype: string }).dtype,
        `\\operatorname{${(params as { dtype: string }).dtype}}`,
        [[a]],
      );
    case 'clamp': {
      const p = params as { min?: number; max?: number };
      return fn('clamp', '\\operatorname{clamp}', [
        [a],
        [sym(String(p.min ?? '-inf'))],
        [sym(String(p.max ?? 'inf'))],
      ]);
    }
    case 'where':
      return fn('where', '\\operatorname{where}', [[a], [b], [sym(args[2] ?? '?')]]);
    case 'sum': {
      const p = params as ReduceParams;
      return p.dims.length === 0 || p.dims.length === ndim
        ? [txt('Σ', '\\sum'), a]
        : [txt(`Σ_dim${p.dims.join(',')}`, `\\sum_{\\text{dim } ${p.dims.join(',')}}`), a];
    }
    case 'permute': {
      const dims = (params as { dims: number[] }).dims;
      return isTranspose(dims)
        ? [a, TRANSPOSE]
        : fn('permute', '\\operatorname{permute}', [[a], [txt(`[${dims.join(', ')}]`)]]);
    }
    case 'view':
      return fn('reshape', '\\operatorname{reshape}', [
        [a],
        [txt(`[${(params as { shape: number[] }).shape.join(', ')}]`)],
      ]);
    case 'expand':
      return fn('expand', '\\operatorname{expand}', [
        [a],
        [txt(`[${(params as { shape: number[] }).shape.join(', ')}]`)],
      ]);
    case 'slice': {
      const p = params as SliceParams;
      return fn('slice', '\\operatorname{slice}', [
        [a],
        [
          txt(
            `dim ${p.dim}, ${p.start}:${p.end}${p.step === 1 ? '' : `:${p.step}`}`,
            `\\text{dim ${p.dim}, ${p.start}:${p.end}}`,
          ),
        ],
      ]);
    }
    default: {
      const names = UNARY_NAMES[op];
      if (names) return fn(names[0], names[1], [[a]]);
      return fn(
        op,
        `\\operatorname{${op}}`,
        args.map((s) => [sym(s)]),
      );
    }
  }
}

const ind = (cond: Term[]): Term[] => [
  txt('1[', '\\mathbb{1}\\left['),
  ...cond,
  txt(']', '\\right]', true),
];

/** The right-hand side of `∂y/∂x_i = ...` for elementwise ops (null where it is not elementwise). */
export function localFormula(op: string, i: number, args: readonly string[]): Formula | null {
  const a = sym(args[0] ?? '?');
  const b = sym(args[1] ?? '?');
  const one = txt('1');
  switch (op) {
    case 'relu':
      return ind([a, txt('>'), txt('0')]);
    case 'sigmoid':
      return [...fn('σ', '\\sigma', [[a]]), OPEN, one, MINUS, ...fn('σ', '\\sigma', [[a]]), CLOSE];
    case 'tanh':
      return [one, MINUS, txt('tanh²', '\\tanh^2'), txt('(', '\\left(', true), a, CLOSE];
    case 'exp':
    case 'expm1':
      return fn('exp', '\\exp', [[a]]);
    case 'log':
      return [one, txt('/', '/'), a];
    case 'log1p':
      return [one, txt('/', '/'), OPEN, one, PLUS, a, CLOSE];
    case 'neg':
      return [txt('−1', '-1')];
    case 'abs':
      return fn('sign', '\\operatorname{sign}', [[a]]);
    case 'sqrt':
      return [one, txt('/', '/'), OPEN, txt('2'), ...fn('√', '\\sqrt', [[a]]), CLOSE];
    case 'rsqrt':
      return [txt('−½', '-\\tfrac{1}{2}'), a, txt('^(−3/2)', '^{-3/2}', true)];
    case 'sin':
      return fn('cos', '\\cos', [[a]]);
    case 'cos':
      return [MINUS, ...fn('sin', '\\sin', [[a]])];
    case 'erf':
      return [
        txt('(2/√π)', '\\tfrac{2}{\\sqrt{\\pi}}'),
        ...fn('exp', '\\exp', [[MINUS, a, txt('²', '^2', true)]]),
      ];
    case 'sign':
    case 'floor':
    case 'ceil':
    case 'round':
      return [txt('0')];
    case 'cast':
      return [one];
    case 'clamp':
      return ind([txt('min ≤', '\\min \\le'), a, txt('≤ max', '\\le \\max')]);
    case 'add':
      return [one];
    case 'sub':
      return i === 0 ? [one] : [txt('−1', '-1')];
    case 'mul':
      return i === 0 ? [b] : [a];
    case 'div':
      return i === 0 ? [one, txt('/', '/'), b] : [MINUS, a, txt('/', '/'), b, txt('²', '^2', true)];
    case 'pow':
      return i === 0
        ? [b, DOT, a, txt('^(', '^{', true), b, MINUS, one, txt(')', '}', true)]
        : [a, txt('^', '^{', true), b, txt('', '}', true), DOT, txt('ln', '\\ln'), a];
    case 'maximum':
      return [
        ...ind(i === 0 ? [a, txt('>'), b] : [b, txt('>'), a]),
        txt('(½ at ties)', '\\text{(½ at ties)}'),
      ];
    case 'minimum':
      return [
        ...ind(i === 0 ? [a, txt('<'), b] : [b, txt('<'), a]),
        txt('(½ at ties)', '\\text{(½ at ties)}'),
      ];
    case 'where':
      return i === 1 ? ind([sym(args[0] ?? '?')]) : ind([txt('¬', '\\lnot'), sym(args[0] ?? '?')]);
    default:
      return null;
  }
}

/**
 * The chain rule for the ops that are not elementwise, with its numbers: ∂L/∂A = ∂L/∂Y · Bᵀ and
 * ∂L/∂B = Aᵀ · ∂L/∂Y for a matrix product (`other` is the other operand, `otherT` its transposed
 * value), the upstream gradient copied back for a sum, transposed back for a transpose, and the
 * op's vector-Jacobian product otherwise.
 */
export function chainProduct(
  kind: OpKind,
  op: string,
  i: number,
  x: string,
  y: string,
  v: { other: string; otherT: Value | null; upstream: Value; grad: Value },
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
    case 'sum':
      return [...lhs, ...fn('expand', '\\operatorname{expand}', [[d('L', y)]]), ...end];
    case 'transpose':
      return [...lhs, OPEN, d('L', y), CLOSE, TRANSPOSE, ...end];
    default:
      return [...lhs, ...fn(`${op}ᵀ`, `\\operatorname{${op}}^{\\top}`, [[d('L', y)]]), ...end];
  }
}

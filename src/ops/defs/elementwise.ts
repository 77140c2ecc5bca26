// Op definitions of the elementwise primitives: dtype rules, broadcasting and vector-Jacobian products.
import { DTypeError } from '../../errors.js';
import { isFloating, notImplementedFor, resultType, toFloating, type DType } from '../../dtype.js';
import {
  add,
  apply,
  cos,
  div,
  eq,
  exp,
  gt,
  le,
  log,
  logicalAnd,
  lt,
  mul,
  neg,
  pow,
  sign,
  sin,
  sub,
  where,
  zerosLike,
  sumToShape,
  ge,
} from '../call.js';
import type { BinaryPrimitive, UnaryPrimitive } from '../../primitives.js';
import { broadcastShapes } from '../../shape.js';
import type { Tensor } from '../../tensor.js';
import type { BackwardContext, Inferred, KernelOpDef, SaveContext, TensorMeta } from '../op.js';

// ---- unary ----

type UnaryRule = 'float' | 'same' | 'signed' | 'bool' | 'bitwise';

interface UnarySpec {
  readonly rule: UnaryRule;
  /** What backward needs: the input x, the output y, or nothing. */
  readonly saves?: 'x' | 'y';
  /** dL/dx from dL/dy; undefined for ops that are not differentiable. */
  readonly vjp?: (g: Tensor, s: Tensor) => Tensor;
}

const u = (op: UnaryPrimitive, x: Tensor): Tensor => apply(op, [x], {});
const rsqrt = (x: Tensor): Tensor => u('rsqrt', x);
/** 1 − x² */
const oneMinusSq = (x: Tensor): Tensor => sub(1, mul(x, x));

const UNARY: { readonly [P in UnaryPrimitive]: UnarySpec } = {
  neg: { rule: 'signed', vjp: (g) => neg(g) }, // d(−x) = −1
  abs: { rule: 'signed', saves: 'x', vjp: (g, x) => mul(g, sign(x)) }, // d|x| = sign(x), 0 at 0
  sign: { rule: 'signed', vjp: (g) => zerosLike(g) }, // piecewise constant
  exp: { rule: 'float', saves: 'y', vjp: (g, y) => mul(g, y) }, // d eˣ = eˣ
  log: { rule: 'float', saves: 'x', vjp: (g, x) => div(g, x) }, // d ln x = 1/x
  log1p: { rule: 'float', saves: 'x', vjp: (g, x) => div(g, add(x, 1)) }, // 1/(1+x)
  expm1: { rule: 'float', saves: 'y', vjp: (g, y) => mul(g, add(y, 1)) }, // eˣ = y + 1
  sqrt: { rule: 'float', saves: 'y', vjp: (g, y) => div(g, mul(y, 2)) }, // 1/(2√x)
  rsqrt: { rule: 'float', saves: 'y', vjp: (g, y) => mul(mul(g, -0.5), pow(y, 3)) }, // −½ x^(−3/2)
  sin: { rule: 'float', saves: 'x', vjp: (g, x) => mul(g, cos(x)) },
  cos: { rule: 'float', saves: 'x', vjp: (g, x) => mul(g, neg(sin(x))) },
  tanh: { rule: 'float', saves: 'y', vjp: (g, y) => mul(g, sub(1, mul(y, y))) }, // 1 − tanh²
  sigmoid: { rule: 'float', saves: 'y', vjp: (g, y) => mul(mul(g, sub(1, y)), y) }, // σ(1 − σ)
  erf: {
    rule: 'float',
    saves: 'x',
    vjp: (g, x) => mul(g, mul(exp(neg(mul(x, x))), 2 / Math.sqrt(Math.PI))),
  }, // 2/√π·e^(−x²)
  relu: { rule: 'same', saves: 'y', vjp: (g, y) => apply('reluBackward', [g, y], {}) }, // 1 where y > 0; relu'(0) = 0
  floor: { rule: 'same', vjp: (g) => zerosLike(g) },
  ceil: { rule: 'same', vjp: (g) => zerosLike(g) },
  round: { rule: 'same', vjp: (g) => zerosLike(g) },
  logicalNot: { rule: 'bool' },
  tan: { rule: 'float', saves: 'y', vjp: (g, y) => mul(g, add(mul(y, y), 1)) }, // 1 + tan²
  asin: { rule: 'float', saves: 'x', vjp: (g, x) => mul(g, rsqrt(oneMinusSq(x))) }, // 1/√(1 − x²)
  acos: { rule: 'float', saves: 'x', vjp: (g, x) => mul(neg(g), rsqrt(oneMinusSq(x))) }, // −1/√(1 − x²)
  atan: { rule: 'float', saves: 'x', vjp: (g, x) => div(g, add(mul(x, x), 1)) }, // 1/(1 + x²)
  sinh: { rule: 'float', saves: 'x', vjp: (g, x) => mul(g, u('cosh', x)) }, // cosh
  cosh: { rule: 'float', saves: 'x', vjp: (g, x) => mul(g, u('sinh', x)) }, // sinh
  asinh: { rule: 'float', saves: 'x', vjp: (g, x) => mul(g, rsqrt(add(mul(x, x), 1))) }, // 1/√(x² + 1)
  acosh: { rule: 'float', saves: 'x', vjp: (g, x) => mul(g, rsqrt(sub(mul(x, x), 1))) }, // 1/√(x² − 1)
  atanh: { rule: 'float', saves: 'x', vjp: (g, x) => div(g, oneMinusSq(x)) }, // 1/(1 − x²)
  log2: { rule: 'float', saves: 'x', vjp: (g, x) => div(g, mul(x, Math.LN2)) }, // 1/(x ln 2)
  log10: { rule: 'float', saves: 'x', vjp: (g, x) => div(g, mul(x, Math.LN10)) }, // 1/(x ln 10)
  bitwiseNot: { rule: 'bitwise' },
};

function unaryInfer(op: UnaryPrimitive, rule: UnaryRule) {
  return ([x]: readonly TensorMeta[]): Inferred => {
    const d = x!.dtype;
    if (rule === 'bool') return { shape: x!.shape, dtype: 'bool' };
    if (rule === 'bitwise' && isFloating(d)) throw notImplementedFor('bitwise_not_cpu', d);
    if (rule === 'float') {
      const f = toFloating(d);
      return { shape: x!.shape, dtype: f, inputDTypes: [f] };
    }
    if (d === 'bool' && (rule === 'signed' || op === 'relu')) {
      throw new DTypeError(
        op === 'neg'
          ? 'Negation, the `-` operator, on a bool tensor is not supported. If you are trying to invert a mask, use the `~` or `logicalNot()` operator instead.'
          : `${op}: not implemented for 'bool'`,
      );
    }
    return { shape: x!.shape, dtype: d };
  };
}

function unaryDef(op: UnaryPrimitive): KernelOpDef<UnaryPrimitive> {
  const spec = UNARY[op];
  const vjp = spec.vjp;
  return {
    kind: 'kernel',
    overwrites: true,
    infer: unaryInfer(op, spec.rule),
    ...(spec.saves
      ? { save: (c: SaveContext<UnaryPrimitive>) => [spec.saves === 'x' ? c.inputs[0]! : c.output] }
      : {}),
    ...(vjp
      ? { backward: (g: Tensor, c: BackwardContext<UnaryPrimitive>) => [vjp(g, c.saved[0] ?? g)] }
      : {}),
  };
}

// ---- binary ----

/**
 * arith: promoted; div: promoted, then integers to float; compare, logical: bool out. Those that
 * refuse dtypes, as PyTorch's kernels do: floating (promoted, no integer or bool result),
 * numeric (no bool), bitwise (integers and bool), shift (integers only).
 */
type BinaryRule =
  'arith' | 'div' | 'compare' | 'logical' | 'floating' | 'numeric' | 'bitwise' | 'shift';

/** Which promoted dtypes each refusing rule takes. */
const TAKES: { readonly [R in BinaryRule]?: (d: DType) => boolean } = {
  floating: isFloating,
  numeric: (d) => d !== 'bool',
  bitwise: (d) => !isFloating(d),
  shift: (d) => d === 'int32',
};

function binaryInfer(op: BinaryPrimitive, rule: BinaryRule, kernel: string | undefined) {
  return ([a, b]: readonly TensorMeta[]): Inferred => {
    const shape = broadcastShapes(a!.shape, b!.shape);
    let ct: DType = resultType([
      { dtype: a!.dtype, ndim: a!.shape.length },
      { dtype: b!.dtype, ndim: b!.shape.length },
    ]);
    if (op === 'sub' && ct === 'bool') {
      throw new DTypeError(
        'Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or `logicalXor()` operator instead.',
      );
    }
    if (rule === 'div') ct = toFloating(ct);
    const takes = TAKES[rule];
    if (takes !== undefined && !takes(ct)) throw notImplementedFor(`${kernel ?? op}_cpu`, ct);
    const out: DType = rule === 'compare' || rule === 'logical' ? 'bool' : ct;
    return { shape, dtype: out, inputDTypes: [ct, ct], broadcastTo: [shape, shape] };
  };
}

/** One side's VJP: dL/da (or dL/db) from the output gradient and what was saved. */
type SideVjp = (g: Tensor, a: Tensor, b: Tensor, y: Tensor) => Tensor;

interface BinarySpec {
  readonly rule: BinaryRule;
  /** PyTorch's kernel name, for the refusals of the rules that refuse dtypes. */
  readonly kernel?: string;
  /** Which of (a, b, y) backward needs, given which inputs need gradients. */
  readonly saves?: (needA: boolean, needB: boolean) => readonly [boolean, boolean, boolean];
  /** The VJPs for a and for b, each computed only when that input needs its gradient. */
  readonly vjp?: readonly [SideVjp, SideVjp];
}

/** Half the gradient to each side of a tie, as PyTorch's maximum/minimum do. */
function extremumSide(pick: (x: Tensor, y: Tensor) => Tensor, left: boolean): SideVjp {
  return (g, a, b) => {
    const [self, other] = left ? [a, b] : [b, a];
    return where(eq(a, b), mul(g, 0.5), where(pick(self, other), g, 0));
  };
}

const BINARY: { readonly [P in BinaryPrimitive]: BinarySpec } = {
  add: { rule: 'arith', vjp: [(g) => g, (g) => g] },
  sub: { rule: 'arith', vjp: [(g) => g, (g) => neg(g)] },
  // d(ab) = b da + a db
  mul: {
    rule: 'arith',
    saves: (na, nb) => [nb, na, false],
    vjp: [(g, _a, b) => mul(g, b), (g, a) => mul(g, a)],
  },
  // d(a/b) = da/b − a db/b²
  div: {
    rule: 'div',
    saves: (_na, nb) => [nb, true, false],
    vjp: [(g, _a, b) => div(g, b), (g, a, b) => mul(neg(g), div(div(a, b), b))],
  },
  // d(aᵇ) = b aᵇ⁻¹ da + aᵇ ln a db, with PyTorch's masks at b = 0 and at a = 0, b ≥ 0
  pow: {
    rule: 'arith',
    saves: (_na, nb) => [true, true, nb],
    vjp: [
      (g, a, b) => where(eq(b, 0), 0, mul(g, mul(b, pow(a, sub(b, 1))))),
      (g, a, b, y) => mul(g, where(logicalAnd(eq(a, 0), ge(b, 0)), 0, mul(y, log(a)))),
    ],
  },
  maximum: {
    rule: 'arith',
    saves: () => [true, true, false],
    vjp: [extremumSide((x, y) => gt(x, y), true), extremumSide((x, y) => gt(x, y), false)],
  },
  minimum: {
    rule: 'arith',
    saves: () => [true, true, false],
    vjp: [extremumSide((x, y) => lt(x, y), true), extremumSide((x, y) => lt(x, y), false)],
  },
  eq: { rule: 'compare' },
  ne: { rule: 'compare' },
  lt: { rule: 'compare' },
  le: { rule: 'compare' },
  gt: { rule: 'compare' },
  ge: { rule: 'compare' },
  logicalAnd: { rule: 'logical' },
  logicalOr: { rule: 'logical' },
  logicalXor: { rule: 'logical' },
  // d atan2(a, b) = (b da − a db)/(a² + b²)
  atan2: {
    rule: 'div',
    saves: () => [true, true, false],
    vjp: [
      (g, a, b) => div(mul(g, b), add(mul(a, a), mul(b, b))),
      (g, a, b) => div(mul(neg(g), a), add(mul(a, a), mul(b, b))),
    ],
  },
  // d copysign(a, b) = (y/a) da (0 at a = 0, as PyTorch), 0 db
  copysign: {
    rule: 'div',
    saves: (na) => [na, false, na],
    vjp: [(g, a, _b, y) => mul(g, where(eq(a, 0), 0, div(y, a))), (g) => zerosLike(g)],
  },
  // d hypot(a, b) = (a da + b db)/y, as (g·a)/y like PyTorch (g·a may overflow where a/y would not)
  hypot: {
    rule: 'floating',
    kernel: 'hypot',
    saves: (na, nb) => [na, nb, true],
    vjp: [(g, a, _b, y) => div(mul(g, a), y), (g, _a, b, y) => div(mul(g, b), y)],
  },
  // rounded quotients are piecewise constant: zero gradients, as PyTorch
  divTrunc: {
    rule: 'numeric',
    kernel: 'div_trunc',
    vjp: [(g) => zerosLike(g), (g) => zerosLike(g)],
  },
  divFloor: {
    rule: 'numeric',
    kernel: 'div_floor',
    vjp: [(g) => zerosLike(g), (g) => zerosLike(g)],
  },
  // a − b·floor(a/b): da, −floor(a/b) db
  remainder: {
    rule: 'numeric',
    kernel: 'remainder',
    saves: (_na, nb) => [nb, nb, false],
    vjp: [(g) => g, (g, a, b) => mul(neg(g), apply('divFloor', [a, b], {}))],
  },
  // a − b·trunc(a/b): da, −trunc(a/b) db
  fmod: {
    rule: 'numeric',
    kernel: 'fmod',
    saves: (_na, nb) => [nb, nb, false],
    vjp: [(g) => g, (g, a, b) => mul(neg(g), apply('divTrunc', [a, b], {}))],
  },
  bitwiseAnd: { rule: 'bitwise', kernel: 'bitwise_and' },
  bitwiseOr: { rule: 'bitwise', kernel: 'bitwise_or' },
  bitwiseXor: { rule: 'bitwise', kernel: 'bitwise_xor' },
  bitwiseLeftShift: { rule: 'shift', kernel: 'lshift' },
  bitwiseRightShift: { rule: 'shift', kernel: 'rshift' },
  // relu's gradient in one pass, y ≤ 0 ? 0 : g (PyTorch's threshold_backward: a NaN y passes g);
  // linear in g: d/dg = the same mask (gg ≤ ... : reluBackward(gg, y)), d/dy = 0
  reluBackward: {
    rule: 'numeric',
    kernel: 'threshold_backward',
    saves: (na) => [false, na, false],
    vjp: [(g, _a, y) => apply('reluBackward', [g, y], {}), (g) => zerosLike(g)],
  },
};

function binaryDef(op: BinaryPrimitive): KernelOpDef<BinaryPrimitive> {
  const spec = BINARY[op];
  const vjp = spec.vjp;
  const saves = spec.saves;
  return {
    kind: 'kernel',
    overwrites: true,
    infer: binaryInfer(op, spec.rule, spec.kernel),
    ...(saves
      ? {
          save: (c: SaveContext<BinaryPrimitive>) => {
            const [sa, sb, sy] = saves(c.needsInputGrad[0]!, c.needsInputGrad[1]!);
            return [sa ? c.inputs[0]! : null, sb ? c.inputs[1]! : null, sy ? c.output : null];
          },
        }
      : {}),
    ...(vjp
      ? {
          backward: (g: Tensor, c: BackwardContext<BinaryPrimitive>) => {
            const [a, b, y] = c.saved;
            const side = (k: 0 | 1) =>
              c.needsInputGrad[k]
                ? sumToShape(vjp[k](g, a ?? g, b ?? g, y ?? g), c.inputs[k]!.shape)
                : null;
            return [side(0), side(1)];
          },
        }
      : {}),
  };
}

function family<P extends string, D>(names: readonly P[], make: (p: P) => D): { [Q in P]: D } {
  return Object.fromEntries(names.map((n) => [n, make(n)])) as { [Q in P]: D };
}

export const unaryDefs = (names: readonly UnaryPrimitive[]) => family(names, unaryDef);
export const binaryDefs = (names: readonly BinaryPrimitive[]) => family(names, binaryDef);

// ---- cast, clamp, where ----

export const castDef: KernelOpDef<'cast'> = {
  kind: 'kernel',
  overwrites: true,
  infer: ([x], { dtype }) => ({ shape: x!.shape, dtype }),
  // The gradient is cast back to the input's dtype by the node.
  backward: (g) => [g],
};

export const clampDef: KernelOpDef<'clamp'> = {
  kind: 'kernel',
  overwrites: true,
  infer: ([x], { min, max }) => {
    const ops = [
      { dtype: x!.dtype, ndim: x!.shape.length },
      ...[min, max].filter((v): v is number => v !== undefined),
    ];
    const dtype = resultType(ops);
    if (dtype === 'bool') throw new DTypeError('clamp is not supported for bool tensors');
    return { shape: x!.shape, dtype, inputDTypes: [dtype] };
  },
  save: (c) => [c.inputs[0]!],
  // 1 where min ≤ x ≤ max (inclusive, as PyTorch), else 0
  backward: (g, c) => {
    const x = c.saved[0]!;
    const { min, max } = c.params;
    let inside: Tensor | null = null;
    if (min !== undefined) inside = ge(x, min);
    if (max !== undefined) inside = inside ? logicalAnd(inside, le(x, max)) : le(x, max);
    return [where(inside!, g, 0)];
  },
};

export const whereDef: KernelOpDef<'where'> = {
  kind: 'kernel',
  overwrites: true,
  infer: ([c, a, b]) => {
    if (c!.dtype !== 'bool') {
      throw new DTypeError(
        `where expected condition to be a boolean tensor, but got a tensor with dtype ${c!.dtype}`,
      );
    }
    const shape = broadcastShapes(c!.shape, a!.shape, b!.shape);
    const dtype = resultType([
      { dtype: a!.dtype, ndim: a!.shape.length },
      { dtype: b!.dtype, ndim: b!.shape.length },
    ]);
    return {
      shape,
      dtype,
      inputDTypes: [undefined, dtype, dtype],
      broadcastTo: [shape, shape, shape],
    };
  },
  save: (c) => [c.inputs[0]!],
  // the gradient goes to whichever side was taken
  backward: (g, c) => {
    const cond = c.saved[0]!;
    return [
      null,
      c.needsInputGrad[1] ? sumToShape(where(cond, g, 0), c.inputs[1]!.shape) : null,
      c.needsInputGrad[2] ? sumToShape(where(cond, 0, g), c.inputs[2]!.shape) : null,
    ];
  },
};

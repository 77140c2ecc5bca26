// The TypeScript half of the C kernels' contract (kernels/nabla.h): kernel lists, primitive → kernel tables, scalar layouts, checked at load.
import { NablaError } from '../../errors.js';
import type { BinaryPrimitive, ReducePrimitive, UnaryPrimitive } from '../../primitives.js';
import {
  FUSED_BINARY,
  FUSED_MAX_INSTRUCTIONS,
  FUSED_MAX_LEAVES,
  FUSED_PROG,
  MAXDIM,
  META_DOUBLES,
  META_INTS,
  X_COPY,
} from './meta.js';

/** nabla.h's NB_ABI_VERSION: bumped with every change to the contract below. */
export const ABI_VERSION = 13;

// The kernels of each family in op-code order: nabla.h's NB_*_OPS lists, name for name.
export const UNARY_KERNELS = [
  'copy',
  'neg',
  'abs',
  'sign',
  'exp',
  'log',
  'log1p',
  'expm1',
  'sqrt',
  'rsqrt',
  'tanh',
  'sigmoid',
  'relu',
  'floor',
  'ceil',
  'round',
  'clamp',
  'erf',
] as const;
export const BINARY_KERNELS = [
  'add',
  'sub',
  'mul',
  'div',
  'maximum',
  'minimum',
  'reluBackward',
] as const;
export const COMPARE_KERNELS = ['eq', 'ne', 'lt', 'le', 'gt', 'ge'] as const;
export const REDUCE_KERNELS = ['sum', 'prod', 'amax', 'amin', 'argmax', 'argmin'] as const;
export const INDEX_KERNELS = ['gather', 'scatter', 'scatterAdd'] as const;

export type UnaryKernel = (typeof UNARY_KERNELS)[number];
export type BinaryKernel = (typeof BINARY_KERNELS)[number];
export type CompareKernel = (typeof COMPARE_KERNELS)[number];
export type ReduceKernel = (typeof REDUCE_KERNELS)[number];
export type IndexKernel = (typeof INDEX_KERNELS)[number];

/** Each name's position in its list: the op code the C kernels switch on. */
function codes<K extends string>(names: readonly K[]): { readonly [Q in K]: number } {
  return Object.fromEntries(names.map((n, i) => [n, i])) as { [Q in K]: number };
}

export const UNARY_CODE = codes(UNARY_KERNELS);
export const BINARY_CODE = codes(BINARY_KERNELS);
export const COMPARE_CODE = codes(COMPARE_KERNELS);
export const REDUCE_CODE = codes(REDUCE_KERNELS);
export const INDEX_CODE = codes(INDEX_KERNELS);

/**
 * The C kernel that runs each unary primitive on float32; null: there is none (the JavaScript
 * kernel always runs). Exhaustive: a new primitive does not compile until it has an entry here.
 */
export const UNARY_OPS = {
  neg: 'neg',
  abs: 'abs',
  sign: 'sign',
  exp: 'exp',
  log: 'log',
  log1p: 'log1p',
  expm1: 'expm1',
  sqrt: 'sqrt',
  rsqrt: 'rsqrt',
  sin: null,
  cos: null,
  tanh: 'tanh',
  sigmoid: 'sigmoid',
  erf: 'erf',
  relu: 'relu',
  floor: 'floor',
  ceil: 'ceil',
  round: 'round',
  logicalNot: null,
  tan: null,
  asin: null,
  acos: null,
  atan: null,
  sinh: null,
  cosh: null,
  asinh: null,
  acosh: null,
  atanh: null,
  log2: null,
  log10: null,
  bitwiseNot: null,
} as const satisfies { readonly [P in UnaryPrimitive]: UnaryKernel | null };

/** The unary primitives that have a C kernel. */
export type FastUnaryPrimitive = {
  [P in UnaryPrimitive]: (typeof UNARY_OPS)[P] extends null ? never : P;
}[UnaryPrimitive];

/** The arithmetic (float32 out) or comparison (bool out) kernel of each binary primitive. */
export const BINARY_OPS = {
  add: 'add',
  sub: 'sub',
  mul: 'mul',
  div: 'div',
  pow: null,
  maximum: 'maximum',
  minimum: 'minimum',
  eq: 'eq',
  ne: 'ne',
  lt: 'lt',
  le: 'le',
  gt: 'gt',
  ge: 'ge',
  logicalAnd: null,
  logicalOr: null,
  logicalXor: null,
  atan2: null,
  copysign: null,
  hypot: null,
  divTrunc: null,
  divFloor: null,
  remainder: null,
  fmod: null,
  bitwiseAnd: null,
  bitwiseOr: null,
  bitwiseXor: null,
  bitwiseLeftShift: null,
  bitwiseRightShift: null,
  reluBackward: 'reluBackward',
} as const satisfies { readonly [P in BinaryPrimitive]: BinaryKernel | CompareKernel | null };

export function isCompareKernel(k: BinaryKernel | CompareKernel): k is CompareKernel {
  return k in COMPARE_CODE;
}

export const REDUCE_OPS = {
  sum: 'sum',
  prod: 'prod',
  amax: 'amax',
  amin: 'amin',
  argmax: 'argmax',
  argmin: 'argmin',
  all: null,
  any: null,
} as const satisfies { readonly [P in ReducePrimitive]: ReduceKernel | null };

/** The fused optimizers' flag bits, bit i = the i-th name (nabla.h's NB_OPT_FLAGS). */
export const OPT_FLAGS = ['maximize', 'nesterov', 'first', 'decoupled', 'amsgrad'] as const;
export type OptFlag = (typeof OPT_FLAGS)[number];

/** The flags word for the flags that are set. */
export function optFlags(set: { readonly [F in OptFlag]?: boolean }): number {
  let bits = 0;
  OPT_FLAGS.forEach((f, i) => {
    if (set[f] === true) bits |= 1 << i;
  });
  return bits;
}

/**
 * The scalar arguments of the kernels that take them: the meta block's doubles, by name, at the
 * positions of these lists (nabla.h's NB_*_SCALARS). Callers pass an object with these fields
 * (Meta.scalars), never bare positions.
 */
export const SCALARS = {
  clamp: ['min', 'max'],
  sgd: ['lr', 'weightDecay', 'momentum', 'dampening'],
  adam: ['lr', 'weightDecay', 'beta1', 'beta2', 'eps', 'stepSize', 'biasCorrection2Sqrt'],
} as const;
export type ScalarKernel = keyof typeof SCALARS;
export type ScalarsOf<K extends ScalarKernel> = {
  readonly [F in (typeof SCALARS)[K][number]]: number;
};

/** Sections of the contract: what it is called in an error, and its items as nabla sees them. */
const SECTIONS: readonly (readonly [key: string, label: string, items: readonly string[]])[] = [
  ['abi', 'ABI version', [String(ABI_VERSION)]],
  [
    'meta',
    'meta block layout',
    [`ints:${META_INTS}`, `doubles:${META_DOUBLES}`, `maxdim:${MAXDIM}`, `xcopy:${X_COPY}`],
  ],
  ['unary', 'unary kernels', UNARY_KERNELS],
  ['binary', 'binary kernels', BINARY_KERNELS],
  ['compare', 'comparison kernels', COMPARE_KERNELS],
  ['reduce', 'reduction kernels', REDUCE_KERNELS],
  ['index', 'index kernels', INDEX_KERNELS],
  ['optflags', 'optimizer flags', OPT_FLAGS],
  ['clamp', 'clamp scalars', SCALARS.clamp],
  ['sgd', 'sgd scalars', SCALARS.sgd],
  ['adam', 'adam scalars', SCALARS.adam],
  [
    'fused',
    'fused program layout',
    [
      `leaves:${FUSED_MAX_LEAVES}`,
      `instrs:${FUSED_MAX_INSTRUCTIONS}`,
      `binary:${FUSED_BINARY}`,
      `prog:${FUSED_PROG}`,
    ],
  ],
];

/** The contract string nabla expects, in nabla.h's NB_CONTRACT format. */
export function expectedContract(): string {
  return SECTIONS.map(([key, , items]) =>
    key === 'abi' ? `abi=${items[0]!}` : `${key}=${items.map((s) => `${s},`).join('')}`,
  ).join(';');
}

function parse(contract: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const part of contract.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    out.set(
      part.slice(0, eq),
      part
        .slice(eq + 1)
        .split(',')
        .filter((s) => s !== ''),
    );
  }
  return out;
}

const show = (s: string | undefined) => (s === undefined ? 'nothing' : `'${s}'`);

/** The differences between a build's contract and nabla's tables, one line each (none: []). */
export function contractDifferences(contract: string): string[] {
  const got = parse(contract);
  const diffs: string[] = [];
  for (const [key, label, want] of SECTIONS) {
    const have = got.get(key);
    if (have === undefined) {
      diffs.push(`${label}: missing from the build`);
      continue;
    }
    const at: string[] = [];
    for (let i = 0; i < Math.max(have.length, want.length); i++) {
      if (have[i] !== want[i]) {
        at.push(`#${i} is ${show(have[i])} in the build but ${show(want[i])} in nabla`);
      }
    }
    if (at.length > 0) {
      const more = at.length > 3 ? ` (and ${at.length - 3} more)` : '';
      diffs.push(`${label}: ${at.slice(0, 3).join('; ')}${more}`);
    }
  }
  for (const key of got.keys()) {
    if (!SECTIONS.some(([k]) => k === key)) diffs.push(`'${key}': unknown to this nabla`);
  }
  return diffs;
}

/**
 * Throws a NablaError naming every difference between the contract a kernel build exports and
 * this nabla's tables; `what` names the build and `fix` says how to rebuild it.
 */
export function checkContract(what: string, contract: unknown, fix: string): void {
  if (typeof contract !== 'string') {
    throw new NablaError(
      `${what} exports no kernel contract (built by a nabla older than ABI ${ABI_VERSION}): ${fix}`,
    );
  }
  const diffs = contractDifferences(contract);
  if (diffs.length > 0) {
    throw new NablaError(
      `${what} does not match this nabla's kernel tables: ${diffs.join('. ')}. ${fix}`,
    );
  }
}

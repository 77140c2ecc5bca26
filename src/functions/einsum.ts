// einsum: the equation parsed into labelled dims, then diagonals, sums, and pairwise contractions as batched matmuls.
import { ArgumentError, ShapeError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { isTensor } from '../tensor_class.js';
import { matmul } from './linalg.js';
import { sum } from './reduction.js';
import { expand, permute, reshape, slice } from './shape_ops.js';

const err = (msg: string) => new ShapeError(`einsum(): ${msg}`);
/** A malformed equation (as opposed to operands whose shapes do not fit it). */
const bad = (msg: string) => new ArgumentError(`einsum(): ${msg}`);

/** A subscript label; the dims an ellipsis covers get labels of their own ('…0', '…1', ...). */
type Label = string;

interface Parsed {
  readonly inputs: Label[][];
  readonly output: Label[];
}

function isLetter(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/** PyTorch's label order: A-Z before a-z. */
const labelRank = (l: Label) => (l >= 'a' ? 26 : 0) + l.toLowerCase().charCodeAt(0) - 97;

/** One term of the equation: its letters, and where its ellipsis stands (−1 without one). */
function parseTerm(
  eq: string,
  from: number,
  to: number,
  who: string,
): { letters: string[]; ellipsisAt: number } {
  const letters: string[] = [];
  let ellipsisAt = -1;
  for (let i = from; i < to; i++) {
    const c = eq[i]!;
    if (c === ' ') continue;
    if (c === '.') {
      if (ellipsisAt >= 0)
        throw bad(`found '.' for ${who} but an ellipsis (...) was already found`);
      if (eq.slice(i, i + 3) !== '...') {
        throw bad(`found '.' for ${who} that is not part of any ellipsis`);
      }
      ellipsisAt = letters.length;
      i += 2;
      continue;
    }
    if (!isLetter(c)) {
      throw bad(
        `invalid subscript given at index ${i} in the equation string, subscripts must be in [a-zA-Z]`,
      );
    }
    letters.push(c);
  }
  return { letters, ellipsisAt };
}

function parse(equation: string, operands: readonly Tensor[]): Parsed {
  const arrow = equation.indexOf('->');
  const lhsEnd = arrow < 0 ? equation.length : arrow;
  const inputs: Label[][] = [];
  let ellipsisDims = 0;
  let start = 0;
  let k = 0;
  for (;;) {
    const comma = equation.indexOf(',', start);
    const end = comma < 0 || comma > lhsEnd ? lhsEnd : comma;
    if (k >= operands.length)
      throw bad('fewer operands were provided than specified in the equation');
    const who = `operand ${k}`;
    const { letters, ellipsisAt } = parseTerm(equation, start, end, who);
    const nd = operands[k]!.ndim;
    let labels: Label[];
    if (ellipsisAt < 0) {
      if (letters.length !== nd) {
        throw err(
          `the number of subscripts in the equation (${letters.length}) does not match the number of dimensions (${nd}) for operand ${k} and no ellipsis was given`,
        );
      }
      labels = letters;
    } else {
      if (letters.length > nd) {
        throw err(
          `the number of subscripts in the equation (${letters.length}) is more than the number of dimensions (${nd}) for operand ${k}`,
        );
      }
      const covered = nd - letters.length;
      ellipsisDims = Math.max(ellipsisDims, covered);
      // right-aligned: the last covered dim is '…0' in every operand
      const dots = Array.from({ length: covered }, (_, i) => `…${covered - 1 - i}`);
      labels = [...letters.slice(0, ellipsisAt), ...dots, ...letters.slice(ellipsisAt)];
    }
    inputs.push(labels);
    k++;
    if (end === lhsEnd) break;
    start = end + 1;
  }
  if (k < operands.length) throw bad('more operands were provided than specified in the equation');
  const ellipsis = Array.from({ length: ellipsisDims }, (_, i) => `…${ellipsisDims - 1 - i}`);
  let output: Label[];
  if (arrow < 0) {
    // implicit: the ellipsis dims, then the letters that appear once, in PyTorch's order
    const count = new Map<Label, number>();
    for (const l of inputs.flat()) if (!l.startsWith('…')) count.set(l, (count.get(l) ?? 0) + 1);
    const once = [...count].filter(([, n]) => n === 1).map(([l]) => l);
    output = [...ellipsis, ...once.sort((a, b) => labelRank(a) - labelRank(b))];
  } else {
    const { letters, ellipsisAt } = parseTerm(equation, arrow + 2, equation.length, 'output');
    const seen = new Set(inputs.flat());
    letters.forEach((l, i) => {
      if (letters.indexOf(l) !== i)
        throw bad(`output subscript ${l} appears more than once in the output`);
      if (!seen.has(l))
        throw bad(`output subscript ${l} does not appear in the equation for any input operand`);
    });
    output =
      ellipsisAt < 0
        ? letters
        : [...letters.slice(0, ellipsisAt), ...ellipsis, ...letters.slice(ellipsisAt)];
  }
  return { inputs, output };
}

/** Each label's size across the operands (size-1 dims broadcast), checked as PyTorch does. */
function labelSizes(parsed: Parsed, operands: readonly Tensor[]): Map<Label, number> {
  const sizes = new Map<Label, number>();
  parsed.inputs.forEach((labels, k) => {
    const own = new Map<Label, number>();
    labels.forEach((l, d) => {
      const s = operands[k]!.shape[d]!;
      const prev = own.get(l);
      if (prev !== undefined && prev !== s) {
        throw err(
          `subscript ${l} is repeated for operand ${k} but the sizes don't match, ${s} != ${prev}`,
        );
      }
      own.set(l, s);
    });
    for (const [l, s] of own) {
      const seen = sizes.get(l);
      if (seen === undefined || seen === 1) sizes.set(l, s);
      else if (s !== 1 && s !== seen) {
        if (l.startsWith('…')) {
          throw err(
            `dimension ${labels.indexOf(l)} covered by ellipsis in operand ${k}has size ${s} which does not broadcast with previously seen ellipsis with size ${seen} for the respective dimension`,
          );
        }
        throw err(
          `subscript ${l} has size ${s} for operand ${k} which does not broadcast with previously seen size ${seen}`,
        );
      }
    }
  });
  return sizes;
}

interface Term {
  t: Tensor;
  labels: Label[];
}

/** x with dims i < j (of equal size n) replaced by their diagonal, as the last dim. */
function diagonal(x: Tensor, i: number, j: number): Tensor {
  const n = x.shape[i]!;
  const rest = x.shape.map((_, d) => d).filter((d) => d !== i && d !== j);
  const moved = permute(x, [...rest, i, j]);
  const flat = reshape(moved, [...rest.map((d) => x.shape[d]!), n * n]);
  return slice(flat, -1, 0, null, n + 1);
}

/** Sums the dims whose labels are in `drop`. */
function sumOut(term: Term, drop: (l: Label) => boolean): Term {
  const dims = term.labels.map((l, d) => (drop(l) ? d : -1)).filter((d) => d >= 0);
  if (dims.length === 0) return term;
  return { t: sum(term.t, dims), labels: term.labels.filter((l) => !drop(l)) };
}

/** Operand k with its repeated labels reduced to diagonals and its size-1 dims broadcast. */
function prepare(x: Tensor, labels: Label[], sizes: Map<Label, number>): Term {
  let term: Term = { t: x, labels: [...labels] };
  for (;;) {
    const d = term.labels.findIndex((l, i) => term.labels.indexOf(l) !== i);
    if (d < 0) break;
    const first = term.labels.indexOf(term.labels[d]!);
    const l = term.labels[d]!;
    term = {
      t: diagonal(term.t, first, d),
      labels: [...term.labels.filter((_, i) => i !== first && i !== d), l],
    };
  }
  const full = term.labels.map((l) => sizes.get(l)!);
  if (full.some((s, d) => s !== term.t.shape[d])) term = { ...term, t: expand(term.t, full) };
  return term;
}

/** Contracts two terms over their shared labels not in `keep`, as one batched matmul. */
function contract(a: Term, b: Term, keep: Set<Label>, sizes: Map<Label, number>): Term {
  const inB = new Set(b.labels);
  const inA = new Set(a.labels);
  const batch = a.labels.filter((l) => inB.has(l) && keep.has(l));
  const summed = a.labels.filter((l) => inB.has(l) && !keep.has(l));
  const left = a.labels.filter((l) => !inB.has(l));
  const right = b.labels.filter((l) => !inA.has(l));
  const size = (ls: Label[]) => ls.reduce((n, l) => n * sizes.get(l)!, 1);
  const order = (t: Term, ls: Label[]) =>
    permute(
      t.t,
      ls.map((l) => t.labels.indexOf(l)),
    );
  const am = reshape(order(a, [...batch, ...left, ...summed]), [
    size(batch),
    size(left),
    size(summed),
  ]);
  const bm = reshape(order(b, [...batch, ...summed, ...right]), [
    size(batch),
    size(summed),
    size(right),
  ]);
  const labels = [...batch, ...left, ...right];
  return {
    t: reshape(
      matmul(am, bm),
      labels.map((l) => sizes.get(l)!),
    ),
    labels,
  };
}

/**
 * einsum(equation, ...operands): PyTorch's Einstein summation, with an implicit or explicit ('->')
 * output, '...' for broadcast dims and repeated subscripts for diagonals. Composed of permute,
 * reshape, slice, sum and matmul (two operands contract as one batched matmul), so autograd and
 * every backend come with it. Operands contract left to right.
 */
export function einsum(equation: string, ...operands: (Tensor | readonly Tensor[])[]): Tensor {
  const ops =
    operands.length === 1 && Array.isArray(operands[0])
      ? (operands[0] as readonly Tensor[])
      : (operands as Tensor[]);
  if (ops.length === 0) throw new ArgumentError('einsum(): must provide at least one operand');
  ops.forEach((t, i) => {
    if (!isTensor(t))
      throw new TypeError(`expected Tensor as element ${i} in argument 1, but got ${typeof t}`);
  });
  const parsed = parse(equation, ops);
  const sizes = labelSizes(parsed, ops);
  const out = new Set(parsed.output);
  const terms = ops.map((t, k) => prepare(t, parsed.inputs[k]!, sizes));
  const laterNeeds = (k: number) => {
    const s = new Set(out);
    for (let j = k; j < terms.length; j++) for (const l of terms[j]!.labels) s.add(l);
    return s;
  };
  // a label only one term has, and the output does not, is summed out of that term first
  let acc = sumOut(terms[0]!, (l) => !laterNeeds(1).has(l));
  for (let k = 1; k < terms.length; k++) {
    const keep = laterNeeds(k + 1);
    const other = new Set(acc.labels);
    const next = sumOut(terms[k]!, (l) => !keep.has(l) && !other.has(l));
    const mine = new Set(next.labels);
    acc = sumOut(acc, (l) => !keep.has(l) && !mine.has(l));
    acc = contract(acc, next, keep, sizes);
  }
  acc = sumOut(acc, (l) => !out.has(l));
  return permute(
    acc.t,
    parsed.output.map((l) => acc.labels.indexOf(l)),
  );
}

// PyTorch-like printing of tensors: the same number formats, line layout, summarisation and suffixes.
import type { Tensor } from './tensor.js';

const PRECISION = 4;
const THRESHOLD = 1000;
const EDGE_ITEMS = 3;
const LINE_WIDTH = 80;

/** Python's '{:.4e}': at least two exponent digits. */
function sci(v: number, precision: number): string {
  const s = v.toExponential(precision);
  return s.replace(/e([+-])(\d)$/, 'e$10$2');
}

function nonFinite(v: number): string {
  return Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf';
}

/** Chooses one format for all elements, as torch's _Formatter does. */
class Formatter {
  readonly #floating: boolean;
  readonly #bool: boolean;
  #intMode = true;
  #sciMode = false;
  #width = 1;

  constructor(values: readonly number[], floating: boolean, bool: boolean) {
    this.#floating = floating;
    this.#bool = bool;
    if (bool) {
      this.#width = values.some((v) => v === 0) ? 5 : 4;
      return;
    }
    if (!floating) {
      for (const v of values) this.#width = Math.max(this.#width, String(v).length);
      return;
    }
    const finite = values.filter((v) => Number.isFinite(v) && v !== 0);
    if (finite.length === 0) return;
    const abs = finite.map(Math.abs);
    const min = Math.min(...abs);
    const max = Math.max(...abs);
    this.#intMode = finite.every((v) => v === Math.ceil(v));
    if (this.#intMode) {
      if (max / min > 1000 || max > 1e8) {
        this.#sciMode = true;
        for (const v of finite) this.#width = Math.max(this.#width, sci(v, PRECISION).length);
      } else {
        for (const v of finite) this.#width = Math.max(this.#width, v.toFixed(0).length + 1);
      }
    } else if (max / min > 1000 || max > 1e8 || min < 1e-4) {
      this.#sciMode = true;
      for (const v of finite) this.#width = Math.max(this.#width, sci(v, PRECISION).length);
    } else {
      for (const v of finite) this.#width = Math.max(this.#width, v.toFixed(PRECISION).length);
    }
  }

  get width(): number {
    return this.#width;
  }

  format(v: number): string {
    let s: string;
    if (this.#bool) s = v !== 0 ? 'True' : 'False';
    else if (!this.#floating) s = String(v);
    else if (!Number.isFinite(v)) s = nonFinite(v);
    else if (this.#sciMode) s = sci(v, PRECISION);
    else if (this.#intMode) s = `${v.toFixed(0)}.`;
    else s = v.toFixed(PRECISION);
    if (Object.is(v, -0) && this.#floating && !s.startsWith('-')) s = `-${s}`;
    return s.padStart(this.#width, ' ');
  }
}

interface Nested {
  readonly values: readonly number[];
  readonly shape: readonly number[];
}

function render(data: Nested, fmt: Formatter, indent: number, summarize: boolean): string {
  const { values, shape } = data;
  const stride = (d: number) => shape.slice(d + 1).reduce((a, b) => a * b, 1);
  const rec = (dim: number, offset: number, ind: number): string => {
    if (dim === shape.length) return fmt.format(values[offset]!);
    const size = shape[dim]!;
    const idx: (number | null)[] = [];
    if (summarize && size > 2 * EDGE_ITEMS) {
      for (let i = 0; i < EDGE_ITEMS; i++) idx.push(i);
      idx.push(null);
      for (let i = size - EDGE_ITEMS; i < size; i++) idx.push(i);
    } else for (let i = 0; i < size; i++) idx.push(i);
    if (dim === shape.length - 1) {
      const items = idx.map((i) =>
        i === null ? ' ...' : fmt.format(values[offset + i * stride(dim)]!),
      );
      const perLine = Math.max(1, Math.floor((LINE_WIDTH - ind) / (fmt.width + 2)));
      const lines: string[] = [];
      for (let i = 0; i < items.length; i += perLine)
        lines.push(items.slice(i, i + perLine).join(', '));
      return `[${lines.join(`,\n${' '.repeat(ind + 1)}`)}]`;
    }
    const sep = `,${'\n'.repeat(shape.length - dim - 1)}${' '.repeat(ind + 1)}`;
    const parts = idx.map((i) =>
      i === null ? '...' : rec(dim + 1, offset + i * stride(dim), ind + 1),
    );
    return `[${parts.join(sep)}]`;
  };
  return rec(0, 0, indent);
}

/** The text of tensor(...) as PyTorch prints it. */
export function formatTensor(t: Tensor): string {
  if (t.isDisposed) return 'tensor(<disposed>)';
  const prefix = 'tensor(';
  const values = Array.from(t.dataSync() as ArrayLike<number>);
  const summarize = values.length > THRESHOLD;
  const floating = t.dtype === 'float32' || t.dtype === 'float64';
  const shown = summarize ? edgeValues(values, t.shape) : values;
  const fmt = new Formatter(shown, floating, t.dtype === 'bool');
  let body: string;
  const suffixes: string[] = [];
  if (t.numel() === 0) {
    body = '[]';
    if (t.ndim !== 1) suffixes.push(`size=(${t.shape.join(', ')}${t.ndim === 1 ? ',' : ''})`);
  } else if (t.ndim === 0) {
    body = fmt.format(values[0]!).trimStart();
  } else {
    body = render({ values, shape: t.shape }, fmt, prefix.length, summarize);
  }
  if (t.device !== 'cpu') suffixes.push(`device='${t.device}'`);
  if (t.dtype === 'float64') suffixes.push('dtype=float64');
  if (t.gradFn !== null) suffixes.push(`gradFn=<${t.gradFn.name}>`);
  else if (t.requiresGrad) suffixes.push('requiresGrad=true');
  return `${prefix}${[body, ...suffixes].join(', ')})`;
}

/** The elements a summarised print shows (the first and last few along every dim). */
function edgeValues(values: readonly number[], shape: readonly number[]): number[] {
  const out: number[] = [];
  const strides = shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
  const rec = (dim: number, offset: number) => {
    if (dim === shape.length) {
      out.push(values[offset]!);
      return;
    }
    const size = shape[dim]!;
    const idx =
      size > 2 * EDGE_ITEMS ? [0, 1, 2, size - 3, size - 2, size - 1] : [...Array(size).keys()];
    for (const i of idx) rec(dim + 1, offset + i * strides[dim]!);
  };
  rec(0, 0);
  return out;
}

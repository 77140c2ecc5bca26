// Formulas for explain: a few kinds of term that print as plain text with ∂ notation or as LaTeX.

/** A tensor's value as explain shows it: the shape and the numbers (null when not recorded). */
export interface Value {
  readonly shape: readonly number[];
  readonly data: readonly number[] | null;
}

export type Term =
  /** A named quantity: t3, fc1.weight, L, x. */
  | { readonly k: 'sym'; readonly name: string }
  /** ∂of/∂wrt */
  | { readonly k: 'd'; readonly of: string; readonly wrt: string }
  /** Numbers. */
  | { readonly k: 'val'; readonly v: Value }
  /** An operator or words; `glue` prints it without a space before it (ᵀ, ², closing brackets). */
  | { readonly k: 'txt'; readonly text: string; readonly tex: string; readonly glue?: boolean };

export type Formula = readonly Term[];

export const sym = (name: string): Term => ({ k: 'sym', name });
export const d = (of: string, wrt: string): Term => ({ k: 'd', of, wrt });
export const val = (v: Value): Term => ({ k: 'val', v });
export const txt = (text: string, tex: string = text, glue = false): Term =>
  glue ? { k: 'txt', text, tex, glue } : { k: 'txt', text, tex };

export const EQ = txt('=');
export const PLUS = txt('+');
export const MINUS = txt('−', '-');
export const HADAMARD = txt('⊙', '\\odot');
export const DOT = txt('·', '\\cdot');
export const TRANSPOSE = txt('ᵀ', '^{\\top}', true);
export const OPEN = txt('(', '\\left(');
export const CLOSE = txt(')', '\\right)', true);

/** A number with at most 6 significant digits, as a person would write it. */
export function fmtNumber(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (Object.is(x, -0)) return '0';
  return String(Number(x.toPrecision(6)));
}

function numTex(x: number): string {
  const s = fmtNumber(x);
  if (s === 'nan') return '\\text{nan}';
  if (s === 'inf') return '\\infty';
  if (s === '-inf') return '-\\infty';
  const m = /^(-?[\d.]+)e([+-]\d+)$/.exec(s);
  return m ? `${m[1]}\\times 10^{${Number(m[2])}}` : s;
}

export const numel = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** How many numbers a value may show before it is summarised. */
export const MAX_SHOWN = 24;

function nested(data: readonly number[], shape: readonly number[], off: number): string {
  if (shape.length === 0) return fmtNumber(data[off]!);
  const [n, ...rest] = shape;
  const step = numel(rest);
  const parts: string[] = [];
  for (let i = 0; i < n!; i++) parts.push(nested(data, rest, off + i * step));
  return `[${parts.join(', ')}]`;
}

export function shapeText(shape: readonly number[]): string {
  return shape.length === 0 ? 'scalar' : shape.join('×');
}

/** A value as text: 0.5, [[1, 2]], or a summary for large or unrecorded tensors. */
export function valueText(v: Value): string {
  if (v.data === null) return `‹${shapeText(v.shape)}, not recorded›`;
  if (v.data.length > MAX_SHOWN) {
    const head = v.data.slice(0, 4).map(fmtNumber).join(', ');
    return `‹${shapeText(v.shape)}: ${head}, … (${v.data.length} values)›`;
  }
  return nested(v.data, v.shape, 0);
}

function valueTex(v: Value): string {
  if (v.data === null) return `\\text{(${shapeText(v.shape)}, not recorded)}`;
  const { shape, data } = v;
  if (shape.length === 0) return numTex(data[0]!);
  if (data.length > MAX_SHOWN || shape.length > 2)
    return `\\text{‹${shapeText(shape)}: ${data.length} values›}`;
  const cols = shape[shape.length - 1]!;
  const rows: string[] = [];
  for (let r = 0; r < data.length / cols; r++)
    rows.push(
      data
        .slice(r * cols, (r + 1) * cols)
        .map(numTex)
        .join(' & '),
    );
  return `\\begin{bmatrix} ${rows.join(' \\\\ ')} \\end{bmatrix}`;
}

/** A symbol in LaTeX: t3 → t_{3}, fc1.weight → \mathrm{fc1.weight}. */
export function symTex(name: string): string {
  if (/^-?[\d.]+(e[+-]?\d+)?$/.test(name)) return numTex(Number(name));
  const m = /^([A-Za-z])(\d+)$/.exec(name);
  if (m) return `${m[1]}_{${m[2]}}`;
  if (/^[A-Za-z]$/.test(name)) return name;
  return `\\mathrm{${name.replace(/[_%#&$]/g, (c) => `\\${c}`)}}`;
}

function termText(t: Term): string {
  switch (t.k) {
    case 'sym':
      return t.name;
    case 'd':
      return `∂${t.of}/∂${t.wrt}`;
    case 'val':
      return valueText(t.v);
    case 'txt':
      return t.text;
  }
}

function termTex(t: Term): string {
  switch (t.k) {
    case 'sym':
      return symTex(t.name);
    case 'd':
      return `\\frac{\\partial ${symTex(t.of)}}{\\partial ${symTex(t.wrt)}}`;
    case 'val':
      return valueTex(t.v);
    case 'txt':
      return t.tex;
  }
}

/** Plain text: the terms separated by spaces (glued terms attach to the one before). */
export function formulaText(f: Formula): string {
  let out = '';
  for (const t of f) {
    const s = termText(t);
    out += out === '' || (t.k === 'txt' && t.glue) || /[([]$/.test(out) ? s : ` ${s}`;
  }
  return out;
}

export function formulaTex(f: Formula): string {
  return f.map(termTex).join(' ');
}

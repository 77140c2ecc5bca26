// Reads the ```ts blocks of a Markdown page with their run markers and expected output, turns them into programs, and compares printed output with the page's.
import { readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ROOT } from './cli.js';

/**
 * The conventions a page follows (docs/design.md, "Code in the docs"):
 * - every ```ts block runs, unless an HTML comment `<!-- no-run: reason -->` stands just before it;
 * - `<!-- continues -->` just before a block runs it after the page's previous ts block, in the
 *   same program (the earlier block's names are in scope);
 * - the ```text block that comes next, with only blank lines or HTML lines (tags, comments) in
 *   between, is what the block prints; a block followed by none must print nothing.
 */
export interface DocBlock {
  /** The page, and the 1-based line of the block's opening fence. */
  readonly file: string;
  readonly line: number;
  readonly code: string;
  /** The reason given by `<!-- no-run: reason -->`, or null for a block that runs. */
  readonly noRun: string | null;
  readonly continues: boolean;
  /** The page's ```text block after it, or null when none follows. */
  readonly expected: string | null;
}

const FENCE = /^```(\S*)\s*$/;
const HTML_LINE = /^\s*<[^>]*>(?:\s*<[^>]*>)*\s*$/;
const NO_RUN = /^<!--\s*no-run:(.*?)-->$/;
const CONTINUES = /^<!--\s*continues\s*-->$/;

interface Fenced {
  readonly lang: string;
  readonly start: number; // index of the opening fence line
  readonly end: number; // index of the closing fence line
  readonly body: string;
}

function fencedBlocks(lines: readonly string[], file: string): Fenced[] {
  const blocks: Fenced[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]!);
    if (open === null) continue;
    let j = i + 1;
    while (j < lines.length && lines[j] !== '```') j++;
    if (j === lines.length) throw new Error(`${file}:${i + 1}: a code fence that never closes`);
    blocks.push({ lang: open[1]!, start: i, end: j, body: lines.slice(i + 1, j).join('\n') });
    i = j;
  }
  return blocks;
}

/** The ts blocks of a page, in order. `file` names the page in messages. */
export function docBlocks(markdown: string, file: string): DocBlock[] {
  const lines = markdown.split('\n');
  const fenced = fencedBlocks(lines, file);
  const out: DocBlock[] = [];
  fenced.forEach((b, k) => {
    if (b.lang !== 'ts' && b.lang !== 'typescript') return;
    // The marker comments directly above the fence (blank lines allowed).
    let noRun: string | null = null;
    let continues = false;
    for (let i = b.start - 1; i >= 0; i--) {
      const l = lines[i]!.trim();
      if (l === '') continue;
      const nr = NO_RUN.exec(l);
      if (nr !== null) {
        noRun = nr[1]!.trim();
        if (noRun === '') throw new Error(`${file}:${i + 1}: a no-run marker needs a reason`);
      } else if (CONTINUES.test(l)) continues = true;
      else break;
    }
    // The expected output: the next fenced block, if it is text and only HTML lines lie between.
    let expected: string | null = null;
    const next = fenced[k + 1];
    if (next !== undefined && next.lang === 'text') {
      const between = lines.slice(b.end + 1, next.start);
      if (between.every((l) => l.trim() === '' || HTML_LINE.test(l))) expected = next.body;
    }
    out.push({ file, line: b.start + 1, code: b.body, noRun, continues, expected });
  });
  return out;
}

/**
 * The programs of a page: each block that runs, followed by the blocks that continue it (a
 * `continues` block after one that does not run is an error).
 */
export function docChains(blocks: readonly DocBlock[]): DocBlock[][] {
  const chains: DocBlock[][] = [];
  for (const [i, b] of blocks.entries()) {
    if (b.continues) {
      const last = chains.at(-1);
      if (last === undefined || last.at(-1) !== blocks[i - 1] || b.noRun !== null)
        throw new Error(`${b.file}:${b.line}: continues a block that does not run`);
      last.push(b);
    } else if (b.noRun === null) chains.push([b]);
  }
  return chains;
}

/** A module specifier as a program written to another folder must spell it. */
export function resolveSpecifier(
  spec: string,
  page: string,
  entries: Readonly<Record<string, string>>,
): string {
  const entry = entries[spec];
  if (entry !== undefined) return entry;
  if (spec.startsWith('./') || spec.startsWith('../')) return resolve(dirname(page), spec);
  return spec;
}

/** `code` with its import specifiers rewritten by `map` (static imports, re-exports and import()). */
export function rewriteImports(code: string, map: (spec: string) => string): string {
  return code
    .replace(
      /(\bfrom\s*|\bimport\s*)(['"])([^'"\n]+)\2/g,
      (_, pre: string, q: string, spec: string) => `${pre}${q}${map(spec)}${q}`,
    )
    .replace(
      /(\bimport\(\s*)(['"])([^'"\n]+)\2/g,
      (_, pre: string, q: string, spec: string) => `${pre}${q}${map(spec)}${q}`,
    );
}

/** The line a program prints between two chained blocks, so that each block's output can be told apart. */
export const BLOCK_SEPARATOR = '@@nabla-doc-block@@';

const NUMBER = /[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?/g;

/** Half a unit in the last digit written, plus 1e-5 relative (backends round differently). */
function numbersAgree(actual: string, expected: string): boolean {
  const a = Number(actual);
  const e = Number(expected);
  if (a === e) return true;
  const m = /^[-+]?(\d*)(?:\.(\d*))?(?:[eE]([-+]?\d+))?$/.exec(expected);
  const decimals = m?.[2]?.length ?? 0;
  const exponent = Number(m?.[3] ?? 0);
  const halfUnit = 0.5 * 10 ** (exponent - decimals);
  return Math.abs(a - e) <= halfUnit * (1 + 1e-9) + 1e-5 * Math.abs(e);
}

/** One line against its expected form: text equal (runs of spaces count as one), numbers within numbersAgree. */
export function linesAgree(actual: string, expected: string): boolean {
  const norm = (s: string) => s.trimEnd().replace(/\s+/g, ' ');
  const a = norm(actual);
  const e = norm(expected);
  const aNums = a.match(NUMBER) ?? [];
  const eNums = e.match(NUMBER) ?? [];
  if (aNums.length !== eNums.length) return false;
  if (a.split(NUMBER).join('#') !== e.split(NUMBER).join('#')) return false;
  return aNums.every((n, i) => numbersAgree(n, eNums[i]!));
}

/**
 * Whether printed output matches a page's expected output: line by line with linesAgree, where an
 * expected line `...` stands for any number of lines (none included). Trailing blank lines are ignored.
 */
export function outputAgrees(actual: string, expected: string): boolean {
  const split = (s: string) => s.replace(/\s+$/, '').split('\n');
  const a = actual.trim() === '' ? [] : split(actual);
  const e = expected.trim() === '' ? [] : split(expected);
  // match(i, j): a[i..] against e[j..]; memoised, as `...` may skip any number of lines.
  const memo = new Map<number, boolean>();
  const match = (i: number, j: number): boolean => {
    const key = i * (e.length + 1) + j;
    const hit = memo.get(key);
    if (hit !== undefined) return hit;
    let r: boolean;
    if (j === e.length) r = i === a.length;
    else if (e[j]!.trim() === '...') r = match(i, j + 1) || (i < a.length && match(i + 1, j));
    else r = i < a.length && linesAgree(a[i]!, e[j]!) && match(i + 1, j + 1);
    memo.set(key, r);
    return r;
  };
  return match(0, 0);
}

/** The pages whose code blocks are tested: README.md and docs/*.md. */
export function docPages(): string[] {
  const docs = readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md'));
  return [join(ROOT, 'README.md'), ...docs.sort().map((f) => join(ROOT, 'docs', f))];
}

/**
 * The package's entry points as the source files the blocks import instead ('.ts' for tsx;
 * '.js' for tsc, which maps it to the .ts beside it).
 */
export function sourceEntries(ext: '.ts' | '.js'): Record<string, string> {
  return {
    nabla: join(ROOT, `src/entry/index${ext}`),
    'nabla/node': join(ROOT, `src/entry/node${ext}`),
  };
}

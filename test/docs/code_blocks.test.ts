// Every ```ts block of README.md and docs/*.md runs (from the source, as 'nabla' and 'nabla/node') and prints what the page shows; skipping one takes a visible <!-- no-run: reason --> marker.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BLOCK_SEPARATOR,
  docBlocks,
  docChains,
  docPages,
  linesAgree,
  outputAgrees,
  resolveSpecifier,
  rewriteImports,
  sourceEntries,
  type DocBlock,
} from '../helpers/doc_blocks.js';
import { ROOT } from '../helpers/cli.js';

const PAGES = docPages();
const ENTRIES = sourceEntries('.ts');

const scratch = mkdtempSync(join(tmpdir(), 'nabla-docs-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** What one chain printed, or the error it threw. */
interface ChainResult {
  readonly outputs: string[];
  readonly error: string | null;
}

/**
 * Runs a page's chains (a block, then the blocks that continue it), each as a module of its own,
 * one after the other in one fresh process (a process per chain would cost seconds each).
 */
function runPage(page: string, chains: readonly (readonly DocBlock[])[]): ChainResult[] {
  const stem = join(scratch, relative(ROOT, page).replace(/\W/g, '_'));
  const files = chains.map((chain, k) => {
    const program = chain
      .map((b) => rewriteImports(b.code, (s) => resolveSpecifier(s, page, ENTRIES)))
      .join(`\nconsole.log(${JSON.stringify(BLOCK_SEPARATOR)});\n`);
    const file = `${stem}_${k}.mts`;
    writeFileSync(file, `${program}\n`);
    return file;
  });
  const runner = `${stem}_run.mts`;
  writeFileSync(
    runner,
    [
      `for (const file of ${JSON.stringify(files)}) {`,
      `  console.log(${JSON.stringify(CHAIN_START)});`,
      '  try {',
      '    await import(file);',
      '  } catch (e) {',
      `    console.log(${JSON.stringify(CHAIN_FAILED)});`,
      '    console.log(e instanceof Error ? (e.stack ?? e.message) : String(e));',
      '  }',
      '}',
    ].join('\n'),
  );
  // NOTE: the blocks run in the scratch folder, so the files they write (savePytorch's) land there.
  const r = spawnSync(process.execPath, ['--import', TSX, runner], {
    cwd: scratch,
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (r.status !== 0) throw new Error(`${relative(ROOT, page)}: the runner failed:\n${r.stderr}`);
  const parts = r.stdout.split(`${CHAIN_START}\n`).slice(1);
  return chains.map((_, k) => {
    const part = parts[k];
    if (part === undefined) return { outputs: [], error: `never ran:\n${r.stderr}` };
    const [out, error] = part.split(`${CHAIN_FAILED}\n`);
    return { outputs: out!.split(`${BLOCK_SEPARATOR}\n`), error: error ?? null };
  });
}

/** tsx's loader, by URL: the scratch folder where the blocks run has no node_modules. */
const TSX = pathToFileURL(join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;

const CHAIN_START = '@@nabla-doc-chain@@';
const CHAIN_FAILED = '@@nabla-doc-chain-failed@@';

for (const page of PAGES) {
  const name = relative(ROOT, page);
  const blocks = docBlocks(readFileSync(page, 'utf8'), name);
  if (blocks.length === 0) continue;

  describe(name, () => {
    const chains = docChains(blocks);

    let results: ChainResult[] = [];
    beforeAll(() => {
      if (chains.length > 0) results = runPage(page, chains);
    });

    for (const b of blocks.filter((b) => b.noRun !== null)) {
      it.skip(`${name}:${b.line} (no-run: ${b.noRun})`, () => {});
    }

    chains.forEach((chain, k) => {
      const lines = chain.map((b) => b.line).join('+');
      it(`${name}:${lines} prints what the page shows`, () => {
        const { outputs, error } = results[k]!;
        if (error !== null) throw new Error(`${name}:${lines} does not run:\n${error}`);
        expect(outputs, `${name}:${lines}: one output per block`).toHaveLength(chain.length);
        chain.forEach((b, j) => {
          const printed = outputs[j]!;
          if (b.expected === null) {
            expect(printed, `${name}:${b.line} prints, but no text block shows it`).toBe('');
          } else {
            expect(
              outputAgrees(printed, b.expected),
              `${name}:${b.line} printed:\n${printed}\nthe page shows:\n${b.expected}`,
            ).toBe(true);
          }
        });
      });
    });
  });
}

describe('the conventions the pages follow', () => {
  const page = [
    '<!-- no-run: needs a browser -->',
    '```ts',
    'await ready();',
    '```',
    '',
    '```ts',
    'const a = 1;',
    '```',
    '',
    '<!-- continues -->',
    '```ts',
    'console.log(a);',
    '```',
    '</td></tr>',
    '',
    '```text',
    '1',
    '```',
  ].join('\n');

  it('markers and expected output are read from the page', () => {
    const [skipped, first, second] = docBlocks(page, 'page.md');
    expect(skipped).toMatchObject({ line: 2, noRun: 'needs a browser', expected: null });
    expect(first).toMatchObject({ line: 6, noRun: null, continues: false, expected: null });
    expect(second).toMatchObject({ line: 11, continues: true, expected: '1' });
  });

  it('a no-run marker without a reason is an error, and so is continuing a block that does not run', () => {
    expect(() => docBlocks('<!-- no-run: -->\n```ts\nx\n```\n', 'page.md')).toThrow(
      'page.md:1: a no-run marker needs a reason',
    );
    const [skipped, , second] = docBlocks(page, 'page.md');
    expect(() => docChains([skipped!, second!])).toThrow(
      'page.md:11: continues a block that does not run',
    );
    expect(docChains(docBlocks(page, 'page.md')).map((c) => c.map((b) => b.line))).toEqual([
      [6, 11],
    ]);
  });

  it('printed numbers agree to the digits shown; words and line counts exactly; ... skips lines', () => {
    expect(linesAgree('loss 2.3046123981475830', 'loss 2.3046')).toBe(true);
    expect(linesAgree('loss 2.3051', 'loss 2.3046')).toBe(false);
    expect(linesAgree('1.30e-16 ×', '1.30e-16 ×')).toBe(true);
    expect(linesAgree('1.31e-16 ×', '1.30e-16 ×')).toBe(false);
    expect(linesAgree('t10 = Σ t9', 't11 = Σ t9')).toBe(false);
    expect(linesAgree('Loss: 1.1438097953796387', 'Loss: 1.1438098')).toBe(true);
    expect(linesAgree('loss 1', 'gain 1')).toBe(false);
    expect(outputAgrees('a\nb\nc\nd\n', 'a\n...\nd')).toBe(true);
    expect(outputAgrees('a\nd\n', 'a\n...\nd')).toBe(true);
    expect(outputAgrees('a\nb\n', 'a\n...\nd')).toBe(false);
    expect(outputAgrees('a\nb\n', 'a')).toBe(false);
  });

  it('imports of nabla and of relative paths point at the source', () => {
    const code = "import { tensor } from 'nabla';\nimport { demos } from '../examples/x.js';";
    const out = rewriteImports(code, (s) =>
      resolveSpecifier(s, '/repo/docs/page.md', { nabla: '/repo/src/entry/index.ts' }),
    );
    expect(out).toBe(
      "import { tensor } from '/repo/src/entry/index.ts';\nimport { demos } from '/repo/examples/x.js';",
    );
  });
});

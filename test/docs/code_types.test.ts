// Every ```ts block of README.md and docs/*.md that runs also compiles under strict TypeScript (tsc, as a user's strict project would check it).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import {
  docBlocks,
  docChains,
  docPages,
  resolveSpecifier,
  rewriteImports,
  sourceEntries,
} from '../helpers/doc_blocks.js';
import { ROOT } from '../helpers/cli.js';

// 'nabla' as the source entries; tsc maps .js to the .ts beside it.
const PAGES = docPages();
const ENTRIES = sourceEntries('.js');

// Inside the checkout (ignored by git), so that @types/node and the repository's tsconfig resolve.
mkdirSync(join(ROOT, '.scratch'), { recursive: true });
const scratch = mkdtempSync(join(ROOT, '.scratch', 'doc-types-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

it('the runnable blocks of the docs compile with strict: true', () => {
  const where = new Map<string, string>();
  for (const page of PAGES) {
    const name = relative(ROOT, page);
    docChains(docBlocks(readFileSync(page, 'utf8'), name)).forEach((chain, k) => {
      const file = `${name.replace(/\W/g, '_')}_${k}.mts`;
      const code = chain
        .map((b) => rewriteImports(b.code, (s) => resolveSpecifier(s, page, ENTRIES)))
        .join('\n');
      // `export {}` keeps a block without imports a module of its own.
      writeFileSync(join(scratch, file), `${code}\nexport {};\n`);
      where.set(file, `${name}:${chain.map((b) => b.line).join('+')}`);
    });
  }
  expect(where.size).toBeGreaterThan(10);
  // The repository's options, less the two stricter than `strict` that user projects rarely set.
  writeFileSync(
    join(scratch, 'tsconfig.json'),
    JSON.stringify({
      extends: relative(scratch, join(ROOT, 'tsconfig.json')),
      compilerOptions: { noUncheckedIndexedAccess: false, exactOptionalPropertyTypes: false },
      include: ['*.mts'],
    }),
  );
  const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', join(scratch, 'tsconfig.json')], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 120_000,
  });
  // Name each error by its page and block rather than by the scratch file.
  const errors = r.stdout.replace(/(\S+\.mts)\((\d+),\d+\)/g, (m, file: string, line: string) => {
    const page = where.get(basename(file));
    return page === undefined ? m : `${page} (line ${line} of the program)`;
  });
  expect(errors, errors).toBe('');
  expect(r.status).toBe(0);
});

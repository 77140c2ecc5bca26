// The shipped types in a browser project: dist/*.d.ts ('nabla' and 'nabla/worker') compile under lib es2022 + dom, no @types/node,
// strict, skipLibCheck false (a consumer's tsconfig, importing 'nabla' through the package exports).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, tmp } from '../helpers/cli.js';

const TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'ESNext',
    moduleResolution: 'Bundler',
    lib: ['es2022', 'dom'],
    types: [],
    strict: true,
    skipLibCheck: false,
    noEmit: true,
  },
  include: ['app.ts', 'page.ts', 'train.worker.ts', 'control.ts'],
};

// A page's training script, as a user writes it; every line must type-check.
const APP = `import { manualSeed, nn, noGrad, optim, ready, tensor, type Tensor } from 'nabla';
const backend: string = await ready();
manualSeed(0);
const model = new nn.Sequential(new nn.Linear(2, 2), new nn.ReLU(), new nn.Linear(2, 1));
const criterion = new nn.MSELoss();
const optimizer = new optim.SGD(model.parameters(), { lr: 0.01 });
const inputs: Tensor = tensor([[1.0, 2.0]]);
const loss = criterion.forward(model.forward(inputs), tensor([[1.0]]));
optimizer.zeroGrad();
loss.backward();
optimizer.step();
const scope = noGrad();
scope.exit();
document.body.textContent = \`\${backend}: \${loss.item()}\`;
`;

// nabla/worker as docs/browser.md shows it ("Training in a worker"): the worker's script and the
// page's, which passes a DOM Worker and imports the worker's request types.
const GUIDE = readFileSync(join(ROOT, 'docs/browser.md'), 'utf8');
const guideBlock = (first: string): string => {
  const block = [...GUIDE.matchAll(/```ts\n([\s\S]*?)```/g)].find((m) => m[1]!.startsWith(first));
  if (block === undefined) throw new Error(`docs/browser.md has no block starting ${first}`);
  return block[1]!;
};

// A mistake tsc must report, so that a run checking nothing cannot pass.
const CONTROL = `import { tensor } from 'nabla';
export const wrong: string = tensor([1]).shape;
`;

describe('the shipped types in a browser project', () => {
  it('needs the built package (npm run build)', () => {
    expect(existsSync(join(ROOT, 'dist/index.d.ts'))).toBe(true);
  });

  it('compile under lib es2022 + dom with no @types/node and skipLibCheck false', () => {
    const dir = tmp('nabla-types-');
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(ROOT, join(dir, 'node_modules', 'nabla'), 'dir');
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(TSCONFIG, null, 2));
    writeFileSync(join(dir, 'app.ts'), APP);
    writeFileSync(join(dir, 'page.ts'), guideBlock('// page.ts'));
    writeFileSync(join(dir, 'train.worker.ts'), guideBlock('// train.worker.ts'));
    writeFileSync(join(dir, 'control.ts'), CONTROL);
    const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
    const r = spawnSync(process.execPath, [tsc, '-p', dir, '--pretty', 'false'], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 120_000,
    });
    const errors = r.stdout.split('\n').filter((l) => l.includes('error TS'));
    // Only the deliberate mistake: nothing in the app, the page, the worker or nabla's .d.ts files.
    expect(errors, errors.join('\n')).toHaveLength(1);
    expect(errors[0]).toMatch(/^control\.ts\(2,14\): error TS2322/);
  }, 120_000);
});

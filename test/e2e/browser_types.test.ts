// The shipped types in a browser project: dist/*.d.ts ('nabla' and 'nabla/worker') compile under lib es2022 + dom, no @types/node,
// strict, skipLibCheck false (a consumer's tsconfig, importing 'nabla' through the package exports).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
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

// nabla/worker as docs/browser.md shows it: the page's side, with a DOM Worker, and the worker's.
const PAGE = `import { TrainerWorker, type HealthEvent } from 'nabla/worker';
import type { Requests } from './train.worker.js';
const worker = new Worker(new URL('./train.worker.js', import.meta.url), { type: 'module' });
const run = new TrainerWorker<{ lr: number }, Requests>(worker);
const off = run.on('step', (e) => console.log(e.step, e.loss));
run.on('health', (h: HealthEvent) => console.log(h.diagnoses.map((d) => d.title)));
await run.build({ lr: 0.1 });
const result = await run.fit({ untilStep: 10 });
const bytes: Uint8Array = await run.getWeights();
await run.setWeights(bytes.buffer as ArrayBuffer);
const classes: number[] = await run.request('predict', [[1, 2]]);
off();
await run.terminate();
document.body.textContent = \`\${result.steps} \${classes.length}\`;
`;

const WORKER = `import { Trainer, nn, noGrad, optim, tensor } from 'nabla';
import { serveTrainer } from 'nabla/worker';
const model = new nn.Linear(2, 2);
export const requests = {
  predict: (rows: number[][]) =>
    noGrad(() => model.forward(tensor(rows)).argmax(1).tolist() as number[]),
};
export type Requests = typeof requests;
serveTrainer((config: { lr: number }) => {
  const optimizer = new optim.SGD(model.parameters(), { lr: config.lr });
  const train = [[tensor([1, 2]), tensor(1)]];
  return { trainer: new Trainer({ model, optimizer, train, epochs: 1 }), health: true, requests };
});
`;

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
    writeFileSync(join(dir, 'page.ts'), PAGE);
    writeFileSync(join(dir, 'train.worker.ts'), WORKER);
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

// A user's script imports 'nabla/node' (or 'nabla') from an installed package and trains: the
// fastest backend is the default with no backend call; NABLA_BACKEND overrides it.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, tmp } from '../helpers/cli.js';

const SCRIPT = (entry: string) => `
import { getBackend, manualSeed, nn, optim, randint, randn } from '${entry}';
manualSeed(0);
const model = new nn.Sequential(new nn.Linear(20, 32), new nn.ReLU(), new nn.Linear(32, 4));
const opt = new optim.SGD(model.parameters(), { lr: 0.1 });
const x = randn([64, 20]);
const y = randint(0, 4, [64]);
const losses = [];
for (let i = 0; i < 30; i++) {
  opt.zeroGrad();
  const loss = nn.functional.crossEntropy(model.forward(x), y);
  loss.backward();
  opt.step();
  losses.push(loss.item());
}
console.log(JSON.stringify({ backend: getBackend().name, device: model.get(0).weight.device, first: losses[0], last: losses.at(-1) }));
`;

let dir = '';
beforeAll(() => {
  // An app folder with nabla installed as a dependency (a link to this checkout, as npm link makes).
  dir = tmp('nabla-app-');
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(ROOT, join(dir, 'node_modules', 'nabla'), 'dir');
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }');
  writeFileSync(join(dir, 'node_entry.js'), SCRIPT('nabla/node'));
  writeFileSync(join(dir, 'main_entry.js'), SCRIPT('nabla'));
  // The README's first two examples, as a newcomer pastes them.
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
  writeFileSync(join(dir, 'readme_loop.js'), blocks[0]!);
  writeFileSync(join(dir, 'readme_grad.js'), blocks[1]!);
});

function run(file: string, env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [join(dir, file)], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, NABLA_BACKEND: '', ...env },
  });
  expect(r.status, r.stderr).toBe(0);
  return {
    out: JSON.parse(r.stdout) as { backend: string; device: string; first: number; last: number },
    stderr: r.stderr,
  };
}

const nativeBuilt = existsSync(join(ROOT, 'build/Release/nabla.node'));
const expected = process.env.NABLA_REQUIRE_NATIVE === '1' || nativeBuilt ? 'native' : 'wasm';

function runText(file: string): string {
  const r = spawnSync(process.execPath, [join(dir, file)], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, NABLA_BACKEND: '' },
  });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

describe("the README's first examples", () => {
  it('run as written: the training loop lowers the loss, the gradient is the one shown', () => {
    const losses = runText('readme_loop.js')
      .trim()
      .split('\n')
      .map((l) => Number(l.split(' ')[1]));
    expect(losses).toHaveLength(10);
    expect(losses[9]!).toBeLessThan(losses[0]!);
    expect(runText('readme_grad.js').trim()).toBe('[ [ 2 ], [ 4 ] ]');
  });
});

describe('the default backend of an installed package', () => {
  it('needs the built package (npm install runs the build)', () => {
    expect(existsSync(join(ROOT, 'dist/entry/node.js'))).toBe(true);
  });

  it("is the fastest that loads, for 'nabla/node' and for 'nabla', with no backend call", () => {
    for (const file of ['node_entry.js', 'main_entry.js']) {
      const { out, stderr } = run(file);
      expect(out.backend).toBe(expected);
      expect(out.device).toBe(expected);
      expect(out.last).toBeLessThan(out.first);
      if (expected === 'native') expect(stderr).toBe('');
    }
  });

  it('is what NABLA_BACKEND names, and an unknown name is a clear error', () => {
    expect(run('node_entry.js', { NABLA_BACKEND: 'wasm' }).out.backend).toBe('wasm');
    expect(run('node_entry.js', { NABLA_BACKEND: 'cpu' }).out.backend).toBe('cpu');
    const bad = spawnSync(process.execPath, [join(dir, 'node_entry.js')], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, NABLA_BACKEND: 'gpu9000' },
    });
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain('NABLA_BACKEND=gpu9000 is not a backend nabla knows');
  });
});

// `nabla export --pytorch`: the CLI's MLP and CNN presets written as PyTorch source + safetensors give nabla's outputs in PyTorch.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildModel, type ModelName } from '../../src/cli/models.js';
import { manualSeed, noGrad, randn, type nn, type Tensor } from '../../src/index.js';
import { loadStateDict, saveStateDict } from '../../src/node/io.js';
import { nabla } from '../helpers/cli.js';
import { hasTorch, maxAbsDiff, runExported, scratch, torchTitle } from '../io/pytorch_helpers.js';

const dir = scratch();
const DIGITS = [1, 8, 8];

/** A preset's forward (every preset takes one batch of samples and gives logits). */
const run = (model: nn.Module, x: Tensor): Tensor =>
  noGrad(() => (model.forward as (x: Tensor) => Tensor)(x));

/** Weights for a preset on digits, with BatchNorm statistics moved off 0 and 1 by training-mode passes. */
function trainedWeights(preset: ModelName, path: string): void {
  manualSeed(11);
  const model = buildModel(preset, DIGITS, 10);
  noGrad(() => {
    for (let i = 0; i < 3; i++) run(model, randn(8, ...DIGITS));
  });
  saveStateDict(model, path);
}

describe('nabla export --pytorch usage', () => {
  it('refuses the ONNX-only flags', () => {
    for (const flag of [['--opset', '17'], ['--batch', '4'], ['--static-batch']]) {
      const r = nabla(['export', '--pytorch', '--model', 'mlp', '--data', 'digits', ...flag]);
      expect(r.code, flag.join(' ')).toBe(2);
      expect(r.stderr).toContain(`nabla: ${flag[0]} is an ONNX option; --pytorch does not take it`);
    }
  });

  it('says where the files went and how to load them', () => {
    const out = join(dir, 'usage');
    mkdirSync(out);
    const r = nabla([
      'export',
      '--pytorch',
      '--model',
      'mlp-small',
      '--data',
      'digits',
      '--out',
      out,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('note: no --weights given');
    expect(r.stdout).toContain(
      `wrote ${join(out, 'mlp_small.py')} (a torch.nn.Module) and ${join(out, 'mlp_small.safetensors')} (4 tensors)`,
    );
    expect(r.stdout).toContain('from mlp_small import load; model = load()');
  });
});

describe.skipIf(!hasTorch)(torchTitle('nabla export --pytorch in PyTorch'), () => {
  for (const preset of ['mlp', 'cnn'] as const) {
    it(`the ${preset} preset gives nabla's eval outputs to 1e-5, and its state dict comes back from PyTorch unchanged`, () => {
      const weights = join(dir, `${preset}-weights.safetensors`);
      trainedWeights(preset, weights);
      const stem = join(dir, `${preset}-export`);
      const r = nabla([
        'export',
        '--pytorch',
        '--model',
        preset,
        '--data',
        'digits',
        '--weights',
        weights,
        '--out',
        stem,
      ]);
      expect(r.code, r.stderr).toBe(0);
      expect(existsSync(`${stem}.safetensors`)).toBe(true);

      const model = buildModel(preset, DIGITS, 10);
      loadStateDict(model, weights);
      model.eval();
      const x = randn(6, ...DIGITS);
      const expected = run(model, x);
      const back = join(dir, `${preset}-from-pytorch.safetensors`);
      const got = runExported(`${stem}.py`, [x], dir, back);
      expect(got.class).toBe('Model');
      expect(maxAbsDiff(expected, got)).toBeLessThanOrEqual(1e-5);

      // The file's save_safetensors writes PyTorch's state dict in a form nabla loads, unchanged.
      const returned = buildModel(preset, DIGITS, 10);
      loadStateDict(returned, back);
      const mine = model.stateDict();
      for (const [key, t] of Object.entries(returned.stateDict()))
        expect(t.tolist(), key).toEqual(mine[key]!.tolist());
    });
  }

  it('--run takes the preset, data and weights of a training folder and writes beside them', () => {
    const folder = join(dir, 'run');
    mkdirSync(folder);
    writeFileSync(
      join(folder, 'metrics.json'),
      JSON.stringify({ config: { model: 'mlp', data: 'digits' } }),
    );
    trainedWeights('mlp', join(folder, 'model.safetensors'));
    const r = nabla(['export', '--pytorch', '--run', folder]);
    expect(r.code, r.stderr).toBe(0);
    const model = buildModel('mlp', DIGITS, 10);
    loadStateDict(model, join(folder, 'model.safetensors'));
    model.eval();
    const x = randn(3, ...DIGITS);
    const expected = run(model, x);
    expect(maxAbsDiff(expected, runExported(join(folder, 'mlp.py'), [x], dir))).toBeLessThanOrEqual(
      1e-5,
    );
  });
});

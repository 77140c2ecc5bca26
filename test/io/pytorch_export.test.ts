// PyTorch export: the written .py and .safetensors give nabla's outputs in PyTorch, and models it cannot write are refused by name.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PytorchExportError, pytorchSource } from '../../src/io/pytorch.js';
import { manualSeed, nn, noGrad, randint, randn, type Tensor } from '../../src/index.js';
import { savePytorch } from '../../src/node/pytorch.js';
import { hasTorch, maxAbsDiff, runExported, scratch, torchTitle } from './pytorch_helpers.js';

const dir = scratch();

/** A tagger: Embedding → 2-layer LSTM (batch first) → TransformerEncoderLayer → Linear. */
class Tagger extends nn.Module {
  emb = new nn.Embedding(20, 16, { paddingIdx: 0 });
  lstm = new nn.LSTM(16, 16, { numLayers: 2, batchFirst: true, dropout: 0.2 });
  encoder = new nn.TransformerEncoderLayer(16, 4, {
    dimFeedforward: 32,
    dropout: 0.1,
    batchFirst: true,
    activation: 'gelu',
  });
  head = new nn.Linear(16, 5);

  forward(tokens: Tensor): Tensor {
    const [states] = this.lstm.forward(this.emb.forward(tokens));
    return this.head.forward(this.encoder.forward(states));
  }
}

/** Every built-in kind a Sequential can hold, in one chain ([N, 3, 12] → [N, classes]). */
function layerZoo(): nn.Sequential {
  return new nn.Sequential(
    new nn.Conv1d(3, 8, 3, { padding: 'same', paddingMode: 'reflect' }),
    new nn.GroupNorm(2, 8, { eps: 1e-4 }),
    new nn.GELU('tanh'),
    new nn.Conv1d(8, 8, 3, { stride: 2, groups: 2, bias: false }),
    new nn.BatchNorm1d(8, { momentum: null, eps: 1e-3 }),
    new nn.LeakyReLU(0.2),
    new nn.MaxPool1d(2, { ceilMode: true }),
    new nn.AvgPool1d(1),
    new nn.AdaptiveAvgPool1d(2),
    new nn.Flatten(),
    new nn.Linear(16, 12),
    new nn.LayerNorm(12, { eps: 1e-6 }),
    new nn.Unflatten(1, [3, 4]),
    new nn.Flatten(),
    new nn.ELU(0.5),
    new nn.Dropout(0.3),
    new nn.PReLU(),
    new nn.Softplus(2, 10),
    new nn.Hardtanh(-0.5, 2),
    new nn.SiLU(),
    new nn.Mish(),
    new nn.CELU(1.5),
    new nn.Linear(12, 6, { bias: false }),
    new nn.Tanh(),
    new nn.LogSoftmax(1),
  );
}

describe('pytorchSource', () => {
  it('writes built-in layers with their PyTorch constructor arguments', () => {
    const text = pytorchSource(
      new nn.Sequential(
        new nn.Linear(4, 3, { bias: false }),
        new nn.BatchNorm1d(3, { eps: 1e-3, momentum: null }),
        new nn.LSTM(3, 5, { batchFirst: true, numLayers: 2 }),
      ),
    );
    expect(text).toContain('class Model(nn.Sequential):');
    expect(text).toContain('nn.Linear(4, 3, bias=False)');
    expect(text).toContain(
      'nn.BatchNorm1d(3, eps=0.001, momentum=None, affine=True, track_running_stats=True)',
    );
    expect(text).toContain(
      'nn.LSTM(3, 5, num_layers=2, proj_size=0, bias=True, batch_first=True, dropout=0.0, bidirectional=False)',
    );
  });

  it('refuses a custom forward that computes with tensors itself, naming the class and the op', () => {
    class MeanPool extends nn.Module {
      fc = new nn.Linear(4, 2);
      forward(x: Tensor): Tensor {
        return this.fc.forward(x).relu();
      }
    }
    const model = new nn.Sequential(new nn.Linear(4, 4), new MeanPool());
    let error: unknown;
    try {
      pytorchSource(model, { exampleInputs: randn(2, 4) });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PytorchExportError);
    expect((error as Error).message).toMatch(
      /^cannot export MeanPool \(at '1'\) to PyTorch: its forward computes with tensors itself \(relu\)/,
    );
  });

  it('refuses custom modules without an example input, a subclass overriding forward, and tied weights', () => {
    expect(() => pytorchSource(new Tagger())).toThrow(
      /cannot export Tagger to PyTorch without an example input/,
    );
    class Doubled extends nn.Linear {
      override forward(x: Tensor): Tensor {
        return super.forward(x).mul(2);
      }
    }
    expect(() => pytorchSource(new Doubled(2, 2), { exampleInputs: randn(1, 2) })).toThrow(
      /^cannot export Doubled to PyTorch: its forward computes with tensors itself \(.*mul\)/,
    );
    const a = new nn.Linear(3, 3);
    const b = new nn.Linear(3, 3);
    b.weight = a.weight;
    expect(() => pytorchSource(new nn.Sequential(a, b))).toThrow(
      /'1.weight' is the same tensor as '0.weight'/,
    );
    expect(() => pytorchSource(new nn.Linear(1, 1), { classname: 'X' } as never)).toThrow(
      "pytorchSource() got an unexpected keyword argument 'classname'",
    );
  });

  it('writes a custom forward as the submodule calls one traced call made', () => {
    const text = pytorchSource(new Tagger(), { exampleInputs: randint(0, 20, [2, 7]) });
    expect(text).toContain('class Tagger(nn.Module):');
    expect(text).toContain(
      [
        '    def forward(self, x0):',
        '        y0 = self.emb(x0)',
        '        y1 = self.lstm(y0)',
        '        y2 = self.encoder(y1[0])',
        '        y3 = self.head(y2)',
        '        return y3',
      ].join('\n'),
    );
  });
});

describe.skipIf(!hasTorch)(torchTitle('the exported files in PyTorch give nabla’s outputs'), () => {
  it('an Embedding + LSTM (batch first) + TransformerEncoderLayer + Linear tagger, to 1e-5', () => {
    manualSeed(5);
    const model = new Tagger();
    const tokens = randint(0, 20, [3, 9]);
    noGrad(() => tokens.select(1, 8).fill_(0)); // padding index
    const { source, weights } = savePytorch(model, join(dir, 'tagger'), {
      exampleInputs: tokens,
    });
    expect(existsSync(weights)).toBe(true);
    expect(readFileSync(source, 'utf8')).toContain("'tagger.safetensors'");
    model.eval();
    const expected = noGrad(() => model.forward(tokens));
    const got = runExported(source, [tokens], dir);
    expect(got.class).toBe('Tagger');
    expect(maxAbsDiff(expected, got)).toBeLessThanOrEqual(1e-5);
  });

  it('a chain of every other built-in layer kind, to 1e-5', () => {
    manualSeed(6);
    const model = layerZoo();
    // Training steps move the BatchNorm statistics away from 0 and 1.
    for (let i = 0; i < 3; i++) noGrad(() => model.forward(randn(4, 3, 12)));
    const x = randn(5, 3, 12);
    const { source } = savePytorch(model, join(dir, 'zoo.py'));
    model.eval();
    const expected = noGrad(() => model.forward(x));
    expect(maxAbsDiff(expected, runExported(source, [x], dir))).toBeLessThanOrEqual(1e-5);
  });
});

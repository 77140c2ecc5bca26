// PyTorch export: the written .py and .safetensors give nabla's outputs in PyTorch, and models it cannot write are refused by name.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PytorchExportError, pytorchSource } from '../../src/io/pytorch.js';
import { manualSeed, nn, noGrad, randint, randn, tensor, type Tensor } from '../../src/index.js';
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

/**
 * Sequence layers called with states, masks and options: x [S, N, 8], memory [M, N, 6], padding
 * [N, S] (true = padding), s [N, 4]. Returns the RNN's output through a ModuleDict and two cells' state.
 */
class Mixer extends nn.Module {
  encoder = new nn.TransformerEncoder(
    new nn.TransformerEncoderLayer(8, 2, {
      dimFeedforward: 16,
      normFirst: true,
      activation: new nn.GELU(),
      layerNormEps: 1e-6,
    }),
    2,
    { norm: new nn.LayerNorm(8) },
  );
  attn = new nn.MultiheadAttention(8, 2, { kdim: 6, vdim: 6, addBiasKv: true });
  gru = new nn.GRU(8, 8, { bidirectional: true });
  rnn = new nn.RNN(16, 4, { nonlinearity: 'relu', numLayers: 2, bias: false });
  blocks = new nn.ModuleDict({ proj: new nn.Linear(4, 4), act: new nn.Tanh() });
  cells = new nn.ModuleList([new nn.GRUCell(4, 4), new nn.RNNCell(4, 4, { nonlinearity: 'relu' })]);

  forward(x: Tensor, memory: Tensor, padding: Tensor, s: Tensor): [Tensor, Tensor, Tensor] {
    const h = this.encoder.forward(x, { srcKeyPaddingMask: padding });
    const [a] = this.attn.forward(h, memory, memory, { needWeights: false });
    const [g, gn] = this.gru.forward(a);
    const [r] = this.rnn.forward(g);
    const proj = this.blocks.get('proj').forward as (x: Tensor) => Tensor;
    const act = this.blocks.get('act').forward as (x: Tensor) => Tensor;
    const h1 = (this.cells.get(0).forward as (x: Tensor) => Tensor)(s);
    const h2 = (this.cells.get(1).forward as (x: Tensor, h: Tensor) => Tensor)(s, h1);
    return [act(proj(r)), gn, h2];
  }
}

/** A custom module used twice: both instances share one Python class. */
class Block extends nn.Module {
  fc = new nn.Linear(6, 6);
  act = new nn.Sigmoid();
  forward(x: Tensor): Tensor {
    return this.act.forward(this.fc.forward(x));
  }
}

/** The remaining layers, several inputs and outputs, tuple outputs fed to the next call. */
class Leftovers extends nn.Module {
  pool = new nn.MaxPool2d(2, { returnIndices: true });
  unpool = new nn.MaxUnpool2d(2);
  bn = new nn.BatchNorm3d(2, { momentum: 0.5 });
  deconv = new nn.ConvTranspose1d(4, 2, 3, { stride: 2, dilation: 2, groups: 2 });
  lstm = new nn.LSTM(6, 8, { projSize: 6 });
  blocks = new nn.ModuleList([new Block(), new Block()]);
  cell = new nn.LSTMCell(6, 6, { bias: false });
  same = new nn.Identity();

  forward(image: Tensor, volume: Tensor, signal: Tensor, seq: Tensor, step: Tensor): Tensor[] {
    const [pooled, indices] = this.pool.forward(image);
    const [out, [, c]] = this.lstm.forward(seq);
    const blocks = [...this.blocks] as Block[];
    const [h2, c2] = this.cell.forward(step, [step, step]);
    return [
      this.same.forward(this.unpool.forward(pooled, indices)),
      this.bn.forward(volume),
      this.deconv.forward(signal),
      blocks[1]!.forward(blocks[0]!.forward(out)),
      c,
      h2,
      c2,
    ];
  }
}

/** 2-d layers in one chain ([N, 2, 8, 8] → [N, 5]). */
function imageZoo(): nn.Sequential {
  return new nn.Sequential(
    new nn.Conv2d(2, 4, 3, { padding: 1, paddingMode: 'circular', stride: 2 }),
    new nn.BatchNorm2d(4, { affine: false }),
    new nn.Hardswish(),
    new nn.ConvTranspose2d(4, 3, 3, { stride: 2, padding: 1, outputPadding: 1 }),
    new nn.Upsample({ scaleFactor: 2, mode: 'bilinear', alignCorners: false }),
    new nn.AvgPool2d(3, { stride: 2, padding: 1, countIncludePad: false }),
    new nn.MaxPool2d([2, 1], { stride: 1, dilation: [1, 1] }),
    new nn.AdaptiveAvgPool2d([3, null]),
    new nn.UpsamplingNearest2d({ size: [6, 6] }),
    new nn.UpsamplingBilinear2d({ scaleFactor: 0.5 }),
    new nn.Hardsigmoid(),
    new nn.Softmax(1),
    new nn.Flatten(),
    new nn.Linear(27, 5),
    new nn.SELU(),
    new nn.LogSigmoid(),
    new nn.Softsign(),
    new nn.Softmin(1),
  );
}

/** 3-d layers in one chain ([N, 2, 4, 6, 6] → [N, 3]). */
function volumeZoo(): nn.Sequential {
  return new nn.Sequential(
    new nn.Conv3d(2, 4, 3, { padding: 1, paddingMode: 'reflect' }),
    new nn.BatchNorm3d(4),
    new nn.ConvTranspose3d(4, 3, [2, 3, 3], {
      stride: [1, 2, 2],
      padding: 1,
      outputPadding: [0, 1, 1],
    }),
    new nn.MaxPool3d(2, { stride: [1, 2, 2], padding: 1, ceilMode: true }),
    new nn.Upsample({ scaleFactor: [1, 0.5, 0.5], mode: 'trilinear', alignCorners: true }),
    new nn.Upsample({ size: [4, 5, 5], mode: 'nearest-exact' }),
    new nn.AvgPool3d([2, 3, 3], { stride: 1, padding: 1, countIncludePad: false }),
    new nn.Conv3d(3, 3, 2, 1, 0, 1, 3, false),
    new nn.AdaptiveAvgPool3d([1, 2, null]),
    new nn.Flatten(),
    new nn.Linear(24, 3),
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
    expect(() => pytorchSource(new nn.ModuleDict({ keys: new nn.ReLU() }))).toThrow(
      "nn.ModuleDict cannot hold the key 'keys'",
    );
    expect(() => pytorchSource(new nn.Linear(1, 1), { classname: 'X' } as never)).toThrow(
      "pytorchSource(): unknown option 'classname'; did you mean 'className'?",
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

  it('sequence layers called with states, masks and options from a custom forward, to 1e-5', () => {
    manualSeed(7);
    const model = new Mixer();
    const inputs = [
      randn(5, 2, 8),
      randn(4, 2, 6),
      tensor([
        [false, false, false, true, true],
        [false, false, false, false, false],
      ]),
      randn(2, 4),
    ];
    const { source } = savePytorch(model, join(dir, 'mixer'), { exampleInputs: inputs });
    const text = readFileSync(source, 'utf8');
    expect(text).toContain('y0 = self.encoder(x0, src_key_padding_mask=x2)');
    expect(text).toContain('y1 = self.attn(y0, x1, x1, need_weights=False)');
    expect(text).toContain("self.blocks['proj'](y3[0])");
    expect(text).toContain('self.cells[1](x3, y4)');
    model.eval();
    const expected = noGrad(() => model.forward(...(inputs as [Tensor, Tensor, Tensor, Tensor])));
    expect(maxAbsDiff(expected, runExported(source, inputs, dir))).toBeLessThanOrEqual(1e-5);
  });

  it('pooling indices, 3-d BatchNorm, LSTM projections, cells and a custom module used twice, to 1e-5', () => {
    manualSeed(9);
    const model = new Leftovers();
    const inputs = [
      randn(2, 1, 4, 4),
      randn(3, 2, 2, 3, 3),
      randn(2, 4, 5),
      randn(4, 2, 6),
      randn(2, 6),
    ] as const;
    noGrad(() => model.bn.forward(randn(3, 2, 2, 3, 3).mul(3)));
    const { source } = savePytorch(model, join(dir, 'leftovers'), { exampleInputs: inputs });
    const text = readFileSync(source, 'utf8');
    expect(text.match(/^class Block/gm)).toEqual(['class Block']);
    expect(text).toContain('y2 = self.cell(x4, (x4, x4))');
    model.eval();
    const expected = noGrad(() => model.forward(...inputs));
    expect(maxAbsDiff(expected, runExported(source, inputs, dir))).toBeLessThanOrEqual(1e-5);
  });

  it('2-d layers in a chain, to 1e-5', () => {
    manualSeed(8);
    const model = imageZoo();
    for (let i = 0; i < 2; i++) noGrad(() => model.forward(randn(3, 2, 8, 8)));
    const x = randn(4, 2, 8, 8);
    const { source } = savePytorch(model, join(dir, 'images'));
    model.eval();
    const expected = noGrad(() => model.forward(x));
    expect(maxAbsDiff(expected, runExported(source, [x], dir))).toBeLessThanOrEqual(1e-5);
  });

  it('3-d layers in a chain, to 1e-5', () => {
    manualSeed(9);
    const model = volumeZoo();
    for (let i = 0; i < 2; i++) noGrad(() => model.forward(randn(3, 2, 4, 6, 6)));
    const x = randn(2, 2, 4, 6, 6);
    const { source } = savePytorch(model, join(dir, 'volumes'));
    model.eval();
    const expected = noGrad(() => model.forward(x));
    expect(maxAbsDiff(expected, runExported(source, [x], dir))).toBeLessThanOrEqual(1e-5);
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

// ONNX export checked by a real client: onnxruntime-node loads each exported file and must give nabla's outputs.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { buildModel } from '../../src/cli/models.js';
import {
  cat,
  manualSeed,
  NablaError,
  nn,
  noGrad,
  randn,
  randint,
  tensor,
  zeros,
  where,
  type Tensor,
} from '../../src/index.js';
import { buildOnnxModel, exportOnnx, type OnnxExportOptions } from '../../src/io/onnx.js';
import { linearThen } from '../../src/nn/functional/activation.js';
import { ProtoWriter } from '../../src/io/protobuf.js';
import { loadStateDict, saveStateDict } from '../../src/node/io.js';
import { saveOnnx } from '../../src/node/onnx.js';

const F = nn.functional;
const root = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'nabla-onnx-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ORT_TYPE = { float32: 'float32', float64: 'float64', int32: 'int32', bool: 'bool' } as const;

function toOrt(t: Tensor): ort.Tensor {
  return new ort.Tensor(ORT_TYPE[t.dtype], t.dataSync() as Float32Array, [...t.shape]);
}

/** The largest |nabla − onnxruntime|, relative to the value where it is above 1. */
function maxDiff(want: Tensor, got: ort.Tensor): number {
  expect(got.dims).toEqual(want.shape);
  const w = want.dataSync();
  const g = got.data as ArrayLike<number | bigint>;
  let worst = 0;
  for (let i = 0; i < w.length; i++) {
    const d = Math.abs(Number(w[i]) - Number(g[i]));
    worst = Math.max(worst, d / Math.max(1, Math.abs(Number(w[i]))));
  }
  return worst;
}

/** model(x) without gradients (Module.forward is typed for subclasses to narrow). */
function run(model: nn.Module, x: Tensor): Tensor {
  return noGrad(() => (model.forward as (x: Tensor) => Tensor)(x));
}

/** Runs the model in train mode a few times so BatchNorm's running statistics are not the defaults. */
function warmUp(model: nn.Module, sample: readonly number[]): void {
  model.train();
  for (let i = 0; i < 3; i++)
    run(
      model,
      randn([6, ...sample])
        .mul(1.5)
        .add(0.3),
    );
}

/**
 * Exports `model` traced at the first batch size, runs the file in onnxruntime at every batch
 * size, and expects nabla's eval-mode outputs to 1e-5. Returns the graph's op types.
 */
async function expectOrtMatches(
  model: nn.Module,
  sample: readonly number[],
  opts: OnnxExportOptions = {},
  batches: readonly number[] = [2, 5],
): Promise<string[]> {
  const example = randn([batches[0]!, ...sample]);
  const bytes = exportOnnx(model, example, opts);
  const session = await ort.InferenceSession.create(bytes);
  model.eval();
  for (const b of batches) {
    const x = randn([b, ...sample]);
    const want = run(model, x);
    const out = await session.run({ input: toOrt(x) });
    expect(maxDiff(want, out.output!), `batch ${b}`).toBeLessThanOrEqual(1e-5);
  }
  return buildOnnxModel(model, example, opts).graph.nodes.map((n) => n.opType);
}

class Residual extends nn.Module {
  fc1 = new nn.Linear(10, 16);
  gelu = new nn.GELU();
  drop = new nn.Dropout(0.4);
  fc2 = new nn.Linear(16, 10);
  sigmoid = new nn.Sigmoid();
  tanh = new nn.Tanh();
  head = new nn.Linear(10, 3);

  forward(x: Tensor): Tensor {
    const h = this.fc2.forward(this.drop.forward(this.gelu.forward(this.fc1.forward(x))));
    const gated = this.tanh.forward(h.add(x)).mul(this.sigmoid.forward(x));
    return this.head.forward(gated.add(x));
  }
}

describe('ONNX export: onnxruntime gives nabla’s outputs at any batch size', () => {
  it('an MLP: Flatten → Linear → ReLU → Linear', async () => {
    manualSeed(1);
    const mlp = new nn.Sequential(
      new nn.Flatten(),
      new nn.Linear(12, 16),
      new nn.ReLU(),
      new nn.Linear(16, 4),
    );
    const ops = await expectOrtMatches(mlp, [3, 4]);
    expect(ops).toEqual(['Flatten', 'Gemm', 'Relu', 'Gemm']);
    const g = buildOnnxModel(mlp, randn([2, 3, 4])).graph;
    expect(g.initializers.map((t) => t.name)).toEqual(['1.weight', '1.bias', '3.weight', '3.bias']);
    expect(g.inputs).toEqual([{ name: 'input', type: 'float32', dims: ['batch', 3, 4] }]);
    expect(g.outputs).toEqual([{ name: 'output', type: 'float32', dims: ['batch', 4] }]);
  });

  it('a CNN with BatchNorm (eval), pools, Flatten, Dropout and Softmax', async () => {
    manualSeed(2);
    const cnn = new nn.Sequential(
      new nn.Conv2d(1, 4, 3, { padding: 1 }),
      new nn.BatchNorm2d(4),
      new nn.ReLU(),
      new nn.MaxPool2d(2),
      new nn.Conv2d(4, 6, 3, { stride: 2, dilation: 1, groups: 2, bias: false }),
      new nn.BatchNorm2d(6, { affine: false }),
      new nn.ReLU(),
      new nn.AvgPool2d(2, { padding: 1, countIncludePad: false }),
      new nn.Flatten(),
      new nn.Linear(24, 5),
      new nn.Dropout(0.25),
      new nn.Softmax(1),
    );
    warmUp(cnn, [1, 14, 14]);
    const ops = await expectOrtMatches(cnn, [1, 14, 14]);
    expect(ops).toEqual([
      'Conv',
      'BatchNormalization',
      'Relu',
      'MaxPool',
      'Conv',
      'BatchNormalization',
      'Relu',
      'AveragePool',
      'Flatten',
      'Gemm',
      'Softmax',
    ]);
    expect(cnn.training).toBe(false);
  });

  it('global average pooling, same padding with an even kernel, LogSoftmax', async () => {
    manualSeed(3);
    const net = new nn.Sequential(
      new nn.Conv2d(2, 4, 4, { padding: 'same' }),
      new nn.BatchNorm2d(4),
      new nn.ReLU(),
      new nn.AdaptiveAvgPool2d(2),
      new nn.AdaptiveAvgPool2d(1),
      new nn.Flatten(),
      new nn.Linear(4, 3),
      new nn.LogSoftmax(-1),
    );
    warmUp(net, [2, 8, 8]);
    const ops = await expectOrtMatches(net, [2, 8, 8]);
    expect(ops).toContain('GlobalAveragePool');
    expect(ops).toContain('AveragePool');
  });

  it('a residual block with GELU, Sigmoid, Tanh and Dropout: the erf formula, and Gelu at opset 20', async () => {
    manualSeed(4);
    const net = new Residual();
    const ops13 = await expectOrtMatches(net, [10], { opsetVersion: 13 });
    expect(ops13).toContain('Erf');
    expect(ops13.filter((o) => o === 'Add').length).toBeGreaterThanOrEqual(2);
    const ops20 = await expectOrtMatches(net, [10], { opsetVersion: 20 });
    expect(ops20).toContain('Gelu');
    expect(ops20).not.toContain('Erf');
  });

  it('exports in eval mode and restores the training flags', async () => {
    manualSeed(5);
    const net = new nn.Sequential(new nn.Linear(6, 6), new nn.Dropout(0.5), new nn.Linear(6, 2));
    net.train();
    const ops = await expectOrtMatches(net, [6]);
    expect(ops).toEqual(['Gemm', 'Gemm']);
    net.train();
    exportOnnx(net, randn([2, 6]));
    expect(net.modules().every((m) => m.training)).toBe(true);
  });

  it('the diagonal and windows views (x.diagonal, x.unfold), with the batch kept dynamic', async () => {
    class Views extends nn.Module {
      forward(x: Tensor): Tensor {
        const d = x.diagonal(1, 1, 2).add(x.transpose(0, 2).diagonal(-1, 0, 1));
        const w = x.unfold(2, 3, 2).sum(-1);
        return d
          .unfold(1, 2, 1)
          .flatten(1)
          .add(w.flatten(1).narrow(1, 0, 6));
      }
    }
    const ops = await expectOrtMatches(new Views(), [4, 5]);
    expect(ops).toContain('Gather');
    expect(ops).toContain('Slice');
  });

  it('issue 13 activations (CELU, Hardswish, Hardsigmoid, LogSigmoid, Softsign, Softmin) export through their primitives', async () => {
    manualSeed(13);
    const mlp = new nn.Sequential(
      new nn.Linear(5, 8),
      new nn.CELU(0.7),
      new nn.Linear(8, 8),
      new nn.Hardswish(),
      new nn.Linear(8, 8),
      new nn.Hardsigmoid(),
      new nn.Linear(8, 8),
      new nn.LogSigmoid(),
      new nn.Softsign(),
      new nn.Softmin(1),
    );
    const ops = await expectOrtMatches(mlp, [5]);
    expect(ops).toContain('Where');
  });

  it('more layers: BatchNorm1d, LayerNorm, Conv1d, pools over 1-d, ConvTranspose2d, padding modes, activations', async () => {
    manualSeed(6);
    const mlp = new nn.Sequential(
      new nn.Linear(5, 8),
      new nn.BatchNorm1d(8),
      new nn.LeakyReLU(0.2),
      new nn.LayerNorm(8),
      new nn.ELU(0.7),
      new nn.SELU(),
      new nn.SiLU(),
      new nn.Hardtanh(-0.5, 0.5),
      new nn.GELU('tanh'),
      new nn.Softplus(),
    );
    warmUp(mlp, [5]);
    expect(await expectOrtMatches(mlp, [5])).toContain('LayerNormalization');
    expect(await expectOrtMatches(mlp, [5], { opsetVersion: 13 })).not.toContain(
      'LayerNormalization',
    );
    const seq = new nn.Sequential(
      new nn.Conv1d(3, 4, 3),
      new nn.BatchNorm1d(4),
      new nn.MaxPool1d(2),
      new nn.AvgPool1d(2),
      new nn.AdaptiveAvgPool1d(1),
    );
    warmUp(seq, [3, 12]);
    await expectOrtMatches(seq, [3, 12]);
    const up = new nn.Sequential(
      new nn.ConvTranspose2d(2, 3, 3, { stride: 2, padding: 1, outputPadding: 1 }),
      new nn.Conv2d(3, 2, 3, { padding: 1, paddingMode: 'reflect' }),
      new nn.Conv2d(2, 2, 3, { padding: 1, paddingMode: 'replicate' }),
    );
    expect(await expectOrtMatches(up, [2, 5, 5])).toEqual([
      'ConvTranspose',
      'Pad',
      'Conv',
      'Pad',
      'Conv',
    ]);
  });

  it('BatchNorm without running statistics normalises with the batch’s: the batch-norm primitives as ReduceMean, Concat and BatchNormalization', async () => {
    manualSeed(7);
    const seq = new nn.Sequential(
      new nn.Conv2d(2, 3, 3),
      new nn.BatchNorm2d(3, { trackRunningStats: false }),
      new nn.BatchNorm2d(3, { trackRunningStats: false, affine: false }),
    );
    for (const opsetVersion of [13, 18]) {
      const ops = await expectOrtMatches(seq, [2, 6, 5], { opsetVersion });
      expect(ops.filter((o) => o === 'BatchNormalization')).toHaveLength(2);
      expect(ops).toContain('ReduceMean');
      expect(ops).toContain('Concat');
    }
  });

  it('pools with ceil_mode and padding; F.pad in a forward becomes Pad ops (one per padded dim)', async () => {
    manualSeed(12);
    const pools = new nn.Sequential(
      new nn.MaxPool2d(3, { stride: 2, padding: 1, ceilMode: true }),
      new nn.AvgPool2d(3, { stride: 2, ceilMode: true }),
      new nn.MaxPool2d(2, { stride: 1, dilation: 2 }),
    );
    await expectOrtMatches(pools, [2, 13, 13]);
    class Padded extends nn.Module {
      conv = new nn.Conv2d(1, 2, 3);
      forward(x: Tensor): Tensor {
        return this.conv.forward(F.pad(x, [1, 2, 0, 1], { value: 0.5 }));
      }
    }
    expect(await expectOrtMatches(new Padded(), [1, 6, 6])).toEqual(['Pad', 'Pad', 'Conv']);
  });

  it('functional forwards, primitive by primitive: reshape, permute, cat, softmax, reductions, clamp', async () => {
    manualSeed(7);
    class Functional extends nn.Module {
      fc = new nn.Linear(12, 6);
      forward(x: Tensor): Tensor {
        const h = this.fc.forward(x.reshape([x.shape[0]!, 3, 4]).permute(0, 2, 1).flatten(1));
        const parts = [
          h.softmax(-1),
          h.logSoftmax(1),
          h.mean(1, true).expand(-1, 6),
          F.relu(h).pow(2),
          h.clamp(-0.1, 0.2),
          h.amax(1, true).sub(h.amin(1, true)).expand(-1, 2),
        ];
        return cat(parts, 1).abs().add(1e-3).sqrt().exp().log1p().mul(0.5).div(3);
      }
    }
    const ops = await expectOrtMatches(new Functional(), [12]);
    for (const op of ['Reshape', 'Transpose', 'Concat', 'ReduceMax', 'Clip', 'Expand'])
      expect(ops).toContain(op);
  });

  it('erf and the elementwise primitives ONNX composes: rsqrt, log1p, expm1, ne, logicalNot', async () => {
    manualSeed(13);
    class Elementwise extends nn.Module {
      fc = new nn.Linear(5, 4);
      forward(x: Tensor): Tensor {
        const h = this.fc.forward(x);
        const keep = h.gt(0).logicalNot().logicalOr(h.ne(h.round()));
        const parts = [
          h.erf(),
          h.abs().add(0.5).rsqrt(),
          h.abs().log1p(),
          h.expm1(),
          where(keep, h, h.mul(3)),
        ];
        return cat(parts, 1);
      }
    }
    const ops = await expectOrtMatches(new Elementwise(), [5]);
    for (const op of ['Erf', 'Reciprocal', 'Log', 'Exp', 'Not', 'Equal', 'Or', 'Where'])
      expect(ops).toContain(op);
  });

  it('the trigonometric, hyperbolic, log2/log10 and fmod primitives, and pointwise composites', async () => {
    manualSeed(14);
    class Pointwise extends nn.Module {
      fc = new nn.Linear(5, 4);
      forward(x: Tensor): Tensor {
        const h = this.fc.forward(x);
        const unit = h.tanh().mul(0.9);
        const above1 = h.abs().add(1.1);
        const parts = [
          h.tan(),
          unit.asin(),
          unit.acos(),
          h.atan(),
          h.sinh(),
          h.cosh(),
          h.asinh(),
          above1.acosh(),
          unit.atanh(),
          above1.log2(),
          above1.log10(),
          h.mul(3).fmod(0.7),
          h.mul(3).trunc(),
          h.exp2(),
          h.lerp(unit, 0.3),
          h.logaddexp(unit),
          where(h.isfinite(), h, 0),
        ];
        return cat(parts, 1);
      }
    }
    const ops = await expectOrtMatches(new Pointwise(), [5]);
    for (const op of ['Tan', 'Asin', 'Acos', 'Atan', 'Sinh', 'Cosh', 'Asinh', 'Acosh', 'Atanh'])
      expect(ops).toContain(op);
    expect(ops).toContain('Mod');
  });

  it('sort, topk and scatterReduce: TopK (indices cast to int32) and ScatterElements with a reduction', async () => {
    manualSeed(17);
    class Selecting extends nn.Module {
      fc = new nn.Linear(6, 6);
      forward(x: Tensor): Tensor {
        const h = this.fc.forward(x);
        const [sorted, order] = h.sort({ dim: 1, descending: true });
        const top = h.topk(2, 1, false).values;
        const index = order.narrow(1, 0, 3);
        const pooled = h.scatterReduce(1, index, h.narrow(1, 3, 3), 'amax');
        return cat(
          [
            sorted,
            top,
            order.float(),
            pooled.scatterReduce(1, index, top.narrow(1, 0, 1).expand(-1, 3), 'prod'),
          ],
          1,
        );
      }
    }
    const ops = await expectOrtMatches(new Selecting(), [6], { opsetVersion: 18 });
    for (const op of ['TopK', 'ScatterElements', 'GatherElements']) expect(ops).toContain(op);
    expect(() => exportOnnx(new Selecting(), randn([2, 6]))).toThrow(
      "scatterReduce 'amax' needs opset 18 or later",
    );
  });

  it('a layer subclass that overrides forward is traced through its primitives', async () => {
    manualSeed(11);
    class ScaledLinear extends nn.Linear {
      override forward(x: Tensor): Tensor {
        return super.forward(x).mul(2).add(1);
      }
    }
    const ops = await expectOrtMatches(new nn.Sequential(new ScaledLinear(4, 3)), [4]);
    expect(ops).toEqual(['Gemm', 'Mul', 'Add']);
  });

  it('linear: Gemm (transB) on 2-d inputs; MatMul by the transposed weight, then Add, on 3-d', async () => {
    manualSeed(12);
    expect(await expectOrtMatches(new nn.Linear(4, 3, false), [4])).toEqual(['Gemm']);
    expect(await expectOrtMatches(new nn.Linear(4, 3), [2, 4])).toEqual([
      'Transpose',
      'MatMul',
      'Add',
    ]);
    expect(await expectOrtMatches(new nn.Linear(4, 3, false), [2, 4])).toEqual([
      'Transpose',
      'MatMul',
    ]);
  });

  it('linear with a stored activation: the product, then Relu or the GELU nodes', async () => {
    manualSeed(13);
    class Stored extends nn.Module {
      fc = new nn.Linear(4, 3);
      constructor(readonly act: 'relu' | 'gelu') {
        super();
      }
      forward(x: Tensor): Tensor {
        return linearThen(x, this.fc.weight, this.fc.bias, this.act);
      }
    }
    expect(await expectOrtMatches(new Stored('relu'), [4])).toEqual(['Gemm', 'Relu']);
    expect(await expectOrtMatches(new Stored('gelu'), [2, 4])).toEqual([
      'Transpose',
      'MatMul',
      'Add',
      'Mul',
      'Mul',
      'Erf',
      'Add',
      'Mul',
    ]);
  });

  it('a transformer encoder layer: attention reshapes that merge the batch with the heads', async () => {
    manualSeed(8);
    const layer = new nn.TransformerEncoderLayer(8, 2, {
      dimFeedforward: 16,
      dropout: 0.1,
      batchFirst: true,
    });
    await expectOrtMatches(layer, [5, 8], {}, [3, 4]);
  });

  it('integer inputs, several inputs and outputs, names, and an output returned twice', async () => {
    manualSeed(9);
    class TwoInputs extends nn.Module {
      emb = new nn.Embedding(10, 4);
      fc = new nn.Linear(4, 3);
      forward(ids: Tensor, scale: Tensor): Tensor[] {
        const y = this.fc.forward(this.emb.forward(ids).mean(1)).mul(scale);
        return [y, y.argmax(1), y.gt(0), y];
      }
    }
    const net = new TwoInputs();
    const opts = { inputNames: ['ids', 'scale'], outputNames: ['y', 'label', 'positive', 'again'] };
    const bytes = exportOnnx(net, [randint(0, 10, [2, 5]), randn([2, 1])], opts);
    const session = await ort.InferenceSession.create(bytes);
    expect(session.inputNames).toEqual(['ids', 'scale']);
    expect(session.outputNames).toEqual(opts.outputNames);
    for (const b of [2, 7]) {
      const ids = randint(0, 10, [b, 5]);
      const scale = randn([b, 1]);
      const want = noGrad(() => net.forward(ids, scale));
      const got = await session.run({ ids: toOrt(ids), scale: toOrt(scale) });
      opts.outputNames.forEach((name, i) => {
        expect(maxDiff(want[i]!, got[name]!), name).toBeLessThanOrEqual(1e-5);
      });
      expect(got.label!.type).toBe('int32');
      expect(got.positive!.type).toBe('bool');
    }
  });

  it('a fixed batch with dynamicBatch: false', async () => {
    const net = new nn.Sequential(new nn.Linear(3, 2));
    const g = buildOnnxModel(net, randn([4, 3]), { dynamicBatch: false }).graph;
    expect(g.inputs[0]!.dims).toEqual([4, 3]);
    const session = await ort.InferenceSession.create(
      exportOnnx(net, randn([4, 3]), { dynamicBatch: false }),
    );
    await expect(session.run({ input: toOrt(randn([5, 3])) })).rejects.toThrow();
    const x = randn([4, 3]);
    const out = await session.run({ input: toOrt(x) });
    expect(maxDiff(run(net, x), out.output!)).toBeLessThanOrEqual(1e-5);
  });

  it('saveOnnx writes a file onnxruntime loads', async () => {
    const path = join(dir, 'linear.onnx');
    const bytes = saveOnnx(new nn.Linear(3, 2), randn([2, 3]), path);
    expect(readFileSync(path)).toEqual(Buffer.from(bytes));
    const session = await ort.InferenceSession.create(path);
    expect(session.outputNames).toEqual(['output']);
  });
});

describe('ONNX export: what it cannot express is a clear error', () => {
  const fails = (model: nn.Module, input: Tensor | Tensor[], opts?: OnnxExportOptions) => {
    try {
      exportOnnx(model, input, opts);
    } catch (e) {
      expect(e).toBeInstanceOf(NablaError);
      return (e as Error).message;
    }
    throw new Error('export did not fail');
  };

  it('names an unsupported primitive and the module it ran in', () => {
    class FunctionalPool extends nn.Module {
      forward(x: Tensor): Tensor {
        return F.maxPool2d(x, 2);
      }
    }
    const net = new nn.Sequential(new nn.Conv2d(1, 2, 3), new FunctionalPool());
    expect(fails(net, randn([2, 1, 6, 6]))).toMatch(
      /^ONNX export: the primitive 'maxPoolIndices' has no ONNX mapping .*\(in module '1' \(FunctionalPool\)\)$/,
    );
  });

  it('names the pointwise primitives without an ONNX mapping', () => {
    class Angle extends nn.Module {
      forward(x: Tensor): Tensor {
        return x.atan2(x.abs().add(1));
      }
    }
    expect(fails(new Angle(), randn([2, 3]))).toMatch(
      /^ONNX export: the primitive 'atan2' has no ONNX mapping/,
    );
  });

  it('refuses the scans that have no ONNX op: cumprod, logcumsumexp, cummax', () => {
    class Scan extends nn.Module {
      constructor(readonly f: (x: Tensor) => Tensor) {
        super();
      }
      forward(x: Tensor): Tensor {
        return this.f(x);
      }
    }
    const cases: [string, (x: Tensor) => Tensor][] = [
      ['cumprod', (x) => x.cumprod(1)],
      ['logcumsumexp', (x) => x.logcumsumexp(1)],
      ['cumExtremeIndex', (x) => x.cummax(1).values],
    ];
    for (const [op, f] of cases) {
      expect(fails(new Scan(f), randn([2, 3]))).toMatch(
        new RegExp(`^ONNX export: the primitive '${op}' has no ONNX mapping`),
      );
    }
  });

  it('names a layer option ONNX has no equivalent for', () => {
    const net = new nn.Sequential(new nn.AvgPool2d(2, { divisorOverride: 3 }));
    expect(fails(net, randn([2, 1, 4, 4]))).toBe(
      "ONNX export: module '0' (AvgPool2d) cannot be exported: divisor_override has no ONNX equivalent",
    );
  });

  it('refuses a constant with the example’s batch size baked in, unless the batch is static', () => {
    class BakedBatch extends nn.Module {
      forward(x: Tensor): Tensor {
        return x.add(zeros([x.shape[0]!, 1]));
      }
    }
    expect(fails(new BakedBatch(), randn([3, 2]))).toMatch(
      /has the example's batch size \(3\) fixed in dim 0/,
    );
    expect(() =>
      exportOnnx(new BakedBatch(), randn([3, 2]), { dynamicBatch: false }),
    ).not.toThrow();
  });

  it('refuses in-place modification inside forward', () => {
    class InPlace extends nn.Module {
      fc = new nn.Linear(2, 2);
      forward(x: Tensor): Tensor {
        const h = this.fc.forward(x);
        h.add_(1);
        return h.relu();
      }
    }
    expect(fails(new InPlace(), randn([2, 2]))).toMatch(/modified in place/);
  });

  it('refuses pools whose ceil_mode output size ONNX computes differently', () => {
    const net = new nn.Sequential(new nn.MaxPool2d(2, { stride: 2, padding: 1, ceilMode: true }));
    expect(fails(net, randn([2, 1, 5, 5]))).toMatch(
      /module '0' \(MaxPool2d\) cannot be exported: ceil_mode windows here differ/,
    );
  });

  it('checks its options and what forward returns', () => {
    const lin = new nn.Linear(2, 2);
    expect(fails(lin, randn([2, 2]), { opsetVersion: 9 })).toMatch(/opsetVersion must be/);
    expect(fails(lin, randn([2, 2]), { outputNames: ['a', 'b'] })).toMatch(/outputNames has 2/);
    class Dict extends nn.Module {
      forward(x: Tensor) {
        return { x } as unknown as Tensor;
      }
    }
    expect(fails(new Dict(), randn([2, 2]))).toMatch(/forward must return a tensor/);
    expect(fails(lin, tensor(1))).toMatch(/0-d input/);
  });
});

describe('the protobuf writer', () => {
  it('encodes varints, negative int64s, floats and nested messages', () => {
    const inner = new ProtoWriter().int(1, 300);
    const bytes = new ProtoWriter().int(1, -1).float(2, 1).message(3, inner).finish();
    expect([...bytes]).toEqual([
      0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x15, 0x00, 0x00, 0x80,
      0x3f, 0x1a, 0x03, 0x08, 0xac, 0x02,
    ]);
  });
});

describe('nabla export', () => {
  it('writes a file onnxruntime loads, with the trained weights, and exits 0', async () => {
    manualSeed(10);
    const weights = join(dir, 'cnn.safetensors');
    const trained = buildModel('cnn', [1, 8, 8], 10);
    warmUp(trained, [1, 8, 8]);
    saveStateDict(trained, weights);
    const out = join(dir, 'cnn.onnx');
    const cli = join(root, 'src/cli/main.ts');
    const args = ['--import', 'tsx', cli, 'export', '--model', 'cnn', '--data', 'digits'];
    const r = spawnSync(process.execPath, [...args, '--weights', weights, '--out', out], {
      cwd: root,
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/input \[batch, 1, 8, 8\] → logits \[batch, 10\]/);
    expect(existsSync(out)).toBe(true);

    const model = buildModel('cnn', [1, 8, 8], 10);
    loadStateDict(model, weights);
    model.eval();
    const session = await ort.InferenceSession.create(out);
    for (const b of [1, 9]) {
      const x = randn([b, 1, 8, 8]);
      const got = await session.run({ input: toOrt(x) });
      expect(maxDiff(run(model, x), got.logits!)).toBeLessThanOrEqual(1e-5);
    }

    const bad = spawnSync(process.execPath, [...args, '--opset', '99'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--opset must be at most 21/);
  });
});

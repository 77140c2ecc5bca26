// safetensors interop with PyTorch both ways: PyTorch's weights give PyTorch's outputs in nabla, and nabla's weights give nabla's outputs in PyTorch.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { serialize } from '../../src/io/safetensors.js';
import { manualSeed, nn, noGrad, optim, randn, type Tensor } from '../../src/index.js';
import { load, loadStateDict, safeOpen, save, saveStateDict } from '../../src/node/io.js';
import { ARCHS, build, goldenModel, INPUT_SHAPE, type Arch } from './interop_models.js';

const PYTHON = '/usr/bin/python3';
const root = fileURLToPath(new URL('../..', import.meta.url));
const fixtures = join(root, 'test/fixtures/interop');
const script = join(root, 'test/fixtures/interop_safetensors.py');
const fixture = (name: string) => join(fixtures, name);

const hasTorch = spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
if (!hasTorch) {
  console.warn(
    `safetensors interop: "${PYTHON} -c 'import torch'" failed, so PyTorch does not check nabla's files here ` +
      '(the committed golden files still pin the bytes nabla writes)',
  );
}

const dir = mkdtempSync(join(tmpdir(), 'nabla-interop-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function maxAbsDiff(a: Tensor, b: Tensor): number {
  expect(a.shape).toEqual(b.shape);
  const x = a.dataSync();
  const y = b.dataSync();
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]! - y[i]!));
  return m;
}

/** Runs the script's verify mode: PyTorch loads each weights file and must reproduce expected["output"]. */
function verifyWithPyTorch(triples: readonly (readonly [string, string, string])[]): void {
  const r = spawnSync(PYTHON, [script, 'verify', ...triples.flat()], { encoding: 'utf8' });
  expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
  expect(r.stdout.match(/-> OK/g)?.length).toBe(triples.length);
}

describe('PyTorch → nabla', () => {
  for (const arch of ARCHS) {
    it(`${arch}: PyTorch's state dict gives PyTorch's eval outputs to 1e-5`, () => {
      manualSeed(999); // a different initialisation, so every value must come from the file
      const model = build(arch);
      expect(loadStateDict(model, fixture(`${arch}.safetensors`))).toEqual({
        missingKeys: [],
        unexpectedKeys: [],
      });
      model.eval();
      const { tensors } = load(fixture(`${arch}_io.safetensors`));
      const y = noGrad(() => model.forward(tensors.input!));
      expect(maxAbsDiff(y, tensors.output!)).toBeLessThanOrEqual(1e-5);
    });
  }

  it("uses PyTorch's key names and layouts", () => {
    const info = (arch: Arch, name: string) => {
      const f = safeOpen(fixture(`${arch}.safetensors`));
      try {
        return f.info(name);
      } finally {
        f.close();
      }
    };
    expect(info('mlp', '0.weight').shape).toEqual([16, 4]); // Linear: [out, in]
    expect(info('cnn', '0.weight').shape).toEqual([8, 3, 3, 3]); // Conv2d: [out, in/groups, kh, kw]
    expect(info('cnn', '4.weight').shape).toEqual([4, 4, 3, 3]); // groups = 2
    expect(info('cnn', '1.num_batches_tracked')).toEqual({
      dtype: 'I64',
      shape: [],
      dataOffsets: [0, 8],
    });
    expect(info('lstm', 'lstm.weight_ih_l0').shape).toEqual([24, 4]);
    expect(info('lstm', 'lstm.weight_hh_l1').shape).toEqual([24, 6]);
    for (const arch of ARCHS) {
      const f = safeOpen(fixture(`${arch}.safetensors`));
      expect(f.keys().sort()).toEqual(Object.keys(build(arch).stateDict()).sort());
      f.close();
    }
    const cnn = build('cnn');
    loadStateDict(cnn, fixture('cnn.safetensors'));
    const bn = cnn.getSubmodule('1') as nn.BatchNorm2d;
    expect(bn.num_batches_tracked!.dtype).toBe('int32');
    expect(bn.num_batches_tracked!.item()).toBe(3);
  });
});

/** Trains a model a few steps (BatchNorm statistics included), then returns it in eval mode. */
function train(arch: Arch): nn.Module & { forward(x: Tensor): Tensor } {
  manualSeed(2024);
  const model = build(arch);
  const opt = new optim.Adam(model.parameters(), { lr: 0.01 });
  const batch = [4, ...INPUT_SHAPE[arch].slice(1)];
  const outDim = { mlp: 3, cnn: 5, lstm: 3 }[arch];
  for (let step = 0; step < 5; step++) {
    const x = randn(batch);
    const target = randn([4, outDim]);
    opt.zeroGrad();
    const loss = nn.functional.mseLoss(model.forward(x), target);
    loss.backward();
    opt.step();
  }
  return model.eval();
}

describe('nabla → PyTorch', () => {
  it.skipIf(!hasTorch)(
    "nabla-trained weights (MLP, CNN, LSTM) give nabla's outputs in PyTorch",
    () => {
      const triples = ARCHS.map((arch) => {
        const model = train(arch);
        const x = randn(INPUT_SHAPE[arch]);
        const y = noGrad(() => model.forward(x));
        const files = ['weights', 'input', 'expected'].map((k) =>
          join(dir, `${arch}_${k}.safetensors`),
        );
        saveStateDict(model, files[0]!, { metadata: { arch } });
        save({ input: x }, files[1]!);
        save({ output: y }, files[2]!);
        return files as [string, string, string];
      });
      verifyWithPyTorch(triples);
    },
  );

  // Golden files: written once by nabla (NABLA_WRITE_GOLDEN=1) and verified by PyTorch then; CI
  // checks that nabla still writes them byte for byte, so the direction stays covered without PyTorch.
  const golden = (arch: Arch) => fixture(`nabla_${arch}.safetensors`);
  const goldenIO = (arch: Arch) => fixture(`nabla_${arch}_io.safetensors`);
  const goldenBytes = (arch: Arch) =>
    serialize(goldenModel(arch).stateDict(), { metadata: { format: 'pt', arch } });

  if (process.env.NABLA_WRITE_GOLDEN === '1') {
    it('writes the golden files', () => {
      for (const arch of ARCHS) {
        const model = goldenModel(arch);
        saveStateDict(model, golden(arch), { metadata: { arch } });
        manualSeed(77);
        const input = randn(INPUT_SHAPE[arch]);
        save({ input, output: noGrad(() => model.forward(input)) }, goldenIO(arch));
      }
    });
  }

  for (const arch of ARCHS) {
    it(`${arch}: nabla still writes the golden file byte for byte`, () => {
      expect(existsSync(golden(arch))).toBe(true);
      const want = readFileSync(golden(arch));
      expect(Buffer.from(goldenBytes(arch)).equals(want)).toBe(true);
      // And the golden model still computes the recorded outputs.
      const { tensors } = load(goldenIO(arch));
      const y = noGrad(() => goldenModel(arch).forward(tensors.input!));
      expect(maxAbsDiff(y, tensors.output!)).toBeLessThanOrEqual(1e-5);
    });
  }

  it.skipIf(!hasTorch)('PyTorch verifies the golden files', () => {
    verifyWithPyTorch(ARCHS.map((arch) => [golden(arch), goldenIO(arch), goldenIO(arch)] as const));
  });
});

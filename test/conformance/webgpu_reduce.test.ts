// webgpu reductions, scans, logSoftmax and nllLoss beyond the conformance table: long lines (many
// lanes per output, float32 accuracy), many outputs, ties and NaN across lanes, int32 and bool
// inputs, and no host fallback for float32/int32/bool (runs in the webgpu test project).
import { describe, expect, it } from 'vitest';
import { Generator, randn, tensor } from '../../src/index.js';
import { getBackend } from '../../src/backend/registry.js';
import type { WebgpuBackend } from '../../src/backend/webgpu/index.js';
import { apply } from '../../src/ops/apply.js';
import type { ParamsOf, Primitive } from '../../src/primitives.js';
import type { Tensor } from '../../src/tensor.js';

const onWebgpu = process.env.NABLA_TEST_BACKEND === 'webgpu';

const PRIMITIVES = [
  'sum',
  'prod',
  'amax',
  'amin',
  'argmax',
  'argmin',
  'all',
  'any',
  'norm',
  'cumsum',
  'cumprod',
  'logcumsumexp',
  'cumExtremeIndex',
  'logSoftmax',
  'nllLoss',
  'nllLossBackward',
] as const;

const gen = new Generator(77);
const r = (...shape: number[]) => randn(shape, { generator: gen, device: 'cpu' });
const int = (data: number[]) => tensor(data, { dtype: 'int32', device: 'cpu' });

/** Runs `p` on webgpu and on cpu, on `inputs` (made on cpu) viewed by `view` on each device. */
function check<P extends Primitive>(
  p: P,
  inputs: Tensor[],
  params: ParamsOf<P>,
  view: (ts: Tensor[]) => Tensor[] = (ts) => ts,
  tol = 1e-5,
): Tensor {
  const want = apply(p, view(inputs), params);
  const got = apply(p, view(inputs.map((t) => t.to({ device: 'webgpu' }))), params);
  expect(got.device).toBe('webgpu');
  expect(got.shape).toEqual(want.shape);
  expect(got.dtype).toBe(want.dtype);
  const a = Array.from(got.to({ device: 'cpu' }).dataSync() as ArrayLike<number>);
  const b = Array.from(want.dataSync() as ArrayLike<number>);
  expect(a.length).toBe(b.length);
  a.forEach((v, i) => {
    const w = b[i]!;
    if (Number.isNaN(w)) expect(v).toBeNaN();
    else if (!Number.isFinite(w)) expect(v).toBe(w);
    else expect(Math.abs(v - w)).toBeLessThanOrEqual(tol + tol * Math.abs(w));
  });
  return got;
}

const dims = (d: number[], keepdim = false) => ({ dims: d, keepdim });

describe.runIf(onWebgpu)('webgpu reductions', () => {
  it('float32 sums of long lines stay accurate (a million 0.1s; many lanes per output)', () => {
    const ones = tensor(new Float32Array(1 << 20).fill(0.1), { device: 'cpu' });
    // float64 sum of the float32 value 0.1 (0.10000000149...) rounded once: a naive float32 running
    // sum would be off by about 1%
    check('sum', [ones], dims([0]), undefined, 1e-6);
    check('sum', [r(3, 70000)], dims([1]));
    check('norm', [r(2, 50000)], { ...dims([1]), p: 2 });
  });

  it('split reductions: few outputs of long lines reduce in chunks, then across chunks', () => {
    const long = r(2, 20000);
    for (const p of ['sum', 'amax', 'amin', 'all', 'any'] as const) {
      check(p, [long], dims([1]));
      check(p, [r(20000, 3)], dims([0]), ([x]) => [x!.t()]);
    }
    check('amin', [long], dims([0, 1]));
    check('prod', [long], dims([1]), ([x]) => [x!.mul(1e-3).add(1)], 1e-4);
    for (const p of [Infinity, -Infinity, 0, 1, 2, 3]) check('norm', [long], { ...dims([1]), p });
    const ints = int(Array.from({ length: 30000 }, (_, i) => (i % 7) - 3));
    check('sum', [ints], dims([0]));
    check('amax', [ints], dims([0]));
    // one true element in the last chunk; one false element in the first
    const flags = new Float32Array(30000);
    flags[29999] = 1;
    const oneTrue = tensor(flags, { device: 'cpu' });
    expect(check('any', [oneTrue], dims([0]), ([x]) => [x!.gt(0)]).item()).toBe(true);
    expect(check('all', [oneTrue], dims([0]), ([x]) => [x!.lt(1)]).item()).toBe(false);
  });

  it('many short outputs, strided and broadcast inputs, keepdim', () => {
    check('sum', [r(5, 40000)], dims([1], true), ([x]) => [x!.t()]);
    check('amax', [r(3, 1)], dims([0, 2]), ([x]) => [x!.expand(3, 5).unsqueeze(0).expand(4, 3, 5)]);
    check('prod', [r(6, 4, 5)], dims([0, 2]), ([x]) => [x!.permute(2, 1, 0)]);
    check('argmin', [r(3, 8, 6)], dims([1], true), ([x]) => [x!.slice(2, 1, null, 2)]);
    check('any', [r(7, 9)], dims([]), ([x]) => [x!.gt(0)]);
  });

  it('argmax/argmin: the first extreme wins across lanes, a NaN is the extreme', () => {
    const line = new Float32Array(1000);
    line[700] = 5;
    line[300] = 5;
    const ties = tensor(line, { device: 'cpu' });
    const got = check('argmax', [ties], dims([0]));
    expect(got.item()).toBe(300);
    check('argmin', [ties.neg()], dims([0]));
    const nans = line.slice();
    nans[900] = Number.NaN;
    nans[500] = Number.NaN;
    const withNan = tensor(nans, { device: 'cpu' });
    expect(check('argmax', [withNan], dims([0])).item()).toBe(500);
    expect(check('argmin', [withNan], dims([0])).item()).toBe(500);
    expect(check('amax', [withNan], dims([0])).item()).toBeNaN();
  });

  it('norms for every p family', () => {
    const x = tensor([[0, -3, 4, Number.NaN, 1e-3, 2, -0.5, 7, 0, 0.25]], { device: 'cpu' });
    for (const p of [Infinity, -Infinity, 0, 1, 2, 3, 0.5]) {
      check('norm', [r(4, 37)], { ...dims([1]), p });
      check('norm', [x], { ...dims([1]), p });
    }
  });

  it('int32 and bool inputs', () => {
    const ints = int([5, -2, 0, 7, 7, -9, 3, 1, 2, -4, 6, 8]).reshape([3, 4]);
    for (const p of ['sum', 'prod', 'amax', 'amin', 'argmax', 'argmin', 'all', 'any'] as const) {
      check(p, [ints], dims([1]));
      check(p, [ints], dims([0]), ([x]) => [x!.t()]);
    }
    const bools = tensor([true, false, true, true, true, true], { device: 'cpu' }).reshape([2, 3]);
    for (const p of ['amax', 'amin', 'all', 'any'] as const) check(p, [bools], dims([1]));
    check('cumsum', [ints], { dim: 1 });
    check('cumprod', [ints], { dim: 0 });
    check('cumExtremeIndex', [ints], { dim: 1, op: 'max' });
    check('cumExtremeIndex', [ints], { dim: 0, op: 'min' });
  });

  it('scans along long lines and middle dims', () => {
    check('cumsum', [r(2, 5000)], { dim: 1 }, undefined, 1e-4);
    check('cumsum', [r(3, 4, 5)], { dim: 1 });
    check('cumprod', [r(3, 4, 5)], { dim: 2 }, ([x]) => [x!.permute(1, 0, 2)]);
    check('logcumsumexp', [r(4, 300)], { dim: 1 }, ([x]) => [x!.mul(20)]);
    check(
      'logcumsumexp',
      [tensor([-Infinity, -Infinity, 3, Infinity, Infinity, 1], { device: 'cpu' })],
      {
        dim: 0,
      },
    );
    check('cumExtremeIndex', [r(5, 200)], { dim: 1, op: 'min' }, ([x]) => [x!.round()]);
  });

  it('logSoftmax over long, strided and middle-dim lines', () => {
    check('logSoftmax', [r(3, 3000)], { dim: 1 });
    check('logSoftmax', [r(50, 4)], { dim: 0 }, ([x]) => [x!.t()]);
    check('logSoftmax', [r(2, 40, 3, 5)], { dim: 1 }, ([x]) => [x!.mul(10)]);
    check('logSoftmax', [r(1000, 10)], { dim: 1 });
  });

  it('nllLoss and its gradient on many targets, weighted, ignored', () => {
    const n = 3000;
    const classes = 10;
    const targets = int(Array.from({ length: n }, (_, i) => ((i * 7) % 11) - 1));
    const w = r(classes).abs();
    for (const reduction of ['none', 'sum', 'mean'] as const) {
      const params = { ignoreIndex: -1, reduction };
      check('nllLoss', [r(n, classes), targets, w], params);
      check('nllLoss', [r(classes, n), targets], params, ([x, t]) => [x!.t(), t!]);
      const g = reduction === 'none' ? r(n) : tensor(0.75, { device: 'cpu' });
      check('nllLossBackward', [g, targets, w], { ...params, shape: [n, classes] });
      check('nllLossBackward', [g, targets], { ...params, shape: [n, classes] });
    }
    // spatial targets [N, d] of an input [N, C, d]
    const spatial = int([0, 2, 1, 1, 2, 0, 0, 2, 1, 1, 0, 2]).reshape([3, 4]);
    check('nllLoss', [r(3, 3, 4), spatial], { ignoreIndex: 1, reduction: 'mean' });
    check('nllLossBackward', [tensor(2, { device: 'cpu' }), spatial], {
      ignoreIndex: 1,
      reduction: 'mean',
      shape: [3, 3, 4],
    });
  });

  it('an out-of-range target gives NaN on webgpu (the cpu raises; a GPU kernel cannot)', () => {
    const x = r(3, 4).to({ device: 'webgpu' });
    const t = int([1, 9, 2]).to({ device: 'webgpu' });
    const loss = apply('nllLoss', [x, t], { ignoreIndex: -100, reduction: 'mean' });
    expect(loss.item()).toBeNaN();
  });

  it('none of these primitives ran on the host for float32, int32 or bool inputs', () => {
    const backend = getBackend('webgpu') as unknown as WebgpuBackend;
    const onHost = [...backend.hostCalls.keys()].filter(
      (k) => PRIMITIVES.some((p) => k.startsWith(`${p}(`)) && !k.includes('float64'),
    );
    expect(onHost).toEqual([]);
  });
});

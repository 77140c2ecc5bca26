// Golden tests for convolution, pooling, interpolation and unfold/fold against PyTorch: values, input and
// parameter gradients, layer init under a seed, reprs and error messages (test/fixtures/conv_golden.json).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { manualSeed, ones, randn, tensor, type Tensor } from '../../src/index.js';
import type { Module } from '../../src/nn/module.js';
import * as C from '../../src/nn/functional/conv.js';
import * as P from '../../src/nn/functional/pooling.js';
import * as U from '../../src/nn/functional/upsample.js';
import * as convLayers from '../../src/nn/layers/conv.js';
import * as poolLayers from '../../src/nn/layers/pooling.js';
import * as upsampleLayers from '../../src/nn/layers/upsample.js';

interface Enc {
  shape: number[];
  data: (number | null)[];
}
type Opts = Record<string, unknown>;
interface FunctionCase {
  name: string;
  fn: string;
  opts: Opts;
  inputs: Enc[];
  out: Enc;
  upstream: Enc;
  grads: Enc[];
}
interface LayerCase {
  name: string;
  ctor: string;
  args: unknown[];
  opts: Opts;
  state: Record<string, Enc>;
  x: Enc;
  out: Enc;
  upstream: Enc;
  gradX: Enc;
  gradParams: Record<string, Enc>;
  repr: string;
}

const golden = JSON.parse(
  readFileSync(new URL('../fixtures/conv_golden.json', import.meta.url), 'utf8'),
) as {
  functions: FunctionCase[];
  nan: Record<string, Enc>;
  ties: Record<string, Enc>;
  layers: LayerCase[];
  outputSize: { state: Record<string, Enc>; x: Enc; size: number[]; out: Enc };
  inits: {
    seed: number;
    ctor: string;
    args: unknown[];
    opts: Opts;
    repr: string;
    state: Record<string, Enc>;
  }[];
  errors: Record<string, string>;
};

/** Decodes a tensor; null stands for NaN (JSON has none). */
const dec = (e: Enc, opts?: { requiresGrad?: boolean }) => {
  const t = tensor(e.data.map((v) => (v === null ? Number.NaN : v))).reshape(e.shape);
  return opts?.requiresGrad ? t.requiresGrad_() : t;
};

function expectClose(t: Tensor | null, e: Enc, rtol = 1.3e-6, atol = 1e-5): void {
  expect(t).not.toBeNull();
  expect([...t!.shape]).toEqual(e.shape);
  const got = Array.from(t!.dataSync() as ArrayLike<number>);
  got.forEach((v, i) => {
    const w = e.data[i];
    if (w === null || w === undefined || Number.isNaN(w)) {
      expect(v, `element ${i}`).toBeNaN();
      return;
    }
    expect(Math.abs(v - w), `element ${i}: ${v} vs ${w}`).toBeLessThanOrEqual(
      atol + rtol * Math.abs(w),
    );
  });
}

const GRAD_RTOL = 1e-4;
const GRAD_ATOL = 1e-5;

/**
 * The nabla call of each function case, the options passed through as they are named there
 * (kernelSize and outputSize are positional arguments, so the options object leaves them out).
 */
function call(fn: string, ins: Tensor[], all: Opts): Tensor {
  const [x, w, b] = ins as [Tensor, Tensor, Tensor | undefined];
  const { kernelSize: _k, outputSize: _o, ...o } = all;
  void [_k, _o];
  type Any = never;
  switch (fn) {
    case 'conv1d':
      return C.conv1d(x, w, b ?? null, o as Any);
    case 'conv2d':
      return C.conv2d(x, w, b ?? null, o as Any);
    case 'convTranspose1d':
      return C.convTranspose1d(x, w, b ?? null, o as Any);
    case 'convTranspose2d':
      return C.convTranspose2d(x, w, b ?? null, o as Any);
    case 'maxPool1d':
      return P.maxPool1d(x, all.kernelSize as C.SizeArg, o as Any);
    case 'maxPool2d':
      return P.maxPool2d(x, all.kernelSize as C.SizeArg, o as Any);
    case 'avgPool1d':
      return P.avgPool1d(x, all.kernelSize as C.SizeArg, o as Any);
    case 'avgPool2d':
      return P.avgPool2d(x, all.kernelSize as C.SizeArg, o as Any);
    case 'adaptiveAvgPool1d':
      return P.adaptiveAvgPool1d(x, all.outputSize as number);
    case 'adaptiveAvgPool2d':
      return P.adaptiveAvgPool2d(x, all.outputSize as P.AdaptiveSize);
    case 'interpolate':
      return U.interpolate(x, o as U.InterpolateOptions);
    case 'unfold':
      return C.unfold(x, all.kernelSize as C.SizeArg, o as C.UnfoldOptions);
    case 'fold':
      return C.fold(
        x,
        all.outputSize as C.SizeArg,
        all.kernelSize as C.SizeArg,
        o as C.UnfoldOptions,
      );
    default:
      throw new Error(`no function ${fn}`);
  }
}

describe('functions match PyTorch (values, and gradients of every input)', () => {
  for (const c of golden.functions) {
    it(c.name, () => {
      const ins = c.inputs.map((e) => dec(e, { requiresGrad: true }));
      const y = call(c.fn, ins, c.opts);
      expectClose(y, c.out);
      y.backward(dec(c.upstream));
      ins.forEach((t, i) => expectClose(t.grad, c.grads[i]!, GRAD_RTOL, GRAD_ATOL));
    });
  }

  it('NaN propagates through pools, interpolation and convolution as in PyTorch', () => {
    const n = golden.nan;
    const x = dec(n.x!);
    expectClose(P.maxPool2d(x, 2), n.maxPool2d!);
    expectClose(P.avgPool2d(x, 2), n.avgPool2d!);
    expectClose(P.adaptiveAvgPool2d(x, 3), n.adaptiveAvgPool2d!);
    expectClose(U.interpolate(x, { size: [6, 6], mode: 'bilinear' }), n.bilinear!);
    expectClose(C.conv2d(x, ones(1, 1, 2, 2)), n.conv2d!);
  });

  it('max pooling sends the gradient to the first maximum of each window', () => {
    const t = golden.ties;
    const x = dec(t.x!, { requiresGrad: true });
    const y = P.maxPool2d(x, 2, { stride: 1 });
    expectClose(y, t.out!);
    y.sum().backward();
    expectClose(x.grad, t.gradX!, 0, 0);
  });
});

const LAYERS: Record<string, new (...args: never[]) => Module> = {
  ...convLayers,
  ...poolLayers,
  ...upsampleLayers,
} as never;

function build(ctor: string, args: unknown[], opts: Opts): Module {
  const Ctor = LAYERS[ctor] as unknown as new (...a: unknown[]) => Module;
  expect(Ctor, ctor).toBeDefined();
  // Upsample layers take only options; the others take positional arguments, then options.
  return ctor.startsWith('Upsampl') ? new Ctor(opts) : new Ctor(...args, opts);
}

const stateOf = (s: Record<string, Enc>) =>
  Object.fromEntries(Object.entries(s).map(([k, v]) => [k, dec(v)]));

describe('layers match PyTorch', () => {
  for (const c of golden.layers) {
    it(c.name, () => {
      const layer = build(c.ctor, c.args, c.opts);
      expect(layer.toString()).toBe(c.repr);
      layer.loadStateDict(stateOf(c.state));
      const x = dec(c.x, { requiresGrad: true });
      const y = (layer.forward as (x: Tensor) => Tensor)(x);
      expectClose(y, c.out);
      y.backward(dec(c.upstream));
      expectClose(x.grad, c.gradX, GRAD_RTOL, GRAD_ATOL);
      const params = Object.fromEntries(layer.namedParameters());
      expect(Object.keys(params).sort()).toEqual(Object.keys(c.gradParams).sort());
      for (const [k, g] of Object.entries(c.gradParams))
        expectClose(params[k]!.grad, g, GRAD_RTOL, GRAD_ATOL);
    });
  }

  it('ConvTranspose2d.forward(x, outputSize) picks the output padding', () => {
    const o = golden.outputSize;
    const layer = new convLayers.ConvTranspose2d(2, 3, 3, { stride: 2, padding: 1 });
    layer.loadStateDict(stateOf(o.state));
    expectClose(layer.forward(dec(o.x), o.size), o.out);
  });
});

describe('initialisation matches PyTorch for the same seed', () => {
  for (const c of golden.inits) {
    it(`${c.repr} under seed ${c.seed}`, () => {
      manualSeed(c.seed);
      const layer = build(c.ctor, c.args, c.opts);
      const sd = layer.stateDict();
      expect(Object.keys(sd)).toEqual(Object.keys(c.state));
      for (const [k, e] of Object.entries(c.state)) expectClose(sd[k]!, e, 0, 0);
    });
  }
});

const r = (...shape: number[]) => randn(shape);
const w16 = () => r(16, 3, 3, 3);

/** The same calls as the generator's ERRORS, by id. */
const ERRORS: Record<string, () => unknown> = {
  'conv2d input dims': () => C.conv2d(r(2, 3), w16()),
  'conv2d channels': () => C.conv2d(r(1, 1, 28, 28), w16()),
  'conv2d channels unbatched': () => C.conv2d(r(1, 28, 28), w16()),
  'conv2d same strided': () => C.conv2d(r(1, 3, 8, 8), w16(), null, { stride: 2, padding: 'same' }),
  'conv2d kernel too big': () => C.conv2d(r(1, 3, 2, 2), w16()),
  'conv2d kernel too big dilated': () =>
    C.conv2d(r(1, 3, 4, 6), w16(), null, { dilation: 2, padding: [0, 1] }),
  'conv2d groups channels': () => C.conv2d(r(1, 3, 5, 5), w16(), null, { groups: 2 }),
  'conv2d groups divisible': () => C.conv2d(r(1, 4, 5, 5), r(4, 2, 3, 3), null, { groups: 3 }),
  'conv2d groups at least': () => C.conv2d(r(1, 3, 5, 5), r(2, 3, 3, 3), null, { groups: 3 }),
  'conv2d bias': () => C.conv2d(r(1, 3, 5, 5), w16(), r(3)),
  'conv2d padding string': () => C.conv2d(r(1, 3, 5, 5), w16(), null, { padding: 'foo' as 'same' }),
  'conv2d negative padding': () => C.conv2d(r(1, 3, 5, 5), w16(), null, { padding: -1 }),
  'conv2d zero stride': () => C.conv2d(r(1, 3, 5, 5), w16(), null, { stride: 0 }),
  'conv2d zero groups': () => C.conv2d(r(1, 3, 5, 5), w16(), null, { groups: 0 }),
  'conv2d dtype': () => C.conv2d(r(1, 3, 5, 5), w16().double()),
  'conv1d input dims': () => C.conv1d(r(1, 3, 5, 5), r(4, 3, 3)),
  'conv1d kernel too big': () => C.conv1d(r(3, 2), r(4, 3, 3)),
  'conv1d channels': () => C.conv1d(r(1, 2, 5), r(4, 3, 3)),
  'convTranspose2d channels': () => C.convTranspose2d(r(1, 3, 5, 5), r(2, 4, 3, 3)),
  'convTranspose2d outputPadding': () =>
    C.convTranspose2d(r(1, 3, 5, 5), r(3, 4, 3, 3), null, { stride: 2, outputPadding: 2 }),
  'convTranspose2d input dims': () => C.convTranspose2d(r(2, 3), r(3, 4, 3, 3)),
  'convTranspose2d too small': () =>
    C.convTranspose2d(r(1, 3, 1, 1), r(3, 4, 3, 3), null, { padding: 3 }),
  'convTranspose2d bias': () => C.convTranspose2d(r(1, 4, 5, 5), r(4, 2, 3, 3), r(3)),
  'convTranspose2d negative outputPadding': () =>
    C.convTranspose2d(r(1, 4, 5, 5), r(4, 2, 3, 3), null, { outputPadding: -1 }),
  'Conv2d groups in': () => new convLayers.Conv2d(3, 4, 3, { groups: 2 }),
  'Conv2d groups out': () => new convLayers.Conv2d(4, 3, 3, { groups: 2 }),
  'Conv2d groups zero': () => new convLayers.Conv2d(4, 4, 3, { groups: 0 }),
  'Conv2d same strided': () => new convLayers.Conv2d(4, 4, 3, { stride: 2, padding: 'same' }),
  'ConvTranspose2d padding mode': () =>
    new convLayers.ConvTranspose2d(4, 4, 3, { paddingMode: 'reflect' as 'zeros' }),
  'ConvTranspose2d output size': () =>
    new convLayers.ConvTranspose2d(2, 3, 3, { stride: 2 }).forward(r(1, 2, 4, 4), [12, 9]),
  'maxPool2d too small': () => P.maxPool2d(r(1, 1, 2, 2), 3),
  'maxPool2d pad half': () => P.maxPool2d(r(1, 1, 5, 5), 3, { padding: 2 }),
  'maxPool2d input dims': () => P.maxPool2d(r(2, 5), 2),
  'maxPool2d zero stride': () => P.maxPool2d(r(1, 1, 5, 5), 2, { stride: 0 }),
  'maxPool2d negative padding': () => P.maxPool2d(r(1, 1, 5, 5), 2, { padding: -1 }),
  'maxPool2d zero dilation': () => P.maxPool2d(r(1, 1, 5, 5), 2, { dilation: 0 }),
  'maxPool2d empty channels': () => P.maxPool2d(r(1, 0, 5, 5), 2),
  'maxPool1d input dims': () => P.maxPool1d(r(5), 2),
  'maxPool1d pad half': () => P.maxPool1d(r(1, 1, 5), 2, { padding: 2 }),
  'maxPool1d zero stride': () => P.maxPool1d(r(1, 1, 5), 2, { stride: 0 }),
  'maxPool1d too small': () => P.maxPool1d(r(1, 1, 1), 2),
  'avgPool2d too small': () => P.avgPool2d(r(1, 1, 2, 2), 3),
  'avgPool2d pad half': () => P.avgPool2d(r(1, 1, 5, 5), 3, { padding: 2 }),
  'avgPool2d divisor zero': () => P.avgPool2d(r(1, 1, 5, 5), 2, { divisorOverride: 0 }),
  'avgPool1d too small': () => P.avgPool1d(r(1, 1, 1), 2),
  'avgPool1d pad half': () => P.avgPool1d(r(1, 1, 5), 2, { padding: 2 }),
  'adaptiveAvgPool2d input dims': () => P.adaptiveAvgPool2d(r(2, 5), 2),
  'adaptiveAvgPool2d output size length': () => P.adaptiveAvgPool2d(r(1, 2, 5, 5), [2, 2, 2]),
  'adaptiveAvgPool2d empty': () => P.adaptiveAvgPool2d(r(1, 2, 0, 5), 2),
  'adaptiveAvgPool2d negative': () => P.adaptiveAvgPool2d(r(1, 2, 5, 5), -1),
  'interpolate bilinear 3d': () => U.interpolate(r(1, 2, 5), { scaleFactor: 2, mode: 'bilinear' }),
  'interpolate linear 4d': () => U.interpolate(r(1, 2, 5, 5), { scaleFactor: 2, mode: 'linear' }),
  'interpolate alignCorners nearest': () =>
    U.interpolate(r(1, 2, 5, 5), { scaleFactor: 2, mode: 'nearest', alignCorners: true }),
  'interpolate size and scale': () => U.interpolate(r(1, 2, 5, 5), { size: 2, scaleFactor: 2 }),
  'interpolate neither': () => U.interpolate(r(1, 2, 5, 5), {}),
  'interpolate size length': () => U.interpolate(r(1, 2, 5, 5), { size: [2, 2, 2] }),
  'interpolate scale length': () => U.interpolate(r(1, 2, 5, 5), { scaleFactor: [2, 2, 2] }),
  'interpolate zero size': () => U.interpolate(r(1, 2, 5, 5), { size: 0 }),
  'interpolate 2d input': () => U.interpolate(r(2, 5), { size: 2 }),
  'unfold too small': () => C.unfold(r(1, 1, 2, 2), 3),
  'unfold input dims': () => C.unfold(r(1, 1, 1, 2, 2), 1),
  'unfold bool': () => C.unfold(ones(1, 1, 3, 3).gt(0), 2),
  'fold divisible': () => C.fold(r(1, 5, 4), [3, 3], 2),
  'fold blocks': () => C.fold(r(1, 4, 5), [3, 3], 2),
  'fold input dims': () => C.fold(r(1, 1, 4, 5), [3, 3], 2),
};

describe("errors in PyTorch's words", () => {
  it('covers every generated case', () => {
    expect(Object.keys(ERRORS).sort()).toEqual(Object.keys(golden.errors).sort());
  });
  for (const [id, message] of Object.entries(golden.errors)) {
    it(id, () => {
      let thrown: unknown;
      try {
        ERRORS[id]!();
      } catch (e) {
        thrown = e;
      }
      expect(thrown, 'expected an error').toBeInstanceOf(Error);
      expect((thrown as Error).message).toBe(message);
    });
  }

  it('an unknown padding mode lists the valid ones', () => {
    expect(() => new convLayers.Conv2d(4, 4, 3, { paddingMode: 'foo' as 'zeros' })).toThrow(
      /padding_mode must be one of .*'reflect'.*, but got padding_mode='foo'/,
    );
  });
});

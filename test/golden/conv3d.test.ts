// Golden tests for issue 13's 3-d ops and negative padding against PyTorch: every case of test/fixtures/conv3d_golden.json rebuilt with nabla, and PyTorch's error messages.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { manualSeed, nn, randn, tensor, type Tensor } from '../../src/index.js';
import type { Module } from '../../src/nn/module.js';
import type { AdaptiveSize } from '../../src/nn/functional/pooling.js';
import type { SizeArg } from '../../src/nn/functional/conv.js';
import type { PadMode, PadOptions } from '../../src/functions/shape_ops.js';
import {
  decode,
  decodeArg,
  describeGolden,
  expectClose,
  tolFor,
  type Arg,
  type Args,
  type Num,
  type OpFn,
} from './harness.js';

const F = nn.functional;

// ---- the op table: the same names as the generator's OPS ----

type Opts = Record<string, unknown>;
const opts = (a: Args): Opts => a as Opts;
const bias = (x: Tensor[]): Tensor | null => x[2] ?? null;
/** A pool's options: the args less the positional kernel size. */
const poolOpts = (a: Args): Opts => {
  const { kernelSize: _, ...rest } = a;
  return rest;
};

const OPS: Record<string, OpFn> = {
  conv3d: (x, a) => F.conv3d(x[0]!, x[1]!, bias(x), opts(a)),
  convTranspose3d: (x, a) => F.convTranspose3d(x[0]!, x[1]!, bias(x), opts(a)),
  maxPool3d: (x, a) => F.maxPool3d(x[0]!, a.kernelSize as SizeArg, poolOpts(a)),
  avgPool3d: (x, a) => F.avgPool3d(x[0]!, a.kernelSize as SizeArg, poolOpts(a)),
  adaptiveAvgPool3d: (x, a) => F.adaptiveAvgPool3d(x[0]!, a.outputSize as AdaptiveSize),
  interpolate: (x, a) => F.interpolate(x[0]!, opts(a)),
  pad: (x, a) => {
    const { pads, ...rest } = a;
    return F.pad(x[0]!, pads as number[], rest as PadOptions);
  },
};

describeGolden(
  'golden: 3-d convolution, pooling, interpolation and padding',
  'conv3d_golden.json',
  OPS,
);

// ---- layers: PyTorch's state loaded, values, gradients of the input and parameters, repr ----

interface Enc {
  readonly data: Num[];
  readonly shape: number[];
}
interface LayerCase {
  readonly name: string;
  readonly ctor: string;
  readonly args: Arg[];
  readonly opts: Args;
  readonly repr: string;
  readonly state: Record<string, Enc>;
  readonly x: Enc;
  readonly out: Enc;
  readonly upstream: Num[];
  readonly gradX: Num[];
  readonly gradParams: Record<string, Num[]>;
}
interface InitCase {
  readonly seed: number;
  readonly ctor: string;
  readonly args: Arg[];
  readonly opts: Args;
  readonly repr: string;
  readonly state: Record<string, Enc>;
}

const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/conv3d_golden.json', import.meta.url), 'utf8'),
) as { layers: LayerCase[]; inits: InitCase[]; errors: Record<string, string> };

const dec = (e: Enc, requiresGrad = false): Tensor =>
  tensor(e.data.map(decode)).reshape(e.shape).requiresGrad_(requiresGrad);

const LAYERS: Record<string, new (...args: never[]) => Module> = {
  Conv3d: nn.Conv3d,
  ConvTranspose3d: nn.ConvTranspose3d,
  MaxPool3d: nn.MaxPool3d,
  AvgPool3d: nn.AvgPool3d,
  AdaptiveAvgPool3d: nn.AdaptiveAvgPool3d,
  Upsample: nn.Upsample,
};

/** The layer as the generator made it: PyTorch's positionals, then the keywords as options. */
function build(ctor: string, args: Arg[], opts: Args): Module {
  const Ctor = LAYERS[ctor] as unknown as new (...a: unknown[]) => Module;
  const decoded = decodeArg(opts) as Args;
  return Object.keys(decoded).length === 0 ? new Ctor(...args) : new Ctor(...args, decoded);
}

const fTol = tolFor('float32', false);
const gTol = tolFor('float32', true);

describe('golden: 3-d layers against PyTorch', () => {
  for (const c of fixture.layers) {
    it(c.name, () => {
      const layer = build(c.ctor, c.args, c.opts);
      expect(layer.toString()).toBe(c.repr);
      layer.loadStateDict(Object.fromEntries(Object.entries(c.state).map(([k, v]) => [k, dec(v)])));
      const x = dec(c.x, true);
      const y = (layer.forward as (x: Tensor) => Tensor)(x);
      expect([...y.shape]).toEqual(c.out.shape);
      expectClose('out', y.dataSync(), c.out.data, fTol);
      y.mul(tensor(c.upstream.map(decode)).reshape(c.out.shape))
        .sum()
        .backward();
      expectClose('grad x', x.grad!.dataSync(), c.gradX, gTol);
      const params = Object.fromEntries(layer.namedParameters());
      expect(Object.keys(params).sort()).toEqual(Object.keys(c.gradParams).sort());
      for (const [k, g] of Object.entries(c.gradParams))
        expectClose(`grad ${k}`, params[k]!.grad!.dataSync(), g, gTol);
    });
  }

  for (const c of fixture.inits) {
    it(`${c.repr} initialises as PyTorch under seed ${c.seed}`, () => {
      manualSeed(c.seed);
      const layer = build(c.ctor, c.args, c.opts);
      expect(layer.toString()).toBe(c.repr);
      const sd = layer.stateDict();
      expect(Object.keys(sd)).toEqual(Object.keys(c.state));
      for (const [k, e] of Object.entries(c.state))
        expectClose(k, sd[k]!.dataSync(), e.data, { rtol: 1e-6, atol: 1e-7 });
    });
  }
});

// ---- errors: the same calls as the generator's, by name ----

const r = (...shape: number[]) => randn(shape);
const r5 = () => r(1, 2, 3, 3, 3);
const INTERPOLATE_ERRORS: Record<string, () => unknown> = {
  'interpolate trilinear 4d': () =>
    F.interpolate(r(1, 2, 3, 4), { scaleFactor: 2, mode: 'trilinear' }),
  'interpolate trilinear 3d': () =>
    F.interpolate(r(1, 2, 3), { scaleFactor: 2, mode: 'trilinear' }),
  'interpolate bilinear 5d': () => F.interpolate(r5(), { scaleFactor: 2, mode: 'bilinear' }),
  'interpolate linear 5d': () => F.interpolate(r5(), { scaleFactor: 2, mode: 'linear' }),
  'interpolate nearest 6d': () => F.interpolate(r(1, 2, 3, 3, 3, 3), { scaleFactor: 2 }),
  'interpolate nearest-exact alignCorners': () =>
    F.interpolate(r5(), { scaleFactor: 2, mode: 'nearest-exact', alignCorners: true }),
  'interpolate 5d zero size': () => F.interpolate(r5(), { size: [2, 0, 2], mode: 'trilinear' }),
  'interpolate nearest-exact zero size': () =>
    F.interpolate(r(1, 2, 3, 3), { size: [2, 0], mode: 'nearest-exact' }),
  'interpolate 5d scale length': () => F.interpolate(r5(), { scaleFactor: [2, 2] }),
  'interpolate 5d size length': () => F.interpolate(r5(), { size: [2, 2] }),
};

const padded =
  (shape: number[], pads: number[], mode: PadMode = 'constant', value?: number) =>
  () =>
    F.pad(r(...shape), pads, value === undefined ? { mode } : { mode, value });
const PAD_ERRORS: Record<string, () => unknown> = {
  'pad constant crop past the size': padded([3, 6], [2, -9]),
  'pad constant crop start past the size': padded([3, 6], [-7, 2]),
  'pad constant crop both past the size': padded([3, 6], [-3, -4]),
  'pad constant empty then padded': padded([3, 6], [-3, -3, 1, 0]),
  'pad reflect 1d empty': padded([1, 3, 6], [-3, -3], 'reflect'),
  'pad reflect 1d too big': padded([1, 3, 6], [-2, 6], 'reflect'),
  'pad reflect 2d too big width': padded([2, 5, 6], [7, -1, -5, 0], 'reflect'),
  'pad reflect 2d too big height': padded([2, 5, 6], [1, 1, 6, -1], 'reflect'),
  'pad reflect 2d empty': padded([2, 5, 6], [-7, -1, -5, 0], 'reflect'),
  'pad reflect 2d negative height': padded([2, 5, 6], [1, 1, -3, -3], 'reflect'),
  'pad reflect 3d too big': padded([2, 4, 5, 6], [1, 1, 5, 1, 4, 1], 'reflect'),
  'pad reflect 3d empty': padded([2, 4, 5, 6], [-3, -3, -3, -2, -2, -2], 'reflect'),
  'pad reflect 3d negative depth': padded([2, 4, 5, 6], [-3, -3, 1, 1, -3, -3], 'reflect'),
  'pad replicate 1d empty': padded([5, 6], [-7, -1], 'replicate'),
  'pad replicate 2d empty': padded([2, 5, 6], [-5, -1, -5, 0], 'replicate'),
  'pad replicate 2d negative width': padded([5, 6, 6], [-7, -1, 1, 1], 'replicate'),
  'pad replicate 3d empty': padded([2, 4, 5, 6], [-3, -3, -3, -2, -2, -2], 'replicate'),
  'pad circular wraps twice': padded([1, 3, 6], [-2, 7], 'circular'),
  'pad circular negative size': padded([1, 3, 6], [-4, -4], 'circular'),
  'pad circular negative size 2d': padded([1, 2, 3, 6], [-1, 1, -4, 0], 'circular'),
  'pad reflect value': padded([2, 3, 6], [1, 1], 'reflect', 1),
};

type Pool3d = (x: Tensor, k: SizeArg, o?: { stride?: SizeArg; padding?: SizeArg }) => unknown;

/** The errors both 3-d pools are checked for (the generator's loop). */
const poolErrors = (fn: string, pool: Pool3d): Record<string, () => unknown> => ({
  [`${fn} input dims`]: () => pool(r(3, 4, 4), 2),
  [`${fn} too small`]: () => pool(r(1, 1, 2, 2, 2), 3),
  [`${fn} pad half`]: () => pool(r(1, 1, 5, 5, 5), 3, { padding: 2 }),
  [`${fn} zero stride`]: () => pool(r(1, 1, 5, 5, 5), 2, { stride: 0 }),
  [`${fn} negative padding`]: () => pool(r(1, 1, 5, 5, 5), 2, { padding: -1 }),
  [`${fn} empty channels`]: () => pool(r(1, 0, 5, 5, 5), 2),
  [`${fn} kernel length`]: () => pool(r(1, 1, 5, 5, 5), [2, 2]),
  [`${fn} stride length`]: () => pool(r(1, 1, 5, 5, 5), 2, { stride: [2, 2] }),
  [`${fn} padding length`]: () => pool(r(1, 1, 5, 5, 5), 2, { padding: [1, 1] }),
});

const ERRORS: Record<string, () => unknown> = {
  'conv3d input dims': () => F.conv3d(r(3, 4, 4), r(4, 3, 2, 2, 2)),
  'conv3d channels': () => F.conv3d(r(1, 2, 4, 4, 4), r(4, 3, 2, 2, 2)),
  'conv3d channels unbatched': () => F.conv3d(r(2, 3, 4, 4), r(4, 3, 2, 2, 2)),
  'conv3d kernel too big': () => F.conv3d(r(1, 3, 4, 4, 4), r(4, 3, 5, 2, 2)),
  'conv3d stride length': () =>
    F.conv3d(r(1, 3, 4, 4, 4), r(4, 3, 2, 2, 2), null, { stride: [1, 2] }),
  'conv3d same strided': () =>
    F.conv3d(r(1, 3, 4, 4, 4), r(4, 3, 2, 2, 2), null, { padding: 'same', stride: 2 }),
  'conv3d groups': () => F.conv3d(r(1, 3, 4, 4, 4), r(4, 3, 2, 2, 2), null, { groups: 3 }),
  'conv3d bias': () => F.conv3d(r(1, 3, 4, 4, 4), r(4, 3, 2, 2, 2), r(3)),
  'convTranspose3d input dims': () => F.convTranspose3d(r(3, 4, 4), r(3, 4, 2, 2, 2)),
  'convTranspose3d channels': () => F.convTranspose3d(r(1, 2, 4, 4, 4), r(3, 4, 2, 2, 2)),
  'convTranspose3d outputPadding': () =>
    F.convTranspose3d(r(1, 3, 4, 4, 4), r(3, 4, 2, 2, 2), null, { stride: 2, outputPadding: 2 }),
  'convTranspose3d too small': () =>
    F.convTranspose3d(r(1, 3, 1, 1, 1), r(3, 4, 3, 3, 3), null, { padding: 3 }),
  ...poolErrors('maxPool3d', F.maxPool3d),
  ...poolErrors('avgPool3d', F.avgPool3d),
  'maxPool3d zero dilation': () => F.maxPool3d(r(1, 1, 5, 5, 5), 2, { dilation: 0 }),
  'maxPool3d dilation length': () => F.maxPool3d(r(1, 1, 5, 5, 5), 2, { dilation: [1, 1] }),
  'avgPool3d too small padded': () => F.avgPool3d(r(1, 1, 2, 4, 4), 3, { padding: 1 }),
  'avgPool3d divisor zero': () => F.avgPool3d(r(1, 1, 5, 5, 5), 2, { divisorOverride: 0 }),
  'adaptiveAvgPool3d input dims': () => F.adaptiveAvgPool3d(r(2, 5, 5), 2),
  'adaptiveAvgPool3d output size length': () => F.adaptiveAvgPool3d(r(1, 2, 5, 5, 5), [2, 2]),
  'adaptiveAvgPool3d empty': () => F.adaptiveAvgPool3d(r(1, 2, 0, 5, 5), 2),
  'adaptiveAvgPool3d negative': () => F.adaptiveAvgPool3d(r(1, 2, 5, 5, 5), [2, -3, 2]),
  ...INTERPOLATE_ERRORS,
  ...PAD_ERRORS,
  'Conv3d groups': () => new nn.Conv3d(3, 4, 3, { groups: 2 }),
  'ConvTranspose3d padding mode': () =>
    new nn.ConvTranspose3d(4, 4, 3, { paddingMode: 'reflect' as 'zeros' }),
};

const errors = (
  JSON.parse(readFileSync(new URL('../fixtures/conv3d_golden.json', import.meta.url), 'utf8')) as {
    errors: Record<string, string>;
  }
).errors;

describe("golden: 3-d ops' errors in PyTorch's words", () => {
  it('has a nabla call for every generated error, and an error for every call', () => {
    expect(Object.keys(ERRORS).sort()).toEqual(Object.keys(errors).sort());
  });
  for (const [name, message] of Object.entries(errors)) {
    it(name, () => {
      const call = ERRORS[name];
      expect(call, name).toBeDefined();
      let thrown: unknown;
      try {
        call!();
      } catch (e) {
        thrown = e;
      }
      expect(thrown, 'expected an error').toBeInstanceOf(Error);
      expect((thrown as Error).message).toBe(message);
    });
  }
});

describe('pad: what PyTorch leaves undefined, nabla refuses', () => {
  it('a circular pad longer than what the crop leaves (PyTorch reads memory it never wrote)', () => {
    const wrap = 'Padding value causes wrapping around more than once.';
    expect(() => F.pad(r(1, 3, 6), [-4, 5], { mode: 'circular' })).toThrow(wrap);
    expect(() => F.pad(r(1, 3, 6), [2, -5], { mode: 'circular' })).toThrow(wrap);
    expect(() => F.pad(r(1, 3, 6), [-6, 1], { mode: 'circular' })).toThrow(wrap);
    expect(F.pad(r(1, 3, 6), [2, -4], { mode: 'circular' }).shape).toEqual([1, 3, 4]);
  });
});

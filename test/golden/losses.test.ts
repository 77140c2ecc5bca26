// Golden tests for the losses: every case of test/fixtures/losses_golden.json (made by PyTorch) run through nn.functional and the loss modules.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { tensor, type DType, type Tensor } from '../../src/index.js';
import * as F from '../../src/nn/functional/loss.js';
import * as L from '../../src/nn/loss.js';
import type { Module } from '../../src/nn/module.js';

// ---- the fixture format (see test/fixtures/generate_losses.py) ----

type Num = number | 'nan' | 'inf' | '-inf';

interface TensorCase {
  readonly data: Num[];
  readonly shape: number[];
  readonly dtype: DType;
}

interface OperandCase extends TensorCase {
  readonly requiresGrad: boolean;
}

type OptValue = number | boolean | string | TensorCase;

interface GoldenCase {
  readonly name: string;
  readonly fn: string;
  readonly opts: Record<string, OptValue>;
  readonly input: OperandCase;
  readonly target: OperandCase;
  readonly upstream: Num[] | null;
  readonly out: TensorCase;
  readonly grads: { readonly input: Num[]; readonly target: Num[] | null };
}

interface ModuleCase {
  readonly cls: string;
  readonly opts: Record<string, OptValue>;
  readonly repr: string;
  readonly buffers: string[];
}

const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/losses_golden.json', import.meta.url), 'utf8'),
) as { cases: GoldenCase[]; modules: ModuleCase[] };

function decode(v: Num): number {
  if (v === 'nan') return NaN;
  if (v === 'inf') return Infinity;
  if (v === '-inf') return -Infinity;
  return v;
}

function build(c: TensorCase, requiresGrad = false): Tensor {
  const t = tensor(c.data.map(decode), { dtype: c.dtype }).reshape(c.shape);
  return requiresGrad ? t.requiresGrad_(true) : t;
}

/** The options object as nabla takes it: tensors built, everything else as given. */
function options(opts: Record<string, OptValue>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(opts)) out[k] = typeof v === 'object' ? build(v) : v;
  return out;
}

type LossFn = (input: Tensor, target: Tensor, opts: Record<string, unknown>) => Tensor;

const FUNCTIONS: Record<string, LossFn> = {
  mse_loss: (x, t, o) => F.mseLoss(x, t, o as F.ReductionOptions),
  l1_loss: (x, t, o) => F.l1Loss(x, t, o as F.ReductionOptions),
  smooth_l1_loss: (x, t, o) => F.smoothL1Loss(x, t, o as F.SmoothL1LossOptions),
  huber_loss: (x, t, o) => F.huberLoss(x, t, o as F.HuberLossOptions),
  cross_entropy: (x, t, o) => F.crossEntropy(x, t, o as F.CrossEntropyOptions),
  nll_loss: (x, t, o) => F.nllLoss(x, t, o as F.NLLLossOptions),
  binary_cross_entropy: (x, t, o) => F.binaryCrossEntropy(x, t, o as F.BCEOptions),
  binary_cross_entropy_with_logits: (x, t, o) =>
    F.binaryCrossEntropyWithLogits(x, t, o as F.BCEWithLogitsOptions),
  kl_div: (x, t, o) => F.klDiv(x, t, o as F.KLDivOptions),
};

type LossModule = Module & { forward(input: Tensor, target: Tensor): Tensor };

const MODULES: Record<string, (opts: Record<string, unknown>) => LossModule> = {
  MSELoss: (o) => new L.MSELoss(o as F.ReductionOptions),
  L1Loss: (o) => new L.L1Loss(o as F.ReductionOptions),
  SmoothL1Loss: (o) => new L.SmoothL1Loss(o as F.SmoothL1LossOptions),
  HuberLoss: (o) => new L.HuberLoss(o as F.HuberLossOptions),
  CrossEntropyLoss: (o) => new L.CrossEntropyLoss(o as F.CrossEntropyOptions),
  NLLLoss: (o) => new L.NLLLoss(o as F.NLLLossOptions),
  BCELoss: (o) => new L.BCELoss(o as F.BCEOptions),
  BCEWithLogitsLoss: (o) => new L.BCEWithLogitsLoss(o as F.BCEWithLogitsOptions),
  KLDivLoss: (o) => new L.KLDivLoss(o as F.KLDivOptions),
};

/** The module class of each functional loss. */
const MODULE_OF: Record<string, string> = {
  mse_loss: 'MSELoss',
  l1_loss: 'L1Loss',
  smooth_l1_loss: 'SmoothL1Loss',
  huber_loss: 'HuberLoss',
  cross_entropy: 'CrossEntropyLoss',
  nll_loss: 'NLLLoss',
  binary_cross_entropy: 'BCELoss',
  binary_cross_entropy_with_logits: 'BCEWithLogitsLoss',
  kl_div: 'KLDivLoss',
};

// ---- comparison ----

interface Tolerance {
  readonly rtol: number;
  readonly atol: number;
}

/** Forward values: float32 as PyTorch's assert_close; float64 much tighter. */
function valueTol(dtype: DType): Tolerance {
  return dtype === 'float64' ? { rtol: 1e-9, atol: 1e-12 } : { rtol: 1.3e-6, atol: 1e-5 };
}

/** Gradients: 1e-4 relative (float32 backward formulas round differently from PyTorch's fused ones). */
function gradTol(dtype: DType): Tolerance {
  return dtype === 'float64' ? { rtol: 1e-9, atol: 1e-12 } : { rtol: 1e-4, atol: 1e-6 };
}

function expectClose(what: string, actual: ArrayLike<number>, golden: Num[], tol: Tolerance): void {
  expect(actual.length, `${what}: element count`).toBe(golden.length);
  for (let i = 0; i < golden.length; i++) {
    const a = actual[i]!;
    const b = decode(golden[i]!);
    const ok = Number.isNaN(b)
      ? Number.isNaN(a)
      : !Number.isFinite(b)
        ? a === b
        : Math.abs(a - b) <= tol.atol + tol.rtol * Math.abs(b);
    if (!ok) {
      expect.fail(`${what}[${i}]: nabla ${a}, PyTorch ${b} (rtol ${tol.rtol}, atol ${tol.atol})`);
    }
  }
}

function checkCase(c: GoldenCase, run: (input: Tensor, target: Tensor) => Tensor): void {
  const input = build(c.input, c.input.requiresGrad);
  const target = build(c.target, c.target.requiresGrad);
  const out = run(input, target);
  expect(out.shape).toEqual(c.out.shape);
  expect(out.dtype).toBe(c.out.dtype);
  expectClose('value', out.dataSync(), c.out.data, valueTol(c.out.dtype));
  if (c.upstream === null) out.backward();
  else out.backward(build({ data: c.upstream, shape: c.out.shape, dtype: c.out.dtype }));
  expect(input.grad).not.toBeNull();
  expectClose('input grad', input.grad!.dataSync(), c.grads.input, gradTol(c.input.dtype));
  if (c.grads.target !== null) {
    expect(target.grad).not.toBeNull();
    expectClose('target grad', target.grad!.dataSync(), c.grads.target, gradTol(c.target.dtype));
  }
}

// ---- the cases ----

const byFn = new Map<string, GoldenCase[]>();
for (const c of fixture.cases) byFn.set(c.fn, [...(byFn.get(c.fn) ?? []), c]);

describe('losses match PyTorch (functional)', () => {
  for (const [fn, cases] of byFn) {
    describe(fn, () => {
      it.each(cases.map((c) => [c.name, c] as const))('%s', (_, c) => {
        checkCase(c, (x, t) => FUNCTIONS[fn]!(x, t, options(c.opts)));
      });
    });
  }
});

describe('losses match PyTorch (modules)', () => {
  for (const [fn, cases] of byFn) {
    describe(MODULE_OF[fn]!, () => {
      it.each(cases.map((c) => [c.name, c] as const))('%s', (_, c) => {
        const m = MODULES[MODULE_OF[fn]!]!(options(c.opts));
        checkCase(c, (x, t) => m.forward(x, t));
      });
    });
  }
});

describe('loss modules print and save as PyTorch', () => {
  it.each(fixture.modules.map((m) => [m.cls, m] as const))('%s', (_, mc) => {
    const opts = options(mc.opts);
    const m = MODULES[mc.cls]!(opts);
    expect(String(m)).toBe(mc.repr);
    const sd = m.stateDict();
    expect(Object.keys(sd)).toEqual(mc.buffers);
    const tensorKey: Record<string, string> = { weight: 'weight', pos_weight: 'posWeight' };
    for (const key of mc.buffers) {
      expect(sd[key]!.tolist()).toEqual((opts[tensorKey[key]!] as Tensor).tolist());
    }
    expect(m.parameters()).toEqual([]);
  });

  it('covers every loss and module of the fixture', () => {
    expect([...byFn.keys()].sort()).toEqual(Object.keys(FUNCTIONS).sort());
    expect([...new Set(fixture.modules.map((m) => m.cls))].sort()).toEqual(
      Object.keys(MODULES).sort(),
    );
  });
});

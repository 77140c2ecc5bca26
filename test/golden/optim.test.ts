// Golden tests for the optimizers: every case of test/fixtures/optim_golden.json (made by PyTorch) replayed with nabla.
import { readFileSync } from 'node:fs';
import { getBackend } from '../../src/backend/registry.js';
import { describe, expect, it } from 'vitest';
import { ArgumentError, Tensor, cat, tensor, tidy, type DType } from '../../src/index.js';
import * as optim from '../../src/optim/index.js';

// ---- the fixture format (see test/fixtures/generate_optim.py) ----

interface Flat {
  readonly shape: number[];
  readonly data: number[];
}
type PyValue = number | boolean | null | string | Flat | PyValue[];
interface PyStateDict {
  readonly state: Record<string, Record<string, PyValue>>;
  readonly param_groups: Record<string, PyValue>[];
}
type OptimName =
  | 'SGD'
  | 'Adam'
  | 'AdamW'
  | 'RMSprop'
  | 'Adagrad'
  | 'NAdam'
  | 'RAdam'
  | 'Adamax'
  | 'Adadelta'
  | 'Rprop'
  | 'ASGD';
type Options = Record<string, unknown>;
interface GroupSpec extends Options {
  readonly params: number[];
}
interface Case {
  readonly name: string;
  readonly optimizer: OptimName;
  readonly options: Options;
  readonly groups?: GroupSpec[];
  readonly losses: number[];
  readonly params: [number[], number[]][];
  readonly state_dicts: Record<string, PyStateDict>;
  readonly losses64: number[];
  readonly params64: [number[], number[]][];
}
interface LbfgsCase {
  readonly name: string;
  readonly options: Options;
  readonly losses: number[];
  readonly params: [number[], number[]][];
  readonly state_dicts: Record<string, PyStateDict>;
  readonly closure_calls: number[];
  readonly losses64: number[];
  readonly params64: [number[], number[]][];
  readonly state_dicts64: Record<string, PyStateDict>;
  readonly closure_calls64: number[];
}
interface Golden {
  readonly problem: { A: Flat; y: Flat; w: Flat; b: Flat };
  readonly steps: number;
  readonly cases: Case[];
  readonly errors: { optimizer: OptimName; options: Options; message: string }[];
  readonly lbfgs_steps: number;
  readonly lbfgs: LbfgsCase[];
  readonly rosenbrock: { u: number[]; v: number[]; steps: number; cases: RosenbrockCase[] };
}
/** An LBFGS run on Rosenbrock, float64 only (see the generator). */
type RosenbrockCase = Pick<
  LbfgsCase,
  'name' | 'options' | 'losses64' | 'params64' | 'state_dicts64' | 'closure_calls64'
>;

const G = JSON.parse(
  readFileSync(new URL('../fixtures/optim_golden.json', import.meta.url), 'utf8'),
) as Golden;

/**
 * |nabla − PyTorch| ≤ rtol·|expected| + atol·max|expected over the tensor|.
 * NOTE: in float32 the gradients already differ by an ulp or two (PyTorch's float32 sgemm against
 * nabla's correctly rounded sums), so an entry that passes near zero keeps an absolute error of a
 * few ulps of its tensor's scale (up to 5e-7 of it for parameters here); the absolute term is sized
 * to that scale. State tensors such as RMSprop's Σ g/√s amplify that noise where g and s are small
 * (1.3e-6 of the scale), hence their wider term. The float64 runs, where the gradients agree to
 * ~1e-16, check the optimizers' arithmetic itself tightly.
 */
interface Tolerance {
  readonly rtol: number;
  readonly atol: number;
}
const PARAMS32: Tolerance = { rtol: 1e-5, atol: 1e-6 };
const STATE32: Tolerance = { rtol: 1e-5, atol: 1e-5 };
const PARAMS64: Tolerance = { rtol: 1e-12, atol: 1e-13 };
/** LBFGS's float32 parameters (see the LBFGS tests). */
const LBFGS32: Tolerance = { rtol: 1e-5, atol: 2e-3 };
/** Group options PyTorch keeps that nabla has no use for. */
const TORCH_ONLY = new Set(['foreach', 'capturable', 'differentiable', 'fused']);

// ---- building the problem ----

type AnyOptimizer = optim.Optimizer<object>;
type Params = Iterable<Tensor> | Iterable<optim.ParamGroupInput<object>>;
const CTORS: Record<OptimName, new (params: Params, opts: never) => AnyOptimizer> = {
  SGD: optim.SGD,
  Adam: optim.Adam,
  AdamW: optim.AdamW,
  RMSprop: optim.RMSprop,
  Adagrad: optim.Adagrad,
  NAdam: optim.NAdam,
  RAdam: optim.RAdam,
  Adamax: optim.Adamax,
  Adadelta: optim.Adadelta,
  Rprop: optim.Rprop,
  ASGD: optim.ASGD,
};

function make(name: OptimName, params: Params, opts: Options): AnyOptimizer {
  return new CTORS[name](params, opts as never);
}

function fromFlat(f: Flat, requiresGrad = false, dtype: DType = 'float32'): Tensor {
  const t = tensor(f.data, { dtype }).reshape(f.shape).detach();
  return requiresGrad ? t.requiresGrad_() : t;
}

interface Setup {
  readonly w: Tensor;
  readonly b: Tensor;
  readonly opt: AnyOptimizer;
  readonly loss: () => Tensor;
}

/** The parameters (w, b) at their initial values, or at `at`, and the case's optimizer over them. */
function setup(c: Case, at?: [number[], number[]] | null, dtype: DType = 'float32'): Setup {
  const A = fromFlat(G.problem.A, false, dtype);
  const Y = fromFlat(G.problem.y, false, dtype);
  const w = fromFlat(at ? { shape: G.problem.w.shape, data: at[0] } : G.problem.w, true, dtype);
  const b = fromFlat(at ? { shape: G.problem.b.shape, data: at[1] } : G.problem.b, true, dtype);
  const params = [w, b];
  const opt = c.groups
    ? make(
        c.optimizer,
        c.groups.map((g) => ({ ...g, params: g.params.map((i) => params[i]!) })),
        c.options,
      )
    : make(c.optimizer, params, c.options);
  // sum((A·w + b − y)²) + 0.01·sum(w⁴)
  const loss = (): Tensor => A.matmul(w).add(b).sub(Y).pow(2).sum().add(w.pow(4).sum().mul(0.01));
  return { w, b, opt, loss };
}

function trainStep(s: Setup): number {
  s.opt.zeroGrad();
  const l = s.loss();
  l.backward();
  s.opt.step();
  return l.item() as number;
}

const values = (t: Tensor): number[] => Array.from(t.contiguous().dataSync() as Float32Array);

// ---- comparisons ----

function expectClose(
  actual: readonly number[],
  expected: readonly number[],
  what: string,
  tol: Tolerance = PARAMS32,
): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  const { rtol } = tol;
  const atol = tol.atol * Math.max(0, ...expected.map(Math.abs));
  let worst = -1;
  let worstExcess = 0;
  expected.forEach((e, i) => {
    const excess = Math.abs(actual[i]! - e) - (atol + rtol * Math.abs(e));
    if (!(excess <= 0) && (worst < 0 || excess > worstExcess)) {
      worst = i;
      worstExcess = excess;
    }
  });
  if (worst >= 0) {
    expect.fail(`${what}: element ${worst} is ${actual[worst]}, PyTorch has ${expected[worst]}`);
  }
}

const isFlat = (v: PyValue): v is Flat =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && 'data' in v;

function expectValue(ours: unknown, theirs: PyValue, what: string): void {
  if (isFlat(theirs)) {
    expect(ours, what).toBeInstanceOf(Tensor);
    expect((ours as Tensor).shape, `${what}: shape`).toEqual(theirs.shape);
    expectClose(values(ours as Tensor), theirs.data, what, STATE32);
  } else if (Array.isArray(theirs)) {
    expect(Array.isArray(ours), `${what}: a list`).toBe(true);
    const list = ours as unknown[];
    expect(list.length, `${what}: length`).toBe(theirs.length);
    theirs.forEach((t, i) => expectValue(list[i], t, `${what}[${i}]`));
  } else if (typeof theirs === 'number') {
    // PyTorch keeps some scalars (step, mu_product) as 0-d tensors; nabla keeps numbers.
    const n = ours instanceof Tensor ? (ours.item() as number) : ours;
    expect(typeof n, `${what}: a number`).toBe('number');
    expectClose([n as number], [theirs], what);
  } else {
    expect(ours, what).toBe(theirs);
  }
}

/** Same state keys and values; same group options, save those only PyTorch has. */
function expectStateDict(ours: optim.OptimizerStateDict, theirs: PyStateDict, what: string): void {
  expect(Object.keys(ours.state).sort(), `${what}: state indices`).toEqual(
    Object.keys(theirs.state).sort(),
  );
  for (const [i, s] of Object.entries(theirs.state)) {
    const mine = ours.state[Number(i)]!;
    expect(Object.keys(mine).sort(), `${what}: state[${i}] keys`).toEqual(Object.keys(s).sort());
    for (const [k, v] of Object.entries(s)) expectValue(mine[k], v, `${what}: state[${i}].${k}`);
  }
  expect(ours.param_groups.length, `${what}: groups`).toBe(theirs.param_groups.length);
  theirs.param_groups.forEach((tg, gi) => {
    const og = ours.param_groups[gi]!;
    const missing = Object.keys(tg).filter((k) => !(k in og) && !TORCH_ONLY.has(k));
    const extra = Object.keys(og).filter((k) => !(k in tg));
    expect(missing, `${what}: group ${gi} lacks PyTorch keys`).toEqual([]);
    expect(extra, `${what}: group ${gi} has keys PyTorch lacks`).toEqual([]);
    for (const k of Object.keys(og)) expectValue(og[k], tg[k]!, `${what}: group ${gi}.${k}`);
  });
}

/** A PyTorch state dict from the fixture as nabla tensors (numbers stay numbers). */
function toNabla(v: PyValue, dtype: DType = 'float32'): unknown {
  if (isFlat(v)) return fromFlat(v, false, dtype);
  if (Array.isArray(v)) return v.map((x) => toNabla(x, dtype));
  return v;
}

function stateDictFromTorch(sd: PyStateDict, dtype: DType = 'float32'): optim.OptimizerStateDict {
  const state: Record<number, Record<string, unknown>> = {};
  for (const [i, s] of Object.entries(sd.state)) {
    state[Number(i)] = Object.fromEntries(
      Object.entries(s).map(([k, v]) => [k, toNabla(v, dtype)]),
    );
  }
  const param_groups = sd.param_groups.map((g) =>
    Object.fromEntries(Object.entries(g).map(([k, v]) => [k, toNabla(v)])),
  );
  return { state, param_groups };
}

// ---- the tests ----

describe('optimizers match PyTorch step by step', () => {
  for (const c of G.cases) {
    it(c.name, () => {
      const s = setup(c);
      for (let k = 0; k < G.steps; k++) {
        const loss = trainStep(s);
        expectClose([loss], [c.losses[k]!], `${c.name}: loss at step ${k + 1}`);
        expectClose(values(s.w), c.params[k]![0], `${c.name}: w after step ${k + 1}`);
        expectClose(values(s.b), c.params[k]![1], `${c.name}: b after step ${k + 1}`);
        const sd = c.state_dicts[String(k + 1)];
        if (sd) expectStateDict(s.opt.stateDict(), sd, `${c.name}: stateDict after ${k + 1}`);
      }
    });
  }
});

describe('in float64 the optimizers match PyTorch to 1e-12', () => {
  for (const c of G.cases) {
    it(c.name, () => {
      const s = setup(c, null, 'float64');
      for (let k = 0; k < G.steps; k++) {
        const loss = trainStep(s);
        const at = `after step ${k + 1}`;
        expectClose([loss], [c.losses64[k]!], `${c.name}: loss ${at}`, PARAMS64);
        expectClose(values(s.w), c.params64[k]![0], `${c.name}: w ${at}`, PARAMS64);
        expectClose(values(s.b), c.params64[k]![1], `${c.name}: b ${at}`, PARAMS64);
      }
    });
  }
});

describe('step(closure) returns the loss', () => {
  const firsts = G.cases.filter(
    (c, i) => G.cases.findIndex((d) => d.optimizer === c.optimizer) === i,
  );
  for (const c of firsts) {
    it(c.name, () => {
      const s = setup(c);
      for (let k = 0; k < G.steps; k++) {
        const loss = s.opt.step(() => {
          s.opt.zeroGrad();
          const l = s.loss();
          l.backward();
          return l;
        });
        expectClose([loss!], [c.losses[k]!], `${c.name}: loss at step ${k + 1}`);
        expectClose(values(s.w), c.params[k]![0], `${c.name}: w after step ${k + 1}`);
      }
      expect(s.opt.step(() => 7)).toBe(7);
    });
  }
});

describe('loadStateDict', () => {
  for (const c of G.cases) {
    it(`${c.name}: save after 10 steps, load into a new optimizer, continue = uninterrupted`, () => {
      const half = G.steps / 2;
      const run = setup(c);
      for (let k = 0; k < half; k++) trainStep(run);
      const saved = run.opt.stateDict();
      // A different lr at construction: the state dict's options replace it.
      const resumed = setup({ ...c, options: { ...c.options, lr: 0.5 } }, [
        values(run.w),
        values(run.b),
      ]);
      resumed.opt.loadStateDict(saved);
      for (let k = half; k < G.steps; k++) {
        trainStep(run);
        trainStep(resumed);
      }
      expect(values(resumed.w)).toEqual(values(run.w));
      expect(values(resumed.b)).toEqual(values(run.b));
      expectStateDict(resumed.opt.stateDict(), c.state_dicts[String(G.steps)]!, c.name);
    });

    it(`${c.name}: PyTorch's state dict after 10 steps continues PyTorch's run`, () => {
      const half = G.steps / 2;
      const s = setup(c, c.params[half - 1]!);
      s.opt.loadStateDict(stateDictFromTorch(c.state_dicts[String(half)]!));
      for (let k = half; k < G.steps; k++) {
        trainStep(s);
        expectClose(values(s.w), c.params[k]![0], `${c.name}: w after step ${k + 1}`);
        expectClose(values(s.b), c.params[k]![1], `${c.name}: b after step ${k + 1}`);
      }
    });
  }
});

describe('optimizer behaviour', () => {
  const plain = G.cases.find((c) => c.name === 'Adam plain')!;

  it('zeroGrad sets gradients to null by default, or zeros them in place', () => {
    const s = setup(plain);
    s.loss().backward();
    s.opt.zeroGrad();
    expect(s.w.grad).toBeNull();
    expect(s.b.grad).toBeNull();
    s.loss().backward();
    const g = s.w.grad!;
    s.opt.zeroGrad({ setToNone: false });
    expect(s.w.grad).toBe(g);
    expect(values(g).every((v) => v === 0)).toBe(true);
  });

  it('parameters without a gradient are left alone (only Adagrad gives them state, eagerly)', () => {
    for (const name of Object.keys(CTORS) as OptimName[]) {
      const momentum = name === 'SGD' || name === 'RMSprop' ? { momentum: 0.5 } : {};
      const s = setup({ ...plain, optimizer: name, options: { lr: 0.1, ...momentum } });
      const before = values(s.b);
      s.w.sum().backward();
      s.opt.step();
      expect(values(s.b), name).toEqual(before);
      const indices = Object.keys(s.opt.stateDict().state);
      expect(indices, name).toEqual(name === 'Adagrad' ? ['0', '1'] : ['0']);
    }
  });

  it('Adagrad makes state for a group added later, from its initialAccumulatorValue', () => {
    const p = tensor([1, 2]).requiresGrad_();
    const q = tensor([3]).requiresGrad_();
    const opt = new optim.Adagrad([p], { lr: 0.1 });
    opt.addParamGroup({ params: [q], initialAccumulatorValue: 0.25 });
    p.sum().add(q.sum()).backward();
    opt.step();
    const sum = opt.stateDict().state[1]!.sum as Tensor;
    expect(values(sum)).toEqual([1.25]);
  });

  it('state survives tidy() around each training step', () => {
    for (const c of G.cases.filter((d) => /amsgrad|centered momentum|plain/.test(d.name))) {
      const s = setup(c);
      for (let k = 0; k < 3; k++) tidy(() => trainStep(s));
      expectClose(values(s.w), c.params[2]![0], `${c.name}: w after step 3 under tidy`);
    }
  });

  it('two parameter groups keep their own options', () => {
    const c = G.cases.find((d) => d.name === 'Adam groups')!;
    const s = setup(c);
    expect(s.opt.paramGroups.map((g) => g.lr)).toEqual([0.02, 0.05]);
    expect(s.opt.paramGroups.map((g) => g.betas)).toEqual([
      [0.9, 0.999],
      [0.8, 0.9],
    ]);
  });
});

describe('invalid options raise PyTorch messages', () => {
  for (const e of G.errors) {
    it(`${e.optimizer} ${JSON.stringify(e.options)}`, () => {
      const p = tensor([0, 0]).requiresGrad_();
      const opts =
        e.optimizer === 'SGD' && !('lr' in e.options) ? { lr: 0.1, ...e.options } : e.options;
      expect(() => make(e.optimizer, [p], opts)).toThrow(ArgumentError);
      expect(() => make(e.optimizer, [p], opts)).toThrow(e.message);
    });
  }
});

// ---- LBFGS: step(closure) ----

interface LbfgsRun {
  readonly w: Tensor;
  readonly b: Tensor;
  readonly opt: optim.LBFGS;
  /** Steps with the closure; returns the loss step() returned. */
  readonly step: () => number;
  /** How many times the closure ran so far. */
  readonly calls: () => number;
}

function lbfgsRun(
  c: LbfgsCase,
  dtype: DType,
  at?: [number[], number[]],
  options: Options = c.options,
): LbfgsRun {
  const { w, b, loss } = setup(
    { ...G.cases[0]!, optimizer: 'SGD', options: { lr: 0 } },
    at ?? null,
    dtype,
  );
  const opt = new optim.LBFGS([w, b], options as Partial<optim.LBFGSOptions>);
  let calls = 0;
  const closure = (): Tensor => {
    calls++;
    opt.zeroGrad();
    const l = loss();
    l.backward();
    return l;
  };
  return { w, b, opt, step: () => opt.step(closure)!, calls: () => calls };
}

describe('LBFGS matches PyTorch step(closure) by step(closure)', () => {
  for (const c of G.lbfgs) {
    for (const dtype of ['float32', 'float64'] as const) {
      it(`${c.name} (${dtype})`, () => {
        const f64 = dtype === 'float64';
        const [losses, params, calls, sds] = f64
          ? [c.losses64, c.params64, c.closure_calls64, c.state_dicts64]
          : [c.losses, c.params, c.closure_calls, c.state_dicts];
        // NOTE: in float32 L-BFGS amplifies the gradients' last-ulp differences where the loss is
        // flat (up to 5e-4 of the scale in w, and a different count of closure calls near the
        // optimum); the losses still agree to 1e-5, and the float64 runs check the algorithm tightly.
        const tol = f64 ? PARAMS64 : LBFGS32;
        // webgpu sums in a GPU's order (tree reductions, per-thread GEMM sums): after four
        // line searches the float32 loss is 4e-5 off (strong_wolfe), so 1e-4 there
        const loss32 = getBackend().name === 'webgpu' ? { rtol: 1e-4, atol: 1e-6 } : PARAMS32;
        const r = lbfgsRun(c, dtype);
        for (let k = 0; k < G.lbfgs_steps; k++) {
          const at = `${c.name}: after step ${k + 1}`;
          expectClose([r.step()], [losses[k]!], `${at}: loss`, f64 ? PARAMS64 : loss32);
          expectClose(values(r.w), params[k]![0], `${at}: w`, tol);
          expectClose(values(r.b), params[k]![1], `${at}: b`, tol);
          if (f64) expect(r.calls(), `${at}: closure calls`).toBe(calls[k]);
          // NOTE: the float64 state (curvature pairs of nearly converged gradients) is compared;
          // in float32 those differences of tiny gradients are mostly rounding noise.
          const sd = sds[String(k + 1)];
          if (sd && f64) expectStateDict(r.opt.stateDict(), sd, `${at}: stateDict`);
        }
      });
    }

    it(`${c.name}: save after 2 steps, load into a new LBFGS, continue = uninterrupted`, () => {
      const run = lbfgsRun(c, 'float64');
      run.step();
      run.step();
      const saved = run.opt.stateDict();
      const resumed = lbfgsRun(c, 'float64', [values(run.w), values(run.b)], {
        ...c.options,
        lr: 0.25,
      });
      resumed.opt.loadStateDict(saved);
      for (let k = 2; k < G.lbfgs_steps; k++) {
        run.step();
        resumed.step();
      }
      expect(values(resumed.w)).toEqual(values(run.w));
      expect(values(resumed.b)).toEqual(values(run.b));
    });

    it(`${c.name}: PyTorch's state dict after 2 steps continues PyTorch's run`, () => {
      const s = lbfgsRun(c, 'float64', c.params64[1]!);
      s.opt.loadStateDict(stateDictFromTorch(c.state_dicts64['2']!, 'float64'));
      for (let k = 2; k < G.lbfgs_steps; k++) {
        s.step();
        expectClose(values(s.w), c.params64[k]![0], `${c.name}: w after step ${k + 1}`, PARAMS64);
        expectClose(values(s.b), c.params64[k]![1], `${c.name}: b after step ${k + 1}`, PARAMS64);
      }
    });
  }

  it('needs a closure, and one group', () => {
    const p = tensor([1, 2]).requiresGrad_();
    const q = tensor([3]).requiresGrad_();
    const opt = new optim.LBFGS([p]);
    expect(() => opt.step()).toThrow(ArgumentError);
    expect(() => new optim.LBFGS([{ params: [p] }, { params: [q], lr: 0.1 }])).toThrow(
      "LBFGS doesn't support per-parameter options (parameter groups)",
    );
  });

  it('takes PyTorch defaults (maxEval = maxIter·5/4) and returns the first loss', () => {
    const p = tensor([1, -2]).requiresGrad_();
    const opt = new optim.LBFGS([p], { maxIter: 7 });
    expect(opt.defaults).toEqual({
      lr: 1,
      maxIter: 7,
      maxEval: 8,
      toleranceGrad: 1e-7,
      toleranceChange: 1e-9,
      historySize: 100,
      lineSearchFn: null,
    });
    const loss = opt.step(() => {
      opt.zeroGrad();
      const l = p.pow(2).sum();
      l.backward();
      return l;
    });
    expect(loss).toBe(5);
    expect(values(p).every((v) => Math.abs(v) < 1e-6)).toBe(true);
  });
});

// ---- LBFGS on Rosenbrock (float64): the line search's interpolation, zoom and extrapolation ----

describe('LBFGS matches PyTorch on the Rosenbrock function (float64)', () => {
  const R = G.rosenbrock;
  // NOTE: the two libraries' float64 gradients and dot products differ in the last ulp (the order
  // of their sums), and the ill-conditioned valley grows that to ~1e-9 in four steps; a slip in the algorithm would show as an O(1) difference, and the closure counts
  // (each branch of the line search) agree exactly. (u, v) is compared as one vector, on its scale,
  // and the loss on the scale of the first one (it falls to ~1e-11).
  const ROSEN64: Tolerance = { rtol: 1e-8, atol: 1e-8 };
  const expectLoss = (l: number, c: RosenbrockCase, k: number, what: string): void => {
    const e = c.losses64[k]!;
    const within = 1e-8 * (Math.abs(e) + c.losses64[0]!);
    expect(Math.abs(l - e), `${what}: loss ${l}, PyTorch has ${e}`).toBeLessThanOrEqual(within);
  };
  /** (u, v) at the start or at `at`, an LBFGS over them, and a closure counting its calls. */
  function rosenbrockRun(c: RosenbrockCase, at?: [number[], number[]]) {
    const u = tensor(at?.[0] ?? R.u, { dtype: 'float64' }).requiresGrad_();
    const v = tensor(at?.[1] ?? R.v, { dtype: 'float64' }).requiresGrad_();
    const opt = new optim.LBFGS([u, v], c.options as Partial<optim.LBFGSOptions>);
    let calls = 0;
    const closure = (): Tensor => {
      calls++;
      opt.zeroGrad();
      // x = cat(u, v);  Σ 100·(x[1:] − x[:-1]²)² + (1 − x[:-1])²
      const x = cat([u, v]);
      const n = x.shape[0]! - 1;
      const a = x.narrow(0, 0, n);
      const b = x.narrow(0, 1, n);
      const l = b.sub(a.pow(2)).pow(2).mul(100).add(a.neg().add(1).pow(2)).sum();
      l.backward();
      return l;
    };
    return { u, v, opt, step: () => opt.step(closure)!, calls: () => calls };
  }

  for (const c of R.cases) {
    it(c.name, () => {
      const r = rosenbrockRun(c);
      for (let k = 0; k < R.steps; k++) {
        const at = `${c.name}: after step ${k + 1}`;
        expectLoss(r.step(), c, k, at);
        expectClose(
          [...values(r.u), ...values(r.v)],
          c.params64[k]!.flat(),
          `${at}: u, v`,
          ROSEN64,
        );
        expect(r.calls(), `${at}: closure calls`).toBe(c.closure_calls64[k]);
        const sd = c.state_dicts64[String(k + 1)];
        if (sd) expectStateDict(r.opt.stateDict(), sd, `${at}: stateDict`);
      }
    });

    it(`${c.name}: PyTorch's state dict after 2 steps continues PyTorch's run`, () => {
      const r = rosenbrockRun(c, c.params64[1]!);
      r.opt.loadStateDict(stateDictFromTorch(c.state_dicts64['2']!, 'float64'));
      for (let k = 2; k < R.steps; k++) {
        const at = `${c.name}: after step ${k + 1}`;
        expectLoss(r.step(), c, k, at);
        expectClose(
          [...values(r.u), ...values(r.v)],
          c.params64[k]!.flat(),
          `${at}: u, v`,
          ROSEN64,
        );
        expect(r.calls(), `${at}: closure calls`).toBe(
          c.closure_calls64[k]! - c.closure_calls64[1]!,
        );
      }
    });
  }
});

// Golden tests for optim.lrScheduler: every case of test/fixtures/lr_scheduler_golden.json (made by PyTorch) replayed with nabla, plus state-dict round trips.
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ArgumentError, tensor, type Tensor } from '../../src/index.js';
import { SGD } from '../../src/optim/sgd.js';
import { Optimizer } from '../../src/optim/optimizer.js';
import {
  ChainedScheduler,
  ConstantLR,
  CosineAnnealingLR,
  CosineAnnealingWarmRestarts,
  CyclicLR,
  ExponentialLR,
  LRScheduler,
  LambdaLR,
  LinearLR,
  MultiStepLR,
  MultiplicativeLR,
  OneCycleLR,
  PolynomialLR,
  ReduceLROnPlateau,
  SequentialLR,
  StepLR,
  type LrLambda,
  type SchedulerStateDict,
} from '../../src/optim/lr_scheduler/index.js';

// ---- the fixture format (see test/fixtures/generate_lr_scheduler.py) ----

interface SchedulerSpec {
  readonly type: string;
  readonly options: Record<string, unknown>;
}
interface Loop {
  readonly kind: 'plain' | 'metric' | 'epoch';
  readonly steps: number;
  readonly metrics?: number[];
  readonly epochs?: number[];
}
interface Case {
  readonly name: string;
  readonly optimizer: {
    readonly lr: number;
    readonly momentum: number;
    readonly groups: { data: number[]; lr?: number; initialLr?: number }[];
  };
  readonly scheduler: SchedulerSpec;
  readonly loop: Loop;
  readonly expected: {
    readonly lrs: number[][];
    readonly momenta: number[][] | null;
    readonly state_dict: Record<string, unknown>;
    readonly param_groups: Record<string, number>[];
    readonly params: number[][];
  };
}
interface Golden {
  readonly lambdas: string[];
  readonly scale_fns: string[];
  readonly verbose: string[];
  readonly cases: Case[];
}

const golden = JSON.parse(
  readFileSync(new URL('../fixtures/lr_scheduler_golden.json', import.meta.url), 'utf8'),
) as Golden;

// The named functions of the generator, written again in TypeScript.
const LAMBDAS: Record<string, LrLambda> = {
  exp95: (e) => 0.95 ** e,
  warmup10: (e) => Math.min(1.0, (e + 1) / 10),
  halve30: (e) => 0.5 ** Math.floor(e / 30),
  mul95: () => 0.95,
  halveEvery10: (e) => (e % 10 === 0 ? 0.5 : 1.0),
};
const SCALE_FNS: Record<string, (x: number) => number> = {
  invSqrt: (x) => 1 / Math.sqrt(x),
  decay995: (x) => 0.995 ** x,
};

type Scheduler = LRScheduler | ReduceLROnPlateau;
type Ctor = new (opt: SGD, opts: never) => Scheduler;
const CLASSES: Record<string, Ctor> = {
  LambdaLR,
  MultiplicativeLR,
  StepLR,
  MultiStepLR,
  ConstantLR,
  LinearLR,
  ExponentialLR,
  PolynomialLR,
  CosineAnnealingLR,
  CosineAnnealingWarmRestarts,
  CyclicLR,
  OneCycleLR,
  SequentialLR,
  ReduceLROnPlateau,
};

function build(opt: SGD, spec: SchedulerSpec): Scheduler {
  const o: Record<string, unknown> = { ...spec.options };
  if (typeof o.lrLambda === 'string') o.lrLambda = LAMBDAS[o.lrLambda];
  else if (Array.isArray(o.lrLambda)) o.lrLambda = (o.lrLambda as string[]).map((n) => LAMBDAS[n]);
  if (typeof o.scaleFn === 'string') o.scaleFn = SCALE_FNS[o.scaleFn];
  if (Array.isArray(o.schedulers))
    o.schedulers = (o.schedulers as SchedulerSpec[]).map((s) => build(opt, s));
  if (spec.type === 'ChainedScheduler') return new ChainedScheduler(o.schedulers as LRScheduler[]);
  const C = CLASSES[spec.type];
  if (C === undefined) throw new Error(`no scheduler ${spec.type}`);
  return new C(opt, o as never);
}

function makeOptimizer(c: Case): { opt: SGD; params: Tensor[] } {
  const params = c.optimizer.groups.map((g) => tensor(g.data, { requiresGrad: true }));
  const groups = params.map((p, i) => {
    const { data: _, ...options } = c.optimizer.groups[i]!;
    return { params: [p], ...options };
  });
  return { opt: new SGD(groups, { lr: c.optimizer.lr, momentum: c.optimizer.momentum }), params };
}

const groupValues = (opt: Optimizer<object>, key: string): number[] =>
  opt.paramGroups.map((g) => (g as Record<string, unknown>)[key] as number);

/** Steps `from` to `to` as a user writes it (loss, backward, optimizer.step, scheduler.step). */
function runSteps(
  c: Case,
  opt: SGD,
  params: Tensor[],
  sched: Scheduler,
  from: number,
  to: number,
): { lrs: number[][]; momenta: number[][] } {
  const lrs: number[][] = [];
  const momenta: number[][] = [];
  for (let i = from; i < to; i++) {
    const loss = params.map((p) => p.mul(p).sum()).reduce((a, b) => a.add(b));
    loss.backward();
    opt.step();
    opt.zeroGrad();
    if (c.loop.kind === 'metric') (sched as ReduceLROnPlateau).step(c.loop.metrics![i]!);
    else if (c.loop.kind === 'epoch') (sched as LRScheduler).step(c.loop.epochs![i]!);
    else (sched as LRScheduler).step();
    lrs.push(groupValues(opt, 'lr'));
    momenta.push(groupValues(opt, 'momentum'));
    expect(sched.getLastLr()).toEqual(lrs[lrs.length - 1]);
  }
  return { lrs, momenta };
}

const TOL = 1e-7;
function expectClose(actual: unknown, expected: unknown, where: string, tol = TOL): void {
  if (typeof expected === 'number') {
    expect(typeof actual, where).toBe('number');
    const a = actual as number;
    if (Math.abs(a - expected) > tol + tol * Math.abs(expected)) {
      expect.fail(`${where}: ${a} is not within ${tol} of ${expected}`);
    }
  } else if (expected === 'inf' || expected === '-inf') {
    expect(actual, where).toBe(expected === 'inf' ? Infinity : -Infinity);
  } else if (Array.isArray(expected)) {
    expect(Array.isArray(actual), where).toBe(true);
    expect((actual as unknown[]).length, where).toBe(expected.length);
    expected.forEach((e, i) => expectClose((actual as unknown[])[i], e, `${where}[${i}]`, tol));
  } else if (expected !== null && typeof expected === 'object') {
    const a = actual as Record<string, unknown>;
    for (const [k, e] of Object.entries(expected)) expectClose(a[k], e, `${where}.${k}`, tol);
  } else {
    expect(actual, where).toEqual(expected);
  }
}

// State-dict keys that cannot match: PyTorch 1.13 pickles OneCycleLR's bound anneal method (which
// the generator drops); nabla stores its name under PyTorch 2's key instead.
const NABLA_ONLY_KEYS = new Set(['_anneal_func_type']);

function expectSameKeys(actual: unknown, expected: unknown, where: string): void {
  if (Array.isArray(expected)) {
    expected.forEach((e, i) => expectSameKeys((actual as unknown[])[i], e, `${where}[${i}]`));
  } else if (expected !== null && typeof expected === 'object') {
    const keys = Object.keys(actual as object).filter((k) => !NABLA_ONLY_KEYS.has(k));
    expect(keys.sort(), where).toEqual(Object.keys(expected).sort());
    for (const [k, e] of Object.entries(expected)) {
      if (k !== 'milestones')
        expectSameKeys((actual as Record<string, unknown>)[k], e, `${where}.${k}`);
    }
  }
}

describe('lr schedulers match PyTorch', () => {
  it('the fixture names the same functions as this test', () => {
    expect(Object.keys(LAMBDAS).sort()).toEqual(golden.lambdas);
    expect(Object.keys(SCALE_FNS).sort()).toEqual(golden.scale_fns);
  });

  for (const c of golden.cases) {
    it(c.name, () => {
      const { opt, params } = makeOptimizer(c);
      const sched = build(opt, c.scheduler);
      const first = { lrs: [groupValues(opt, 'lr')], momenta: [groupValues(opt, 'momentum')] };
      const rest = runSteps(c, opt, params, sched, 0, c.loop.steps);
      const lrs = [...first.lrs, ...rest.lrs];
      expectClose(lrs, c.expected.lrs, 'lrs');
      if (c.expected.momenta !== null) {
        expectClose([...first.momenta, ...rest.momenta], c.expected.momenta, 'momenta');
      }
      // the scheduler's state, under PyTorch's keys
      const sd = sched.stateDict();
      expectSameKeys(sd, c.expected.state_dict, 'state_dict');
      expectClose(sd, c.expected.state_dict, 'state_dict');
      // the optimizer's groups (initial_lr, max_lr, ... under PyTorch's names)
      const groups = opt.stateDict().param_groups;
      expectClose(groups, c.expected.param_groups, 'param_groups');
      // and the parameters SGD moved with those lrs (float32)
      expectClose(
        params.map((p) => p.tolist()),
        c.expected.params,
        'params',
        1e-5,
      );
    });
  }
});

describe('state dict round trip', () => {
  for (const c of golden.cases) {
    it(`${c.name}: a scheduler restored at step 37 continues identically`, () => {
      const k = 37;
      const a = makeOptimizer(c);
      const schedA = build(a.opt, c.scheduler);
      runSteps(c, a.opt, a.params, schedA, 0, k);
      // a checkpoint: the scheduler's state through JSON, the optimizer's as is
      const saved = JSON.parse(JSON.stringify(schedA.stateDict())) as SchedulerStateDict;
      const savedOpt = a.opt.stateDict();
      const tail = runSteps(c, a.opt, a.params, schedA, k, c.loop.steps);

      // fresh optimizer and scheduler, then both states restored (PyTorch's resume order)
      const b = makeOptimizer(c);
      const schedB = build(b.opt, c.scheduler);
      b.opt.loadStateDict(savedOpt);
      schedB.loadStateDict(saved);
      expect(schedB.getLastLr()).toEqual(saved._last_lr);
      const resumed = runSteps(c, b.opt, b.params, schedB, k, c.loop.steps);
      expect(resumed.lrs).toEqual(tail.lrs);
      expect(resumed.momenta).toEqual(tail.momenta);
      expectClose(resumed.lrs, c.expected.lrs.slice(k + 1), 'resumed lrs');
    });
  }

  it('stateDict is a copy: stepping on does not change a saved state', () => {
    const { opt } = makeOptimizer(golden.cases[0]!);
    const s = new StepLR(opt, { stepSize: 2 });
    const sd = s.stateDict();
    const before = JSON.stringify(sd);
    for (let i = 0; i < 5; i++) s.step();
    expect(JSON.stringify(sd)).toBe(before);
  });
});

describe('lr scheduler API', () => {
  const sgd = (lr = 0.1, n = 1) =>
    new SGD(
      Array.from({ length: n }, (_, i) => ({
        params: [tensor([1, 2], { requiresGrad: true })],
        lr: lr / (i + 1),
      })),
      { lr, momentum: 0.9 },
    );

  afterEach(() => vi.restoreAllMocks());

  it('sets initialLr on the groups, saved as initial_lr', () => {
    const opt = sgd(0.5, 2);
    const s = new ExponentialLR(opt, { gamma: 0.5 });
    expect(s).toBeInstanceOf(LRScheduler);
    expect(s.baseLrs).toEqual([0.5, 0.25]);
    expect(opt.stateDict().param_groups.map((g) => g.initial_lr)).toEqual([0.5, 0.25]);
    expect(s.lastEpoch).toBe(0);
    s.step();
    expect(s.getLastLr()).toEqual([0.25, 0.125]);
    // a second scheduler keeps the first initial lr
    const t = new StepLR(opt, { stepSize: 3 });
    expect(t.baseLrs).toEqual([0.5, 0.25]);
  });

  it('resuming with lastEpoch needs initial_lr in every group', () => {
    expect(() => new StepLR(sgd(), { stepSize: 3, lastEpoch: 4 })).toThrow(
      "param 'initial_lr' is not specified in param_groups[0] when resuming an optimizer",
    );
  });

  it("rejects bad arguments with PyTorch's messages, leaving the groups as they were", () => {
    const opt = sgd(0.1, 2);
    const cases: [() => unknown, string][] = [
      [
        () => new ConstantLR(opt, { factor: 2 }),
        'Constant multiplicative factor expected to be between 0 and 1.',
      ],
      [
        () => new LinearLR(opt, { startFactor: -1 }),
        'Starting multiplicative factor expected to be between 0 and 1.',
      ],
      [
        () => new LinearLR(opt, { endFactor: 1.5 }),
        'Ending multiplicative factor expected to be between 0 and 1.',
      ],
      [() => new LambdaLR(opt, { lrLambda: [LAMBDAS.exp95!] }), 'Expected 2 lr_lambdas, but got 1'],
      [
        () => new CosineAnnealingWarmRestarts(opt, { t0: 2.5 }),
        'Expected positive integer T_0, but got 2.5',
      ],
      [
        () => new CosineAnnealingWarmRestarts(opt, { t0: 2, tMult: 0 }),
        'Expected integer T_mult >= 1, but got 0',
      ],
      [
        () => new CyclicLR(opt, { baseLr: 0.01, maxLr: 0.1, mode: 'sawtooth' as never }),
        'mode is invalid and scale_fn is None',
      ],
      [
        () => new CyclicLR(opt, { baseLr: [0.01], maxLr: 0.1 }),
        'expected 2 values for base_lr, got 1',
      ],
      [
        () => new OneCycleLR(opt, { maxLr: 0.1 }),
        'You must define either total_steps OR (epochs AND steps_per_epoch)',
      ],
      [
        () => new OneCycleLR(opt, { maxLr: 0.1, totalSteps: 0 }),
        'Expected positive integer total_steps, but got 0',
      ],
      [
        () => new OneCycleLR(opt, { maxLr: 0.1, epochs: 2 }),
        'Expected positive integer steps_per_epoch, but got undefined',
      ],
      [
        () => new OneCycleLR(opt, { maxLr: 0.1, totalSteps: 10, pctStart: 1.5 }),
        'Expected float between 0 and 1 pct_start, but got 1.5',
      ],
      [
        () => new OneCycleLR(opt, { maxLr: 0.1, totalSteps: 10, annealStrategy: 'exp' as never }),
        "anneal_strategy must by one of 'cos' or 'linear', instead got exp",
      ],
      [() => new ReduceLROnPlateau(opt, { factor: 1 }), 'Factor should be < 1.0.'],
      [() => new ReduceLROnPlateau(opt, { mode: 'mean' as never }), 'mode mean is unknown!'],
      [
        () => new ReduceLROnPlateau(opt, { thresholdMode: 'pct' as never }),
        'threshold mode pct is unknown!',
      ],
      [() => new ReduceLROnPlateau(opt, { minLr: [0] }), 'expected 2 min_lrs, got 1'],
      [() => new StepLR({} as never, { stepSize: 1 }), 'Object is not an Optimizer'],
    ];
    const before = JSON.stringify(opt.stateDict().param_groups);
    for (const [f, msg] of cases) {
      expect(f).toThrow(ArgumentError);
      expect(f).toThrow(msg);
    }
    expect(JSON.stringify(opt.stateDict().param_groups)).toBe(before);
  });

  it('CosineAnnealingLR with tMax 0 is an error, not a NaN lr', () => {
    // issue 13, defect 7 (PyTorch raises ZeroDivisionError at its first step)
    const opt = sgd(0.1, 2);
    const before = JSON.stringify(opt.stateDict().param_groups);
    for (const tMax of [0, -0, NaN]) {
      const make = () => new CosineAnnealingLR(opt, { tMax });
      expect(make).toThrow(ArgumentError);
      expect(make).toThrow('T_max (tMax) must be a non-zero number of steps');
    }
    expect(JSON.stringify(opt.stateDict().param_groups)).toBe(before);
    // a state dict that sets it to 0 fails at the next step, before any lr changes
    const s = new CosineAnnealingLR(opt, { tMax: 4 });
    s.step();
    const lrs = s.getLastLr();
    s.loadStateDict({ ...s.stateDict(), T_max: 0 });
    expect(() => s.step()).toThrow(ArgumentError);
    expect(opt.paramGroups.map((g) => g.lr)).toEqual(lrs);
    // a negative tMax is allowed, as in PyTorch
    const n = new CosineAnnealingLR(sgd(0.1), { tMax: -2 });
    n.step();
    expect(n.getLastLr()[0]).toBeCloseTo(0.05, 12);
  });

  it('needs momentum (or betas) to cycle momentum', () => {
    const opt = sgd();
    const noMomentum = Object.create(opt) as SGD;
    Object.defineProperty(noMomentum, 'defaults', { value: { lr: 0.1 } });
    expect(() => new CyclicLR(noMomentum, { baseLr: 0.01, maxLr: 0.1 })).toThrow(
      'optimizer must support momentum with `cycle_momentum` option enabled',
    );
  });

  it('cycles betas[0] of Adam-like groups as SGD momentum is cycled', () => {
    class AdamLike extends Optimizer<{ lr: number; betas: number[] }> {
      protected updateGroup(): void {}
    }
    for (const name of ['OneCycleLR cos', 'CyclicLR exp_range']) {
      const c = golden.cases.find((x) => x.name === name)!;
      const opt = new AdamLike([tensor([1], { requiresGrad: true })], {
        lr: c.optimizer.lr,
        betas: [0.9, 0.999],
      });
      const sched = build(opt as unknown as SGD, c.scheduler) as LRScheduler;
      const beta1: number[] = [];
      for (let i = 0; i <= c.loop.steps; i++) {
        if (i > 0) sched.step();
        const betas = opt.paramGroups[0]!.betas;
        expect(betas[1]).toBe(0.999);
        beta1.push(betas[0]!);
      }
      expectClose(
        beta1,
        c.expected.momenta!.map((m) => m[0]),
        name,
      );
    }
  });

  it('OneCycleLR refuses to step past totalSteps', () => {
    const s = new OneCycleLR(sgd(), { maxLr: 0.1, totalSteps: 3 });
    for (let i = 0; i < 3; i++) s.step();
    expect(() => s.step()).toThrow(
      'Tried to step 5 times. The specified number of total steps is 3',
    );
  });

  it('SequentialLR checks its schedulers and milestones', () => {
    const a = sgd();
    const b = sgd();
    const s1 = new LinearLR(a);
    const s2 = new ExponentialLR(b, { gamma: 0.9 });
    expect(() => new SequentialLR(a, { schedulers: [s1, s2], milestones: [3] })).toThrow(
      'Sequential Schedulers expects all schedulers to belong to the same optimizer, but got schedulers at index 1 to be different than the optimizer passed in.',
    );
    expect(() => new SequentialLR(a, { schedulers: [s1], milestones: [3] })).toThrow(
      'Sequential Schedulers expects number of schedulers provided to be one more than the number of milestone points, but got number of schedulers 1 and the number of milestones to be equal to 1',
    );
    expect(() => new ChainedScheduler([s1, s2])).toThrow(
      'ChainedScheduler expects all schedulers to belong to the same optimizer, but got schedulers at index 0 and 1 to be different',
    );
  });

  it('ReduceLROnPlateau takes a one-element tensor as the metric', () => {
    const opt = sgd();
    const s = new ReduceLROnPlateau(opt, { patience: 0 });
    s.step(tensor(1.0));
    s.step(tensor(2.0));
    expect(s.getLastLr()[0]).toBeCloseTo(0.01, 12);
  });

  it("prints PyTorch's verbose lines", () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const s = new StepLR(sgd(), { stepSize: 1, gamma: 0.5, verbose: true });
    s.step();
    s.step(3);
    new CosineAnnealingWarmRestarts(sgd(), { t0: 3, verbose: true }).step(1.5);
    const p = new ReduceLROnPlateau(sgd(), { patience: 0, verbose: true });
    p.step(1.0);
    p.step(2.0);
    expect(log.mock.calls.map((c) => c[0] as string)).toEqual(golden.verbose);
  });
});

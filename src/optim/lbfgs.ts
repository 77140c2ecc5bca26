// L-BFGS with PyTorch's closure API (step(closure)), optionally with the strong-Wolfe line search: PyTorch 1.13's algorithm.
import { enableGrad, noGrad } from '../autograd/grad_mode.js';
import { ArgumentError, NablaError } from '../errors.js';
import { zerosLike } from '../functions/creation.js';
import { cat } from '../functions/shape_ops.js';
import { internalScope, userScope } from '../memory.js';
import { Tensor } from '../tensor.js';
import {
  Optimizer,
  type Closure,
  type OptimizerStateDict,
  type ParamGroup,
  type ParamGroupInput,
  optimizerOptions,
} from './optimizer.js';
import { defineOptions } from '../options.js';

export interface LBFGSOptions {
  lr: number;
  maxIter: number;
  /** Closure evaluations per step at most; default maxIter·5/4 (rounded down). */
  maxEval: number;
  toleranceGrad: number;
  toleranceChange: number;
  historySize: number;
  lineSearchFn: 'strong_wolfe' | null;
}

/** Python's min/max on two values: the first unless the second is strictly smaller/larger (NaN stays first). */
const pyMin = (a: number, b: number): number => (b < a ? b : a);
const pyMax = (a: number, b: number): number => (b > a ? b : a);

/** The minimiser of the cubic through (x1, f1, g1) and (x2, f2, g2), clamped to the bounds. */
function cubicInterpolate(
  x1: number,
  f1: number,
  g1: number,
  x2: number,
  f2: number,
  g2: number,
  bounds?: readonly [number, number],
): number {
  const [xminBound, xmaxBound] = bounds ?? (x1 <= x2 ? [x1, x2] : [x2, x1]);
  // d₁ = g₁ + g₂ − 3(f₁ − f₂)/(x₁ − x₂);  d₂ = √(d₁² − g₁g₂)
  const d1 = g1 + g2 - (3 * (f1 - f2)) / (x1 - x2);
  const d2Square = d1 ** 2 - g1 * g2;
  if (d2Square >= 0) {
    const d2 = Math.sqrt(d2Square);
    const minPos =
      x1 <= x2
        ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
        : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2));
    return pyMin(pyMax(minPos, xminBound), xmaxBound);
  }
  return (xminBound + xmaxBound) / 2;
}

type ObjFunc = (x: Tensor[], t: number, d: Tensor) => [number, Tensor];

/** A line search for a step t meeting the strong Wolfe conditions (PyTorch's _strong_wolfe). */
function strongWolfe(
  objFunc: ObjFunc,
  x: Tensor[],
  t0: number,
  d: Tensor,
  f: number,
  g: Tensor,
  gtd: number,
  c1 = 1e-4,
  c2 = 0.9,
  toleranceChange = 1e-9,
  maxLs = 25,
): { f: number; g: Tensor; t: number; evals: number } {
  let t = t0;
  const dNorm = d.abs().max().item() as number;
  let [fNew, gNew] = objFunc(x, t, d);
  let evals = 1;
  let gtdNew = gNew.dot(d).item() as number;
  let tPrev = 0;
  let fPrev = f;
  let gPrev = g;
  let gtdPrev = gtd;
  let done = false;
  let lsIter = 0;
  let bracket: number[] = [];
  let bracketF: number[] = [];
  let bracketG: Tensor[] = [];
  let bracketGtd: number[] = [];
  // bracket an interval containing a point satisfying the Wolfe criteria
  while (lsIter < maxLs) {
    if (fNew > f + c1 * t * gtd || (lsIter > 1 && fNew >= fPrev)) {
      [bracket, bracketF, bracketG, bracketGtd] = [
        [tPrev, t],
        [fPrev, fNew],
        [gPrev, gNew],
        [gtdPrev, gtdNew],
      ];
      break;
    }
    if (Math.abs(gtdNew) <= -c2 * gtd) {
      [bracket, bracketF, bracketG] = [[t], [fNew], [gNew]];
      done = true;
      break;
    }
    if (gtdNew >= 0) {
      [bracket, bracketF, bracketG, bracketGtd] = [
        [tPrev, t],
        [fPrev, fNew],
        [gPrev, gNew],
        [gtdPrev, gtdNew],
      ];
      break;
    }
    // interpolate
    const minStep = t + 0.01 * (t - tPrev);
    const maxStep = t * 10;
    const tmp = t;
    t = cubicInterpolate(tPrev, fPrev, gtdPrev, t, fNew, gtdNew, [minStep, maxStep]);
    // next step
    tPrev = tmp;
    fPrev = fNew;
    gPrev = gNew;
    gtdPrev = gtdNew;
    [fNew, gNew] = objFunc(x, t, d);
    evals++;
    gtdNew = gNew.dot(d).item() as number;
    lsIter++;
  }
  // reached max number of iterations?
  if (lsIter === maxLs)
    [bracket, bracketF, bracketG] = [
      [0, t],
      [f, fNew],
      [g, gNew],
    ];

  // zoom phase: refine the bracket until a point satisfies the criteria
  let insufProgress = false;
  let [lowPos, highPos] = bracketF[0]! <= bracketF[bracketF.length - 1]! ? [0, 1] : [1, 0];
  while (!done && lsIter < maxLs) {
    const [b0, b1] = [bracket[0]!, bracket[1]!];
    // line-search bracket is so small
    if (Math.abs(b1 - b0) * dNorm < toleranceChange) break;
    // compute new trial value
    t = cubicInterpolate(b0, bracketF[0]!, bracketGtd[0]!, b1, bracketF[1]!, bracketGtd[1]!);
    // near a boundary: after insufficient progress, or outside, move to 0.1·|bracket| inside it
    const hi = pyMax(b0, b1);
    const lo = pyMin(b0, b1);
    const eps = 0.1 * (hi - lo);
    if (pyMin(hi - t, t - lo) < eps) {
      if (insufProgress || t >= hi || t <= lo) {
        t = Math.abs(t - hi) < Math.abs(t - lo) ? hi - eps : lo + eps;
        insufProgress = false;
      } else {
        insufProgress = true;
      }
    } else {
      insufProgress = false;
    }
    // evaluate new point
    [fNew, gNew] = objFunc(x, t, d);
    evals++;
    gtdNew = gNew.dot(d).item() as number;
    lsIter++;
    if (fNew > f + c1 * t * gtd || fNew >= bracketF[lowPos]!) {
      // Armijo condition not satisfied or not lower than lowest point
      bracket[highPos] = t;
      bracketF[highPos] = fNew;
      bracketG[highPos] = gNew;
      bracketGtd[highPos] = gtdNew;
      [lowPos, highPos] = bracketF[0]! <= bracketF[1]! ? [0, 1] : [1, 0];
    } else {
      if (Math.abs(gtdNew) <= -c2 * gtd) {
        // Wolfe conditions satisfied
        done = true;
      } else if (gtdNew * (bracket[highPos]! - bracket[lowPos]!) >= 0) {
        // old high becomes new low
        bracket[highPos] = bracket[lowPos]!;
        bracketF[highPos] = bracketF[lowPos]!;
        bracketG[highPos] = bracketG[lowPos]!;
        bracketGtd[highPos] = bracketGtd[lowPos]!;
      }
      // new point becomes new low
      bracket[lowPos] = t;
      bracketF[lowPos] = fNew;
      bracketG[lowPos] = gNew;
      bracketGtd[lowPos] = gtdNew;
    }
  }
  return { f: bracketF[lowPos]!, g: bracketG[lowPos]!, t: bracket[lowPos]!, evals };
}

/**
 * L-BFGS over all its parameters as one flat vector. One group only (as PyTorch); its state lives
 * on the first parameter, under PyTorch's names (`d`, `old_dirs`, `H_diag`, `prev_flat_grad`, ...).
 * NOTE: the scalars (t, ys, ρ, α, H_diag) are JS numbers; PyTorch keeps several as 0-d tensors of
 * the parameters' dtype, so in float32 the trajectories agree to rounding, not bit for bit.
 */
const LBFGS_OPTIONS = defineOptions<LBFGSOptions>('optim.LBFGS', {
  lr: 'number',
  maxIter: 'integer',
  maxEval: 'integer',
  toleranceGrad: 'number',
  toleranceChange: 'number',
  historySize: 'integer',
  lineSearchFn: ['string', 'null'],
});

export class LBFGS extends Optimizer<LBFGSOptions> {
  constructor(
    params: Iterable<Tensor> | Iterable<ParamGroupInput<LBFGSOptions>>,
    lrOrOpts?: number | Partial<LBFGSOptions>,
    ...extra: readonly never[]
  ) {
    const opts = optimizerOptions(LBFGS_OPTIONS, lrOrOpts, extra);
    const maxIter = opts.maxIter ?? 20;
    const defaults: LBFGSOptions = {
      lr: opts.lr ?? 1,
      maxIter,
      maxEval: opts.maxEval ?? Math.floor((maxIter * 5) / 4),
      toleranceGrad: opts.toleranceGrad ?? 1e-7,
      toleranceChange: opts.toleranceChange ?? 1e-9,
      historySize: opts.historySize ?? 100,
      lineSearchFn: opts.lineSearchFn ?? null,
    };
    super(params, defaults, LBFGS_OPTIONS);
    if (this.paramGroups.length !== 1) {
      throw new ArgumentError("LBFGS doesn't support per-parameter options (parameter groups)");
    }
  }

  protected updateGroup(_g: ParamGroup<LBFGSOptions>): void {
    throw new NablaError('LBFGS updates in step(closure)');
  }

  get #params(): Tensor[] {
    return this.paramGroups[0]!.params;
  }

  #gatherFlatGrad(): Tensor {
    return cat(this.#params.map((p) => (p._grad === null ? zerosLike(p) : p._grad).reshape(-1)));
  }

  /** p := p + step·update (the flat update split over the parameters). */
  #addGrad(stepSize: number, update: Tensor): void {
    let offset = 0;
    for (const p of this.#params) {
      const n = p.numel();
      p.add_(update.narrow(0, offset, n).reshape(p.shape), { alpha: stepSize });
      offset += n;
    }
  }

  /**
   * Evaluates the closure (with gradients on) up to maxIter times, moving along the L-BFGS
   * direction; returns the loss of the first evaluation. PyTorch requires the closure.
   */
  override step(closure?: Closure): number | undefined {
    if (closure === undefined) {
      throw new ArgumentError(
        'LBFGS.step() needs a closure that reevaluates the model and returns the loss',
      );
    }
    const evaluate = (): number => {
      const l = userScope(() => enableGrad(closure));
      return l instanceof Tensor ? Number(l.item()) : l;
    };
    return internalScope(() => noGrad(() => this.#step(evaluate)));
  }

  #step(closure: () => number): number {
    const group = this.paramGroups[0]!;
    const { lr, maxIter, maxEval, toleranceGrad, toleranceChange, lineSearchFn, historySize } =
      group;
    const params = this.#params;
    // PyTorch's 0-d tensors (1/|g|₁, ρ, H_diag, α, β) round to the parameters' dtype.
    const fp = params[0]!.dtype === 'float32' ? Math.fround : (v: number): number => v;
    // NOTE: the state is global; PyTorch registers it on the first parameter.
    const state = this.stateOf(params[0]!);
    state.funcEvals ??= 0;
    state.nIter ??= 0;
    const count = (k: 'funcEvals' | 'nIter', by: number): void => {
      state[k] = Number(state[k]) + by;
    };

    // evaluate initial f(x) and df/dx
    const origLoss = closure();
    let loss = origLoss;
    let currentEvals = 1;
    count('funcEvals', 1);
    let flatGrad = this.#gatherFlatGrad();
    let optCond = (flatGrad.abs().max().item() as number) <= toleranceGrad;
    if (optCond) return origLoss;

    const num = (v: unknown): number => (v instanceof Tensor ? Number(v.item()) : (v as number));
    let d = state.d as Tensor | undefined;
    let t = state.t === undefined ? undefined : num(state.t);
    let oldDirs = state.oldDirs as Tensor[] | undefined;
    let oldStps = state.oldStps as Tensor[] | undefined;
    let ro = (state.ro as unknown[] | undefined)?.map(num);
    let hDiag = state.hDiag === undefined ? undefined : num(state.hDiag);
    let prevFlatGrad = state.prevFlatGrad as Tensor | undefined;
    let prevLoss = state.prevLoss as number | undefined;

    let nIter = 0;
    while (nIter < maxIter) {
      nIter++;
      count('nIter', 1);
      // ---- the descent direction ----
      if (state.nIter === 1) {
        d = flatGrad.neg();
        oldDirs = [];
        oldStps = [];
        ro = [];
        hDiag = 1;
      } else {
        // y = g − g_prev;  s = t·d
        const y = flatGrad.sub(prevFlatGrad!);
        const s = d!.mul(t!);
        const ys = y.dot(s).item() as number;
        if (ys > 1e-10) {
          // update the memory, dropping the oldest pair when full
          if (oldDirs!.length === historySize) {
            oldDirs!.shift();
            oldStps!.shift();
            ro!.shift();
          }
          oldDirs!.push(this.keepState(y));
          oldStps!.push(this.keepState(s));
          ro!.push(fp(1 / ys));
          // H₀ = yᵀs / yᵀy
          hDiag = fp(ys / (y.dot(y).item() as number));
        }
        // the two-loop recursion: d = −H·g
        const numOld = oldDirs!.length;
        state.al ??= new Array<number | null>(historySize).fill(null);
        const al = (state.al as unknown[]).map((v) => (v === null ? null : num(v)));
        const q = flatGrad.neg();
        for (let i = numOld - 1; i >= 0; i--) {
          // αᵢ = ρᵢ·sᵢᵀq;  q := q − αᵢ·yᵢ
          al[i] = fp((oldStps![i]!.dot(q).item() as number) * ro![i]!);
          q.add_(oldDirs![i]!, { alpha: -al[i]! });
        }
        const r = q.mul(hDiag!);
        for (let i = 0; i < numOld; i++) {
          // βᵢ = ρᵢ·yᵢᵀr;  r := r + (αᵢ − βᵢ)·sᵢ
          const beI = fp((oldDirs![i]!.dot(r).item() as number) * ro![i]!);
          r.add_(oldStps![i]!, { alpha: fp(al[i]! - beI) });
        }
        state.al = al;
        d = r;
      }
      if (prevFlatGrad === undefined) prevFlatGrad = this.keepState(flatGrad.clone());
      else prevFlatGrad.copy_(flatGrad);
      prevLoss = loss;

      // ---- the step length ----
      // the first step is at most 1/|g|₁ (times lr)
      if (state.nIter === 1) {
        const inv = fp(1 / (flatGrad.abs().sum().item() as number));
        t = inv < 1 ? fp(inv * lr) : lr;
      } else {
        t = lr;
      }
      // directional derivative gᵀd; stop when it is no longer a descent direction
      const gtd = flatGrad.dot(d).item() as number;
      if (gtd > -toleranceChange) break;

      let lsFuncEvals = 0;
      if (lineSearchFn !== null) {
        if (lineSearchFn !== 'strong_wolfe') {
          throw new NablaError("only 'strong_wolfe' is supported");
        }
        const xInit = params.map((p) => p.clone());
        const objFunc: ObjFunc = (x, step, dir) => {
          this.#addGrad(step, dir);
          const f = closure();
          const g = this.#gatherFlatGrad();
          params.forEach((p, i) => p.copy_(x[i]!));
          return [f, g];
        };
        const ls = strongWolfe(objFunc, xInit, t, d, loss, flatGrad, gtd);
        loss = ls.f;
        flatGrad = ls.g;
        t = ls.t;
        lsFuncEvals = ls.evals;
        this.#addGrad(t, d);
        optCond = (flatGrad.abs().max().item() as number) <= toleranceGrad;
      } else {
        // no line search: a fixed step, re-evaluating except after the last iteration
        this.#addGrad(t, d);
        if (nIter !== maxIter) {
          loss = closure();
          flatGrad = this.#gatherFlatGrad();
          optCond = (flatGrad.abs().max().item() as number) <= toleranceGrad;
          lsFuncEvals = 1;
        }
      }
      currentEvals += lsFuncEvals;
      count('funcEvals', lsFuncEvals);

      // ---- stopping conditions ----
      if (nIter === maxIter) break;
      if (currentEvals >= maxEval) break;
      if (optCond) break;
      // lack of progress
      if ((d.mul(t).abs().max().item() as number) <= toleranceChange) break;
      if (Math.abs(loss - prevLoss) < toleranceChange) break;
    }
    state.d = this.keepState(d!);
    state.t = t;
    state.oldDirs = oldDirs;
    state.oldStps = oldStps;
    state.ro = ro;
    state.hDiag = hDiag;
    state.prevFlatGrad = prevFlatGrad;
    state.prevLoss = prevLoss;
    return origLoss;
  }

  /** PyTorch's state names, H_diag included (not h_diag). */
  override stateDict(): OptimizerStateDict {
    const sd = super.stateDict();
    const state = Object.fromEntries(
      Object.entries(sd.state).map(([i, s]) => [
        i,
        Object.fromEntries(Object.entries(s).map(([k, v]) => [k === 'h_diag' ? 'H_diag' : k, v])),
      ]),
    );
    return { state, param_groups: sd.param_groups };
  }

  override loadStateDict(sd: OptimizerStateDict): void {
    const state = Object.fromEntries(
      Object.entries(sd.state).map(([i, s]) => [
        i,
        Object.fromEntries(Object.entries(s).map(([k, v]) => [k === 'H_diag' ? 'h_diag' : k, v])),
      ]),
    );
    super.loadStateDict({ state, param_groups: sd.param_groups });
  }
}

// gradcheck and gradgradcheck: analytical Jacobians from autograd against float64 central differences.
import { defineOptions, type Spec } from '../options.js';
import { ArgumentError, NablaError } from '../errors.js';
import { fromArray, randn } from '../functions/creation.js';
import { Generator } from '../random.js';
import type { Tensor } from '../tensor.js';
import { grad } from './engine.js';
import { noGrad } from './grad_mode.js';

export interface GradcheckOptions {
  /** Finite-difference step (default 1e-6). */
  readonly eps?: number;
  /** Absolute tolerance (default 1e-5). */
  readonly atol?: number;
  /** Relative tolerance (default 1e-3). */
  readonly rtol?: number;
  /** Throw with the mismatching Jacobians (default) or return false. */
  readonly raiseException?: boolean;
}

/** Raised by gradcheck when an analytical Jacobian disagrees with the numerical one. */
export class GradcheckError extends NablaError {
  override name = 'GradcheckError';
}

type Fn = (...inputs: Tensor[]) => Tensor | readonly Tensor[];

function outputsOf(fn: Fn, inputs: Tensor[]): Tensor[] {
  const out = fn(...inputs);
  const list = Array.isArray(out) ? [...(out as readonly Tensor[])] : [out as Tensor];
  return list.filter((t) => t.dtype === 'float64' || t.dtype === 'float32');
}

function fmtMatrix(rows: Float64Array[]): string {
  return rows.map((r) => `  [${Array.from(r, (v) => v.toPrecision(6)).join(', ')}]`).join('\n');
}

const GRADCHECK_SPEC: Spec<GradcheckOptions> = {
  eps: 'number',
  atol: 'number',
  rtol: 'number',
  raiseException: 'boolean',
};
const GRADCHECK = defineOptions<GradcheckOptions>('autograd.gradcheck', GRADCHECK_SPEC);
const GRADGRADCHECK = defineOptions<GradgradcheckOptions>('autograd.gradgradcheck', {
  ...GRADCHECK_SPEC,
  gradOutputs: 'array',
});

/**
 * Checks the gradients of `fn` at `inputs`: every input that requires grad must be float64.
 * Returns true, or throws GradcheckError (returns false with raiseException: false).
 */
export function gradcheck(fn: Fn, inputs: readonly Tensor[], opts?: GradcheckOptions): boolean {
  GRADCHECK.check(opts);
  const eps = opts?.eps ?? 1e-6;
  const atol = opts?.atol ?? 1e-5;
  const rtol = opts?.rtol ?? 1e-3;
  const diff = inputs.map((t, i) => {
    if (t.requiresGrad && t.dtype !== 'float64') {
      throw new ArgumentError(
        `gradcheck: input #${i} requires gradient and is not a double precision floating point tensor`,
      );
    }
    return t.requiresGrad;
  });
  if (!diff.some(Boolean))
    throw new ArgumentError('gradcheck expects at least one input tensor to require gradient');
  const outputs = outputsOf(fn, [...inputs]);
  const bases = inputs.map((t) => Float64Array.from(t.dataSync() as Float64Array));
  const leaves = inputs.filter((_, i) => diff[i]);

  for (let k = 0; k < outputs.length; k++) {
    const out = outputs[k]!;
    const m = out.numel();
    // Analytical Jacobian, one row per output element: d out[r] / d inputs.
    const analytical: Float64Array[][] = leaves.map((l) =>
      Array.from({ length: l.numel() }, () => new Float64Array(m)),
    );
    for (let r = 0; r < m && out.requiresGrad; r++) {
      const onehot = new Float64Array(m);
      onehot[r] = 1;
      const go = fromArray(onehot, out.shape, 'float64', { device: out.device }).to(out.dtype);
      const gs = grad([out], leaves, { gradOutputs: [go], retainGraph: true, allowUnused: true });
      gs.forEach((g, li) => {
        if (g === null) return;
        const data = g.to('float64').dataSync();
        for (let c = 0; c < data.length; c++) analytical[li]![c]![r] = data[c]!;
      });
    }
    // Numerical Jacobian by central differences.
    let li = 0;
    for (let i = 0; i < inputs.length; i++) {
      if (!diff[i]) continue;
      const x = inputs[i]!;
      const n = x.numel();
      const numerical: Float64Array[] = [];
      for (let c = 0; c < n; c++) {
        // NOTE: perturbed inputs keep requiresGrad and fn runs with grad enabled, as in PyTorch,
        // so that fn may differentiate itself (gradgradcheck's fn calls autograd.grad).
        const eval1 = (delta: number) => {
          const data = Float64Array.from(bases[i]!);
          data[c]! += delta;
          const perturbed = inputs.map((t, j) =>
            (j === i
              ? fromArray(data, x.shape, 'float64', { device: x.device })
              : t.detach()
            ).requiresGrad_(t.requiresGrad),
          );
          const y = outputsOf(fn, perturbed)[k]!;
          return Float64Array.from(noGrad(() => y.to('float64')).dataSync() as Float64Array);
        };
        const plus = eval1(eps);
        const minus = eval1(-eps);
        numerical.push(plus.map((p, r) => (p - minus[r]!) / (2 * eps)));
      }
      const a = analytical[li]!;
      for (let c = 0; c < n; c++) {
        for (let r = 0; r < m; r++) {
          const av = a[c]![r]!;
          const nv = numerical[c]![r]!;
          const ok =
            Math.abs(av - nv) <= atol + rtol * Math.abs(nv) ||
            (Number.isNaN(av) && Number.isNaN(nv));
          if (!ok) {
            if (opts?.raiseException === false) return false;
            throw new GradcheckError(
              `Jacobian mismatch for output ${k} with respect to input ${i},\nnumerical:\n${fmtMatrix(numerical)}\nanalytical:\n${fmtMatrix(a)}\n`,
            );
          }
        }
      }
      li++;
    }
  }
  return true;
}

export interface GradgradcheckOptions extends GradcheckOptions {
  /** The output gradients to differentiate through (random float64 normals by default). */
  readonly gradOutputs?: readonly Tensor[];
}

/** Checks second derivatives: gradcheck on the function inputs, gradOutputs ↦ autograd.grad(fn(inputs)). */
export function gradgradcheck(
  fn: Fn,
  inputs: readonly Tensor[],
  opts?: GradgradcheckOptions,
): boolean {
  GRADGRADCHECK.check(opts);
  const outputs = outputsOf(fn, [...inputs]);
  const gen = new Generator(0);
  const gradOutputs =
    opts?.gradOutputs ??
    outputs.map((o) =>
      randn(o.shape, { dtype: 'float64', generator: gen, device: o.device, requiresGrad: true }),
    );
  const nIn = inputs.length;
  const diffIdx = inputs.map((t, i) => (t.requiresGrad ? i : -1)).filter((i) => i >= 0);
  const first = (...all: Tensor[]): Tensor[] => {
    const xs = all.slice(0, nIn);
    const gos = all.slice(nIn);
    const outs = outputsOf(fn, xs);
    const gs = grad(
      outs,
      diffIdx.map((i) => xs[i]!),
      { gradOutputs: gos, createGraph: true, allowUnused: true },
    );
    return gs.filter((g): g is Tensor => g !== null);
  };
  return gradcheck(first, [...inputs, ...gradOutputs], opts);
}

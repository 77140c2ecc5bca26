// The gradients tier on the fast backends: gradcheck runs in float64, which the C kernels do not
// take (they are float32 only), so each checked function also runs in float32 on the backend under
// test, forward and backward, against its float64 run (the JavaScript kernels): a C kernel that is
// wrong under autograd (strided views, broadcasts, accumulation) is off by O(1), not by rounding.
import { expect } from 'vitest';
import { autograd, Generator, noGrad, randn, type Tensor } from '../../src/index.js';
import { getBackend } from '../../src/backend/registry.js';
import { isFloating } from '../../src/dtype.js';
import type { FastTestBackend } from './matrix.js';

type Fn = (...inputs: Tensor[]) => Tensor | readonly Tensor[];

/**
 * |float32 − float64| ≤ tol · max(1, |float64|), per backend. float32 rounding of the forward and
 * backward of the gradients tier's small, well-conditioned functions stays under 1.3e-6 on both
 * (worst: pad circular's gradient); 1e-4 leaves two decades of margin, and a wrong kernel is off
 * by O(1). null: the backend is not checked this way.
 */
const FLOAT32_TOLERANCE: { readonly [B in FastTestBackend]: number | null } = {
  wasm: 1e-4,
  native: 1e-4,
  webgpu: 1e-4,
};

/**
 * Tests (by vitest's full name) whose functions close over float64 tensors (module parameters, a
 * second operand that does not require grad): in float32 they would mix dtypes, which matmul and
 * conv refuse, so their float32 run is skipped on purpose (gradcheck still runs).
 */
const MIXED_DTYPE_TESTS: { readonly [testName: string]: null } = {
  'layers in float64 > Conv2d with reflect padding: input, weight and bias': null,
  'layers in float64 > ConvTranspose2d with outputSize': null,
  '3-d layers in float64 > Conv3d with reflect padding: input, weight and bias': null,
  '3-d layers in float64 > ConvTranspose3d with outputSize': null,
  'matmul > only one operand requires grad': null,
  'layers > Linear parameters': null,
  'recurrent layers > LSTM 2 layers, bidirectional, projections, batchFirst: input and initial state':
    null,
  'recurrent layers > GRU and LSTM: second derivatives with respect to the input': null,
  'recurrent layers > GRU 2 layers, unbatched: input': null,
  'attention > MultiheadAttention with kdim, vdim, bias_k/v and zero attention: query, key, value':
    null,
};

const outputsOf = (r: Tensor | readonly Tensor[]): Tensor[] =>
  Array.isArray(r) ? [...(r as readonly Tensor[])] : [r as Tensor];

function compare(got: Tensor, want: Tensor, tol: number, what: string): void {
  expect(got.shape, what).toEqual(want.shape);
  const g = got.to({ dtype: 'float64', device: 'cpu' }).dataSync() as Float64Array;
  const w = want.to({ device: 'cpu' }).dataSync() as Float64Array;
  for (let i = 0; i < w.length; i++) {
    const x = w[i]!;
    const y = g[i]!;
    if (!Number.isFinite(x)) {
      expect(Number.isNaN(x) ? Number.isNaN(y) : y === x, `${what}[${i}]: ${y} vs ${x}`).toBe(true);
      continue;
    }
    const err = Math.abs(y - x) / Math.max(1, Math.abs(x));
    expect(err, `${what}[${i}]: float32 ${y} vs float64 ${x}`).toBeLessThanOrEqual(tol);
  }
}

/** On a fast backend: fn's outputs and gradients in float32 match its float64 run. */
export function float32Check(fn: Fn, inputs: readonly Tensor[]): void {
  const name = getBackend().name;
  if (name === 'cpu') return;
  const tol = FLOAT32_TOLERANCE[name as FastTestBackend];
  if (tol === null) return;
  if (MIXED_DTYPE_TESTS[expect.getState().currentTestName ?? ''] === null) return;
  const lowered = inputs.map((t) =>
    t.dtype === 'float64'
      ? noGrad(() => t.detach().to('float32')).requiresGrad_(t.requiresGrad)
      : t,
  );
  const want = outputsOf(fn(...inputs));
  const got = outputsOf(fn(...lowered));
  const gen = new Generator(99);
  const gradOutputs: Tensor[] = [];
  const wantOuts: Tensor[] = [];
  const gotOuts: Tensor[] = [];
  want.forEach((w, k) => {
    const g = got[k]!;
    if (!isFloating(w.dtype)) return;
    compare(g, w, tol, `output ${k}`);
    if (!w.requiresGrad || !g.requiresGrad) return;
    gradOutputs.push(randn(w.shape, { dtype: 'float64', generator: gen }));
    wantOuts.push(w);
    gotOuts.push(g);
  });
  const wantLeaves = inputs.filter((t) => t.requiresGrad);
  const gotLeaves = lowered.filter((t) => t.requiresGrad);
  if (wantOuts.length === 0 || wantLeaves.length === 0) return;
  const opts = { allowUnused: true } as const;
  const wantGrads = autograd.grad(wantOuts, wantLeaves, { ...opts, gradOutputs });
  const gotGrads = autograd.grad(gotOuts, gotLeaves, {
    ...opts,
    gradOutputs: gradOutputs.map((g, k) => g.to(gotOuts[k]!.dtype)),
  });
  wantGrads.forEach((w, i) => {
    const g = gotGrads[i];
    if (w === null || g === null || g === undefined) return;
    compare(g, w, tol, `gradient of input ${i}`);
  });
}

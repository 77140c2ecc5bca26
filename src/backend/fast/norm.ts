// Fast batch norm: the statistics and the per-channel affine maps of kernels/norm.c over dense
// float32 [N, C, S] inputs; the per-channel coefficients (C numbers) are worked out here in float64.
import type { Kernel, KernelInput } from '../backend.js';
import { isDense } from '../cpu/strided.js';
import type { Operand } from './engine.js';
import { fits, numel, type Buf, type FastContext, type Kernels } from './shared.js';

type In = KernelInput<Buf>;
type NormPrimitive = 'batchNormStats' | 'batchNormGradStats' | 'batchNorm' | 'batchNormBackward';

/** Element (i, j) of a 2-d input, or element i of a 1-d one (j = 0). */
const at = (t: In, i: number, j = 0) =>
  t.buffer[t.offset + i * t.strides[0]! + (t.shape.length > 1 ? j * t.strides[1]! : 0)]!;

const whole = (data: Float32Array): Operand => ({ data, lo: 0, hi: data.length });

export function normKernels(ctx: FastContext): Kernels<NormPrimitive> {
  const { cpu, engine, meta, thresholds, operand } = ctx;

  /**
   * Writes the [N, C, S] geometry of x (and g) to meta and returns their operands, or null when the
   * C kernels cannot take them: not dense float32, too small, empty or beyond int32 offsets.
   */
  function geometry(x: In, g: In | null, min: number): [Operand, Operand | null] | null {
    const n = numel(x.shape);
    if (x.dtype !== 'float32' || n === 0 || n < min || !isDense(x.shape, x.strides)) return null;
    if (g !== null && (g.dtype !== 'float32' || !isDense(g.shape, g.strides))) return null;
    if (!fits(x.buffer, ...(g === null ? [] : [g.buffer]))) return null;
    const ox = operand<Float32Array>(x);
    const og = g === null ? null : operand<Float32Array>(g);
    const c = x.shape[1]!;
    const s = n / (x.shape[0]! * c);
    meta.batchNorm(x.shape[0]!, c, s, x.offset - ox.base, g === null ? 0 : g.offset - og!.base);
    return [ox, og];
  }

  const batchNormStats: Kernel<Buf, 'batchNormStats'> = (out, inputs, params) => {
    const ops = geometry(inputs[0]!, null, thresholds.reduce);
    if (ops === null) return cpu.batchNormStats(out, inputs, params);
    engine.bnStats(out.buffer as Float32Array, ops[0], null, null);
  };

  const batchNormGradStats: Kernel<Buf, 'batchNormGradStats'> = (out, inputs, params) => {
    const [g, x, stats] = inputs as [In, In, In];
    const ops = geometry(x, g, thresholds.reduce);
    if (ops === null) return cpu.batchNormGradStats(out, inputs, params);
    const c = x.shape[1]!;
    const mean = new Float32Array(c);
    for (let i = 0; i < c; i++) mean[i] = at(stats, 0, i);
    engine.bnStats(out.buffer as Float32Array, ops[0], whole(mean), ops[1]);
  };

  // y = (x − mean)·(w·invstd) + b
  const batchNorm: Kernel<Buf, 'batchNorm'> = (out, inputs, params) => {
    const [x, stats, ...affine] = inputs as [In, In, ...In[]];
    const ops = geometry(x, null, thresholds.elementwise);
    if (ops === null) return cpu.batchNorm(out, inputs, params);
    const c = x.shape[1]!;
    const w = params.weight ? affine[0]! : null;
    const b = params.bias ? affine[params.weight ? 1 : 0]! : null;
    const coef = new Float32Array(4 * c);
    for (let i = 0; i < c; i++) {
      coef[i] = at(stats, 0, i);
      coef[c + i] = (w === null ? 1 : at(w, i)) / Math.sqrt(at(stats, 1, i) + params.eps);
      coef[2 * c + i] = b === null ? 0 : at(b, i);
    }
    engine.bnApply(out.buffer as Float32Array, ops[0], whole(coef), null);
  };

  // dx = k·(g − Σg/n − (x − mean)·invstd²·Σg(x − mean)/n), k = w·invstd: the affine map
  // (x − mean)·(−k·invstd²·Σg(x − mean)/n) + (−k·Σg/n) + g·k
  const batchNormBackward: Kernel<Buf, 'batchNormBackward'> = (out, inputs, params) => {
    const [g, x, stats, gs, w] = inputs as [In, In, In, In, In | undefined];
    const ops = geometry(x, g, thresholds.elementwise);
    if (ops === null) return cpu.batchNormBackward(out, inputs, params);
    const c = x.shape[1]!;
    const n = numel(x.shape) / c;
    const coef = new Float32Array(4 * c);
    for (let i = 0; i < c; i++) {
      const invStd = 1 / Math.sqrt(at(stats, 1, i) + params.eps);
      const k = (params.weight ? at(w!, i) : 1) * invStd;
      coef[i] = at(stats, 0, i);
      coef[c + i] = (-k * invStd * invStd * at(gs, 1, i)) / n;
      coef[2 * c + i] = (-k * at(gs, 0, i)) / n;
      coef[3 * c + i] = k;
    }
    engine.bnApply(out.buffer as Float32Array, ops[0], whole(coef), ops[1]);
  };

  return { batchNormStats, batchNormGradStats, batchNorm, batchNormBackward };
}

// webgpu fused optimizer updates: SGD and Adam/AdamW in place, one thread per element, with the
// float32 operation order of src/backend/cpu/fused.ts (the composed ops' rounding).
import { DeviceError } from '../../errors.js';
import type { FusedAdamOptions, FusedOps, FusedSGDOptions, FusedTensor } from '../backend.js';
import type { WebgpuBuffer } from './buffer.js';
import type { GpuBuffer } from './gpu.js';
import { Params, grid, type GpuRuntime } from './runtime.js';
import { MATH, PRELUDE, entry } from './wgsl.js';

type T = FusedTensor<WebgpuBuffer>;

const f32 = (i: number, name: string, write: boolean) =>
  `@group(0) @binding(${i}) var<storage, ${write ? 'read_write' : 'read'}> ${name}: array<f32>;`;

/** SGD's flag bits (P[1]). */
const SGD_FLAGS = { maximize: 1, decay: 2, first: 4, dampening: 8, nesterov: 16 } as const;

/**
 * SGD: P is [n, flags, p, g, buf offsets, then the float32 scalars λ, μ, 1 − dampening, −η].
 * With `momentum` the buffer is binding 3; without, the shader has no buffer at all.
 */
const SGD = (momentum: boolean) => `${PRELUDE}
${f32(1, 'p', true)}
${f32(2, 'g', false)}
${momentum ? f32(3, 'b', true) : ''}
${entry(`let i = gid();
  if (i >= P[0]) { return; }
  let flags = P[1];
  let pv = p[P[2] + i];
  var d = g[P[3] + i];
  if ((flags & ${SGD_FLAGS.maximize}u) != 0u) { d = -d; }
  if ((flags & ${SGD_FLAGS.decay}u) != 0u) { d = d + pv * pf(5u); }
  ${
    momentum
      ? `let mu = pf(6u);
  var bv = d;
  if ((flags & ${SGD_FLAGS.first}u) == 0u) {
    var add = d;
    if ((flags & ${SGD_FLAGS.dampening}u) != 0u) { add = d * pf(7u); }
    bv = b[P[4] + i] * mu + add;
  }
  b[P[4] + i] = bv;
  if ((flags & ${SGD_FLAGS.nesterov}u) != 0u) { d = d + bv * mu; } else { d = bv; }`
      : ''
  }
  p[P[2] + i] = pv + d * pf(8u);`)}`;

/** Adam's flag bits (P[1]). */
const ADAM_FLAGS = { maximize: 1, decoupled: 2, decay: 4 } as const;

/**
 * Adam/AdamW: P is [n, flags, p, g, m, v, vmax offsets, then the float32 scalars λ, 1 − ηλ, β₁,
 * β₂, 1 − β₁, 1 − β₂, ε, −stepSize, √(1 − β₂ᵗ)]. With `amsgrad` vmax is binding 5.
 */
const ADAM = (amsgrad: boolean) => `${PRELUDE}${MATH}
${f32(1, 'p', true)}
${f32(2, 'g', false)}
${f32(3, 'm', true)}
${f32(4, 'v', true)}
${amsgrad ? f32(5, 'x', true) : ''}
${entry(`let i = gid();
  if (i >= P[0]) { return; }
  let flags = P[1];
  var pv = p[P[2] + i];
  var gv = g[P[3] + i];
  if ((flags & ${ADAM_FLAGS.maximize}u) != 0u) { gv = -gv; }
  if ((flags & ${ADAM_FLAGS.decoupled}u) != 0u) {
    pv = pv * pf(8u);
  } else if ((flags & ${ADAM_FLAGS.decay}u) != 0u) {
    gv = gv + pv * pf(7u);
  }
  let mv = m[P[4] + i] * pf(9u) + gv * pf(11u);
  var vv = v[P[5] + i] * pf(10u) + (gv * pf(12u)) * gv;
  m[P[4] + i] = mv;
  v[P[5] + i] = vv;
  ${
    amsgrad
      ? `let old = x[P[6] + i];
  let mx = select(max(old, vv), nb_nan(), nb_isnan(old) || nb_isnan(vv));
  x[P[6] + i] = mx;
  vv = mx;`
      : ''
  }
  let denom = sqrt(vv) / pf(15u) + pf(13u);
  p[P[2] + i] = pv + (mv * pf(14u)) / denom;`)}`;

/** Throws when two operands share a GPU buffer (a dispatch cannot write one it also binds again). */
function distinct(op: string, tensors: readonly (T | null)[]): GpuBuffer[] {
  const bufs = tensors.filter((t): t is T => t !== null).map((t) => t.buffer.device);
  if (new Set(bufs).size !== bufs.length) {
    throw new DeviceError(`webgpu: fused ${op} needs its tensors in separate buffers`);
  }
  return bufs;
}

/** The fused updates of the webgpu backend on runtime `rt`. */
export function webgpuFused(rt: GpuRuntime): FusedOps<WebgpuBuffer> {
  return {
    sgd(p: T, g: T, buf: T | null, o: FusedSGDOptions): void {
      if (p.size === 0) return;
      const momentum = o.momentum !== 0 && buf !== null;
      const flags =
        (o.maximize ? SGD_FLAGS.maximize : 0) |
        (o.weightDecay !== 0 ? SGD_FLAGS.decay : 0) |
        (o.first ? SGD_FLAGS.first : 0) |
        (o.dampening !== 0 ? SGD_FLAGS.dampening : 0) |
        (o.nesterov ? SGD_FLAGS.nesterov : 0);
      const params = new Params()
        .u32(p.size, flags, p.offset, g.offset, momentum ? buf.offset : 0)
        .f32(o.weightDecay, o.momentum, 1 - o.dampening, -o.lr);
      rt.dispatch({
        pipeline: rt.pipeline(`opt:sgd:${momentum ? 'm' : '-'}`, () => SGD(momentum)),
        buffers: distinct('sgd', [p, g, momentum ? buf : null]),
        params,
        workgroups: grid(p.size),
      });
    },
    adam(p: T, g: T, m: T, v: T, vmax: T | null, o: FusedAdamOptions): void {
      if (p.size === 0) return;
      const amsgrad = o.amsgrad && vmax !== null;
      const flags =
        (o.maximize ? ADAM_FLAGS.maximize : 0) |
        (o.decoupled ? ADAM_FLAGS.decoupled : 0) |
        (o.weightDecay !== 0 ? ADAM_FLAGS.decay : 0);
      const params = new Params()
        .u32(p.size, flags, p.offset, g.offset, m.offset, v.offset, amsgrad ? vmax.offset : 0)
        .f32(o.weightDecay, 1 - o.lr * o.weightDecay, o.beta1, o.beta2)
        .f32(1 - o.beta1, 1 - o.beta2, o.eps, -o.stepSize, o.biasCorrection2Sqrt);
      rt.dispatch({
        pipeline: rt.pipeline(`opt:adam:${amsgrad ? 'ams' : '-'}`, () => ADAM(amsgrad)),
        buffers: distinct('adam', [p, g, m, v, amsgrad ? vmax : null]),
        params,
        workgroups: grid(p.size),
      });
    },
  };
}

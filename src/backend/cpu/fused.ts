// The fused optimizer updates in JavaScript: one loop per tensor with float32 rounding at every step,
// exactly as the composed ops of src/optim round (the cpu backend's fused ops, and small tensors' on the fast ones).
import type { TypedArray } from '../../dtype.js';
import type { FusedAdamOptions, FusedSGDOptions, FusedTensor } from '../backend.js';

type T = FusedTensor<TypedArray>;
const f = Math.fround;

/** d = ±g (+ λ·p); b = μ·b + (1 − dampening)·d (b = d at first); p −= η·(nesterov ? d + μ·b : b). */
export function jsSgd(p: T, g: T, buf: T | null, o: FusedSGDOptions): void {
  const P = p.buffer;
  const G = g.buffer;
  const B = buf === null ? null : buf.buffer;
  const wd = f(o.weightDecay);
  const mu = f(o.momentum);
  const damp = f(1 - o.dampening);
  const lr = f(-o.lr);
  for (let i = 0; i < p.size; i++) {
    const pv = P[p.offset + i]!;
    let d = G[g.offset + i]!;
    if (o.maximize) d = -d;
    if (o.weightDecay !== 0) d = f(d + f(pv * wd));
    if (o.momentum !== 0 && B !== null) {
      const at = buf!.offset + i;
      const b = o.first ? d : f(f(B[at]! * mu) + (o.dampening !== 0 ? f(d * damp) : d));
      B[at] = b;
      d = o.nesterov ? f(d + f(b * mu)) : b;
    }
    P[p.offset + i] = f(pv + f(d * lr));
  }
}

/** Adam / AdamW with optional AMSGrad, as src/optim/adam.ts composes it. */
export function jsAdam(p: T, g: T, m: T, v: T, vmax: T | null, o: FusedAdamOptions): void {
  const P = p.buffer;
  const G = g.buffer;
  const M = m.buffer;
  const V = v.buffer;
  const X = vmax === null ? null : vmax.buffer;
  const wd = f(o.weightDecay);
  const decay = f(1 - o.lr * o.weightDecay);
  const b1 = f(o.beta1);
  const b2 = f(o.beta2);
  const omb1 = f(1 - o.beta1);
  const omb2 = f(1 - o.beta2);
  const eps = f(o.eps);
  const negStep = f(-o.stepSize);
  const bc2 = f(o.biasCorrection2Sqrt);
  for (let i = 0; i < p.size; i++) {
    let pv = P[p.offset + i]!;
    let gv = G[g.offset + i]!;
    if (o.maximize) gv = -gv;
    if (o.decoupled) pv = f(pv * decay);
    else if (o.weightDecay !== 0) gv = f(gv + f(pv * wd));
    const mv = f(f(M[m.offset + i]! * b1) + f(gv * omb1));
    let vv = f(f(V[v.offset + i]! * b2) + f(f(gv * omb2) * gv));
    M[m.offset + i] = mv;
    V[v.offset + i] = vv;
    if (o.amsgrad && X !== null) {
      const old = X[vmax!.offset + i]!;
      const mx = old !== old || vv !== vv ? NaN : Math.max(old, vv);
      X[vmax!.offset + i] = mx;
      vv = mx;
    }
    const denom = f(f(f(Math.sqrt(vv)) / bc2) + eps);
    P[p.offset + i] = f(pv + f(f(mv * negStep) / denom));
  }
}

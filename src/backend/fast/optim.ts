// Fast fused optimizer updates: SGD and Adam/AdamW in place in C (JavaScript below the threshold).
import type { FusedAdamOptions, FusedOps, FusedSGDOptions, FusedTensor } from '../backend.js';
import { jsAdam, jsSgd } from '../cpu/fused.js';
import { SCALARS, optFlags } from './contract.js';
import { INT32_LIMIT } from './meta.js';
import type { Buf, FastContext } from './shared.js';

/** The float32 elements a fused update touches. */
const view = (t: FusedTensor<Buf>) =>
  (t.buffer as Float32Array).subarray(t.offset, t.offset + t.size);

export function fusedOps(ctx: FastContext): FusedOps<Buf> {
  const { engine, meta, thresholds } = ctx;
  return {
    sgd(p, g, buf, o: FusedSGDOptions) {
      if (p.size < thresholds.optim || p.size > INT32_LIMIT) return jsSgd(p, g, buf, o);
      meta.optim(p.size, optFlags(o));
      meta.scalars(SCALARS.sgd, o);
      engine.sgd(view(p), view(g), buf === null || o.momentum === 0 ? null : view(buf));
    },
    adam(p, g, m, v, vmax, o: FusedAdamOptions) {
      if (p.size < thresholds.optim || p.size > INT32_LIMIT) return jsAdam(p, g, m, v, vmax, o);
      const { maximize, decoupled } = o;
      meta.optim(p.size, optFlags({ maximize, decoupled, amsgrad: o.amsgrad && vmax !== null }));
      meta.scalars(SCALARS.adam, o);
      engine.adam(view(p), view(g), view(m), view(v), vmax === null ? null : view(vmax));
    },
  };
}

// webgpu scans along one dim, one thread per line: cumsum (compensated in float32), cumprod,
// logcumsumexp and the cummax/cummin indices, with the cpu kernels' NaN and tie rules.
import type { DType } from '../../dtype.js';
import type { GpuKernel } from './index.js';
import {
  COMMON,
  LINE_HEAD,
  WG,
  computeOf,
  lineRun,
  load,
  store,
  type Compute,
} from './reduce_common.js';
import { binding, entry } from './wgsl.js';

/** The scans, one thread per line: the state's declaration, its step with v, and the value out. */
interface ScanSpec {
  readonly init: (t: Compute) => string;
  readonly step: (t: Compute) => string;
  readonly result: string;
}

const SCANS: { readonly [name: string]: ScanSpec } = {
  cumsum: {
    init: (t) => `var acc = ${t}(0);\n  var comp = ${t}(0);`,
    step: (t) => (t === 'f32' ? 'kahan(&acc, &comp, v);' : 'acc = acc + v;'),
    result: 'acc',
  },
  cumprod: { init: (t) => `var acc = ${t}(1);`, step: () => 'acc = acc * v;', result: 'acc' },
  logcumsumexp: {
    init: () => 'var acc = -nb_inf();',
    step: () => 'acc = lae(v, acc);',
    result: 'acc',
  },
  // the latest index among ties; a NaN, once seen, stays the extreme (the latest NaN's index)
  cummax: {
    init: (t) =>
      `var best = ${t === 'f32' ? 'x[u32(base)]' : `${t}(x[u32(base)])`};\n  var at = 0u;`,
    step: (t) =>
      t === 'f32'
        ? 'if (nb_isnan(v) || (!nb_isnan(best) && v >= best)) { best = v; at = j; }'
        : 'if (v >= best) { best = v; at = j; }',
    result: 'i32(at)',
  },
  cummin: {
    init: (t) =>
      `var best = ${t === 'f32' ? 'x[u32(base)]' : `${t}(x[u32(base)])`};\n  var at = 0u;`,
    step: (t) =>
      t === 'f32'
        ? 'if (nb_isnan(v) || (!nb_isnan(best) && v <= best)) { best = v; at = j; }'
        : 'if (v <= best) { best = v; at = j; }',
    result: 'i32(at)',
  },
};

/** log(eˣ + eʸ) as the cpu kernel (PyTorch's _log_add_exp_helper): NaN propagates, equal infinities stay. */
const LOG_ADD_EXP = `
fn lae(x: f32, y: f32) -> f32 {
  if (nb_isnan(x) || nb_isnan(y)) { return nb_nan(); }
  let lo = min(x, y);
  let hi = max(x, y);
  if (lo != hi || !nb_isinf(lo)) { return nb_log1p(nb_exp(lo - hi)) + hi; }
  return x;
}`;

function scanShader(name: string, x: DType, out: DType): string {
  const spec = SCANS[name]!;
  const t = computeOf(x);
  const from: Compute = name === 'cummax' || name === 'cummin' ? 'i32' : t;
  return `${COMMON}${LOG_ADD_EXP}
${binding(1, 'y', out, true)}
${binding(2, 'x', x)}
${entry(
  `${LINE_HEAD}
  if (!live) { return; }
  ${spec.init(t)}
  for (var j = 0u; j < len; j = j + 1u) {
    let v = ${load(x, t, 'u32(base + i32(j) * sa)')};
    ${spec.step(t)}
    y[ob + j * inner] = ${store(out, spec.result, from)};
  }`,
  WG,
)}`;
}

export const scanKernel =
  <P extends 'cumsum' | 'cumprod' | 'logcumsumexp' | 'cumExtremeIndex'>(
    pick: (p: { dim: number; op?: 'max' | 'min' }) => string,
  ): GpuKernel<P> =>
  (rt, out, [x], params) => {
    const name = pick(params as { dim: number; op?: 'max' | 'min' });
    if (name === 'logcumsumexp' && x!.dtype !== 'float32') return false;
    lineRun(
      rt,
      `scan:${name}:${x!.dtype}>${out.dtype}`,
      () => scanShader(name, x!.dtype, out.dtype),
      out,
      x!,
      params.dim,
      () => 1,
    );
    return true;
  };

// nn.init: PyTorch's parameter initialisers, drawing from the library generator exactly as PyTorch draws.
import { argsOrOptions, defineOptions, type Spec } from '../options.js';
import { noGrad } from '../autograd/grad_mode.js';
import { ArgumentError } from '../errors.js';
import { fromArray } from '../functions/creation.js';
import { erf, erfinv } from '../math.js';
import type { Generator } from '../random.js';
import type { Tensor } from '../tensor.js';

export type Nonlinearity =
  | 'linear'
  | 'conv1d'
  | 'conv2d'
  | 'conv3d'
  | 'conv_transpose1d'
  | 'conv_transpose2d'
  | 'conv_transpose3d'
  | 'sigmoid'
  | 'tanh'
  | 'relu'
  | 'leaky_relu'
  | 'selu';

export type FanMode = 'fan_in' | 'fan_out';

interface GenOpts {
  readonly generator?: Generator;
}

const gen = (o?: GenOpts) => (o?.generator ? { generator: o.generator } : undefined);

/** torch.nn.init.calculate_gain. */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear':
    case 'conv1d':
    case 'conv2d':
    case 'conv3d':
    case 'conv_transpose1d':
    case 'conv_transpose2d':
    case 'conv_transpose3d':
    case 'sigmoid':
      return 1;
    case 'tanh':
      return 5.0 / 3;
    case 'relu':
      return Math.sqrt(2.0);
    case 'leaky_relu': {
      const slope = param ?? 0.01;
      return Math.sqrt(2.0 / (1 + slope ** 2));
    }
    case 'selu':
      return 3.0 / 4;
    default:
      throw new ArgumentError(`Unsupported nonlinearity ${String(nonlinearity)}`);
  }
}

/** [fan_in, fan_out] of a weight: its dims 1 and 0 times the receptive field. */
export function calculateFanInAndFanOut(t: Tensor): [number, number] {
  if (t.ndim < 2) {
    throw new ArgumentError(
      'Fan in and fan out can not be computed for tensor with fewer than 2 dimensions',
    );
  }
  const receptive = t.shape.slice(2).reduce((a, b) => a * b, 1);
  return [t.shape[1]! * receptive, t.shape[0]! * receptive];
}

function fan(t: Tensor, mode: FanMode): number {
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  return mode === 'fan_in' ? fanIn : fanOut;
}

const GEN_SPEC: Spec<GenOpts> = { generator: 'object' };
/** nn.init.uniform_'s bounds (PyTorch's keywords a and b) and generator. */
export interface InitUniformOptions extends GenOpts {
  readonly a?: number;
  readonly b?: number;
}
/** nn.init.normal_'s mean and std (PyTorch's keywords) and generator. */
export interface InitNormalOptions extends GenOpts {
  readonly mean?: number;
  readonly std?: number;
}
const UNIFORM = defineOptions<InitUniformOptions>('nn.init.uniform_', {
  ...GEN_SPEC,
  a: 'number',
  b: 'number',
});
const NORMAL = defineOptions<InitNormalOptions>('nn.init.normal_', {
  ...GEN_SPEC,
  mean: 'number',
  std: 'number',
});
const CONSTANT = defineOptions<{ val?: number }>('nn.init.constant_', { val: 'number' });
const XAVIER_SPEC: Spec<XavierOptions> = { ...GEN_SPEC, gain: 'number' };
const XAVIER_UNIFORM = defineOptions<XavierOptions>('nn.init.xavierUniform_', XAVIER_SPEC);
const XAVIER_NORMAL = defineOptions<XavierOptions>('nn.init.xavierNormal_', XAVIER_SPEC);
const ORTHOGONAL = defineOptions<XavierOptions>('nn.init.orthogonal_', XAVIER_SPEC);
const KAIMING_SPEC: Spec<KaimingOptions> = {
  ...GEN_SPEC,
  a: 'number',
  mode: 'string',
  nonlinearity: 'string',
};
const KAIMING_UNIFORM = defineOptions<KaimingOptions>('nn.init.kaimingUniform_', KAIMING_SPEC);
const KAIMING_NORMAL = defineOptions<KaimingOptions>('nn.init.kaimingNormal_', KAIMING_SPEC);
const TRUNC_NORMAL = defineOptions<TruncNormalOptions>('nn.init.truncNormal_', {
  ...GEN_SPEC,
  mean: 'number',
  std: 'number',
  a: 'number',
  b: 'number',
});

/** uniform_(t, a, b) or uniform_(t, { a, b, generator }): fills with U(a, b) draws. */
export function uniform_(
  t: Tensor,
  a?: number | InitUniformOptions,
  b?: number,
  opts?: InitUniformOptions,
): Tensor {
  const o = argsOrOptions(UNIFORM, ['a', 'b'], [a, b], opts);
  return noGrad(() => t.uniform_(o.a ?? 0, o.b ?? 1, gen(o)));
}

/** normal_(t, mean, std) or normal_(t, { mean, std, generator }): fills with N(mean, std²) draws. */
export function normal_(
  t: Tensor,
  mean?: number | InitNormalOptions,
  std?: number,
  opts?: InitNormalOptions,
): Tensor {
  const o = argsOrOptions(NORMAL, ['mean', 'std'], [mean, std], opts);
  return noGrad(() => t.normal_(o.mean ?? 0, o.std ?? 1, gen(o)));
}

/** constant_(t, val) or constant_(t, { val }). */
export function constant_(t: Tensor, value: number | { val?: number }): Tensor {
  const v = argsOrOptions(CONSTANT, ['val'], [value], undefined).val;
  if (v === undefined) throw new ArgumentError('constant_(): missing the fill value');
  return noGrad(() => t.fill_(v));
}

export function zeros_(t: Tensor): Tensor {
  return constant_(t, 0);
}

export function ones_(t: Tensor): Tensor {
  return constant_(t, 1);
}

/** Fills a 2-d tensor with the identity. */
export function eye_(t: Tensor): Tensor {
  if (t.ndim !== 2) throw new ArgumentError('Only tensors with 2 dimensions are supported');
  const [n, m] = t.shape as [number, number];
  const data = new Float64Array(n * m);
  for (let i = 0; i < Math.min(n, m); i++) data[i * m + i] = 1;
  return noGrad(() => t.copy_(fromArray(data, [n, m], 'float64', { device: t.device })));
}

export interface XavierOptions extends GenOpts {
  readonly gain?: number;
}

export function xavierUniform_(t: Tensor, opts?: XavierOptions): Tensor {
  XAVIER_UNIFORM.check(opts);
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  const std = (opts?.gain ?? 1) * Math.sqrt(2.0 / (fanIn + fanOut));
  const a = Math.sqrt(3.0) * std;
  return uniform_(t, -a, a, gen(opts));
}

export function xavierNormal_(t: Tensor, opts?: XavierOptions): Tensor {
  XAVIER_NORMAL.check(opts);
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  const std = (opts?.gain ?? 1) * Math.sqrt(2.0 / (fanIn + fanOut));
  return normal_(t, 0, std, gen(opts));
}

export interface KaimingOptions extends GenOpts {
  /** The negative slope of the rectifier after this layer (leaky_relu only). */
  readonly a?: number;
  readonly mode?: FanMode;
  readonly nonlinearity?: Nonlinearity;
}

export function kaimingUniform_(t: Tensor, opts?: KaimingOptions): Tensor {
  KAIMING_UNIFORM.check(opts);
  const gain = calculateGain(opts?.nonlinearity ?? 'leaky_relu', opts?.a ?? 0);
  const std = gain / Math.sqrt(fan(t, opts?.mode ?? 'fan_in'));
  const bound = Math.sqrt(3.0) * std;
  return uniform_(t, -bound, bound, gen(opts));
}

export function kaimingNormal_(t: Tensor, opts?: KaimingOptions): Tensor {
  KAIMING_NORMAL.check(opts);
  const gain = calculateGain(opts?.nonlinearity ?? 'leaky_relu', opts?.a ?? 0);
  const std = gain / Math.sqrt(fan(t, opts?.mode ?? 'fan_in'));
  return normal_(t, 0, std, gen(opts));
}

/** Householder QR of an m×n matrix (row-major, m ≥ n): returns the m×n Q with diag(R) made positive. */
function orthonormalColumns(a: Float64Array, m: number, n: number): Float64Array {
  const r = Float64Array.from(a);
  const vs: Float64Array[] = [];
  for (let k = 0; k < n; k++) {
    const v = new Float64Array(m);
    let norm = 0;
    for (let i = k; i < m; i++) norm += r[i * n + k]! ** 2;
    norm = Math.sqrt(norm);
    const alpha = r[k * n + k]! > 0 ? -norm : norm;
    for (let i = k; i < m; i++) v[i] = r[i * n + k]!;
    v[k]! -= alpha;
    let vnorm = 0;
    for (let i = k; i < m; i++) vnorm += v[i]! ** 2;
    if (vnorm > 0) {
      for (let j = k; j < n; j++) {
        let dot = 0;
        for (let i = k; i < m; i++) dot += v[i]! * r[i * n + j]!;
        const f = (2 * dot) / vnorm;
        for (let i = k; i < m; i++) r[i * n + j]! -= f * v[i]!;
      }
    }
    vs.push(vnorm > 0 ? v.map((x) => x / Math.sqrt(vnorm)) : v);
  }
  // Q = H0 H1 … H(n−1) applied to the first n columns of the identity.
  const q = new Float64Array(m * n);
  for (let j = 0; j < n; j++) q[j * n + j] = 1;
  for (let k = n - 1; k >= 0; k--) {
    const v = vs[k]!;
    for (let j = 0; j < n; j++) {
      let dot = 0;
      for (let i = k; i < m; i++) dot += v[i]! * q[i * n + j]!;
      for (let i = k; i < m; i++) q[i * n + j]! -= 2 * dot * v[i]!;
    }
  }
  // Make R's diagonal positive, as PyTorch does with q *= sign(diag(r)).
  for (let j = 0; j < n; j++) {
    if (r[j * n + j]! < 0) for (let i = 0; i < m; i++) q[i * n + j] = -q[i * n + j]!;
  }
  return q;
}

/** A (semi-)orthogonal matrix from the QR decomposition of a normal draw, as torch's orthogonal_. */
export function orthogonal_(t: Tensor, opts?: XavierOptions): Tensor {
  ORTHOGONAL.check(opts);
  if (t.ndim < 2) throw new ArgumentError('Only tensors with 2 or more dimensions are supported');
  if (t.numel() === 0) return t;
  const rows = t.shape[0]!;
  const cols = t.numel() / rows;
  const flat = noGrad(() => t.detach().clone().reshape(rows, cols).normal_(0, 1, gen(opts)));
  let data = Float64Array.from(flat.dataSync() as Float32Array);
  let [m, n] = [rows, cols];
  if (rows < cols) {
    const tr = new Float64Array(rows * cols);
    for (let i = 0; i < rows; i++)
      for (let j = 0; j < cols; j++) tr[j * rows + i] = data[i * cols + j]!;
    data = tr;
    [m, n] = [cols, rows];
  }
  let q = orthonormalColumns(data, m, n);
  if (rows < cols) {
    const tr = new Float64Array(rows * cols);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) tr[j * m + i] = q[i * n + j]!;
    q = tr;
  }
  const gain = opts?.gain ?? 1;
  return noGrad(() =>
    t.copy_(fromArray(q, [rows, cols], 'float64', { device: t.device }).mul(gain).reshape(t.shape)),
  );
}

export interface TruncNormalOptions extends GenOpts {
  readonly mean?: number;
  readonly std?: number;
  readonly a?: number;
  readonly b?: number;
}

/** Normal draws truncated to [a, b] by inverse-CDF sampling, as torch's trunc_normal_. */
export function truncNormal_(t: Tensor, opts?: TruncNormalOptions): Tensor {
  TRUNC_NORMAL.check(opts);
  const mean = opts?.mean ?? 0;
  const std = opts?.std ?? 1;
  const a = opts?.a ?? -2;
  const b = opts?.b ?? 2;
  const cdf = (x: number) => (1 + erf(x / Math.sqrt(2))) / 2;
  const l = cdf((a - mean) / std);
  const u = cdf((b - mean) / std);
  return noGrad(() => {
    t.uniform_(2 * l - 1, 2 * u - 1, gen(opts));
    const src = t.dataSync();
    const out = new Float64Array(src.length);
    for (let i = 0; i < src.length; i++) out[i] = Math.fround(erfinv(src[i]!));
    const z = fromArray(out, t.shape, 'float64', { device: t.device }).to(t.dtype);
    return t
      .copy_(z)
      .mul_(std * Math.sqrt(2))
      .add_(mean)
      .clamp_(a, b);
  });
}

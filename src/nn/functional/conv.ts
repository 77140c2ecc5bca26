// nn.functional convolutions: unfold/fold, conv1d/2d/3d (the conv2d primitive; grouped: unfold + matmul; 3-d: depth taps as channels) and convTranspose1d/2d/3d (matmul + fold).
import { defineOptions, type Spec } from '../../options.js';
import { internalScope } from '../../memory.js';
import { ArgumentError, DTypeError, ShapeError } from '../../errors.js';
import { pad } from '../../functions/shape_ops.js';
import { apply } from '../../ops/apply.js';
import type { WindowParams } from '../../primitives.js';
import { shapeStr, windowCount } from '../../shape.js';
import type { Tensor } from '../../tensor.js';

const UNFOLD_SPEC: Spec<UnfoldOptions> = { dilation: 'dims', padding: 'dims', stride: 'dims' };
const CONV_SPEC: Spec<ConvOptions> = {
  stride: 'dims',
  padding: ['dims', 'string'],
  dilation: 'dims',
  groups: 'integer',
};
const CONV_TRANSPOSE_SPEC: Spec<ConvTransposeOptions> = {
  stride: 'dims',
  padding: 'dims',
  outputPadding: 'dims',
  groups: 'integer',
  dilation: 'dims',
};
const UNFOLD = defineOptions<UnfoldOptions>('nn.functional.unfold', UNFOLD_SPEC);
const FOLD = defineOptions<UnfoldOptions>('nn.functional.fold', UNFOLD_SPEC);
const CONV1D = defineOptions<ConvOptions>('nn.functional.conv1d', CONV_SPEC);
const CONV2D = defineOptions<ConvOptions>('nn.functional.conv2d', CONV_SPEC);
const CONV3D = defineOptions<ConvOptions>('nn.functional.conv3d', CONV_SPEC);
const CONV_TRANSPOSE1D = defineOptions<ConvTransposeOptions>(
  'nn.functional.convTranspose1d',
  CONV_TRANSPOSE_SPEC,
);
const CONV_TRANSPOSE2D = defineOptions<ConvTransposeOptions>(
  'nn.functional.convTranspose2d',
  CONV_TRANSPOSE_SPEC,
);
const CONV_TRANSPOSE3D = defineOptions<ConvTransposeOptions>(
  'nn.functional.convTranspose3d',
  CONV_TRANSPOSE_SPEC,
);

/** A size per spatial dim: one number for all of them, or one each. */
export type SizeArg = number | readonly number[];

const TYPE_NAMES: Record<string, string> = {
  float32: 'Float',
  float64: 'Double',
  int32: 'Int',
  bool: 'Bool',
};

/** A per-dim argument expanded to `nd` values, with PyTorch's message when its length is wrong. */
export function expandArg(name: string, v: SizeArg, nd: number, what = 'convolution'): number[] {
  if (typeof v === 'number') return new Array<number>(nd).fill(v);
  if (v.length === 1) return new Array<number>(nd).fill(v[0]!);
  if (v.length !== nd) {
    throw new ArgumentError(
      `expected ${name} to be a single integer value or a list of ${nd} values to match the ${what} dimensions, but got ${name}=[${v.join(', ')}]`,
    );
  }
  return [...v];
}

const two = (v: readonly number[]) => [v[0]!, v[1]!] as [number, number];

export interface UnfoldOptions {
  readonly dilation?: SizeArg;
  readonly padding?: SizeArg;
  readonly stride?: SizeArg;
}

function windowParams(kernelSize: SizeArg, opts?: UnfoldOptions): WindowParams {
  return {
    kernelSize: two(expandArg('kernel_size', kernelSize, 2, 'unfold')),
    dilation: two(expandArg('dilation', opts?.dilation ?? 1, 2, 'unfold')),
    padding: two(expandArg('padding', opts?.padding ?? 0, 2, 'unfold')),
    stride: two(expandArg('stride', opts?.stride ?? 1, 2, 'unfold')),
  };
}

/** F.unfold (im2col): sliding blocks of [N, C, H, W] (or [C, H, W]) as [N, C·kh·kw, L] columns. */
export function unfold(input: Tensor, kernelSize: SizeArg, opts?: UnfoldOptions): Tensor {
  UNFOLD.check(opts);
  return internalScope(() => {
    return apply('unfold', [input], windowParams(kernelSize, opts));
  });
}

/** F.fold (col2im): sums [N, C·kh·kw, L] columns back into [N, C, ...outputSize], adding overlaps. */
export function fold(
  input: Tensor,
  outputSize: SizeArg,
  kernelSize: SizeArg,
  opts?: UnfoldOptions,
): Tensor {
  FOLD.check(opts);
  return internalScope(() => {
    const outSize = two(expandArg('output_size', outputSize, 2, 'fold'));
    return apply('fold', [input], { ...windowParams(kernelSize, opts), outputSize: outSize });
  });
}

export interface ConvOptions {
  readonly stride?: SizeArg;
  /** Zero padding per side, or 'valid' (none) or 'same' (output size = input size; stride 1 only). */
  readonly padding?: SizeArg | 'same' | 'valid';
  readonly dilation?: SizeArg;
  readonly groups?: number;
}

export interface ConvTransposeOptions {
  readonly stride?: SizeArg;
  readonly padding?: SizeArg;
  readonly outputPadding?: SizeArg;
  readonly groups?: number;
  readonly dilation?: SizeArg;
}

const dimsStr = (xs: readonly number[]) => xs.join(' x ');

/** The batched input (a unbatched one gains a batch dim), after PyTorch's dimension check. */
function batchify(name: string, input: Tensor, nd: number): [Tensor, boolean] {
  if (input.ndim !== nd + 1 && input.ndim !== nd + 2) {
    throw new ShapeError(
      `Expected ${nd + 1}D (unbatched) or ${nd + 2}D (batched) input to ${name}, but got input of size: ${shapeStr(input.shape)}`,
    );
  }
  const unbatched = input.ndim === nd + 1;
  return [unbatched ? input.unsqueeze(0) : input, unbatched];
}

function checkCommon(
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null,
  groups: number,
  padding: readonly number[],
  stride: readonly number[],
  dilation: readonly number[],
  outputPadding?: readonly number[],
): void {
  if (weight.dtype !== x.dtype) {
    throw new DTypeError(
      `expected scalar type ${TYPE_NAMES[x.dtype]} but found ${TYPE_NAMES[weight.dtype]}`,
    );
  }
  if (bias && bias.dtype !== x.dtype) {
    throw new DTypeError(
      `expected scalar type ${TYPE_NAMES[x.dtype]} but found ${TYPE_NAMES[bias.dtype]}`,
    );
  }
  if (!(groups > 0) || !Number.isInteger(groups))
    throw new ArgumentError('non-positive groups is not supported');
  if (padding.some((p) => p < 0)) throw new ArgumentError('negative padding is not supported');
  if (outputPadding?.some((p) => p < 0))
    throw new ArgumentError('negative output_padding is not supported');
  if (stride.some((s) => s <= 0)) throw new ArgumentError('non-positive stride is not supported');
  if (dilation.some((d) => d <= 0)) {
    throw new ArgumentError(
      `dilation should be greater than zero, but got [${dilation.join(', ')}]`,
    );
  }
  const ws = weight.shape;
  if (weight.ndim !== x.ndim) {
    throw new ShapeError(
      `Expected ${weight.ndim}-dimensional input for ${weight.ndim}-dimensional weight ${shapeStr(ws)}, but got ${x.ndim}-dimensional input of size ${shapeStr(x.shape)} instead`,
    );
  }
  if (ws[0]! < groups) {
    throw new ShapeError(
      `Given groups=${groups}, expected weight to be at least ${groups} at dimension 0, but got weight of size ${shapeStr(ws)} instead`,
    );
  }
  if (ws[0]! % groups !== 0) {
    throw new ShapeError(
      `Given groups=${groups}, expected weight to be divisible by ${groups} at dimension 0, but got weight of size [${shapeStr(ws)}] instead`,
    );
  }
}

function checkBias(bias: Tensor | null, count: number, prefix: string, ws: readonly number[]) {
  if (bias && !(bias.ndim === 1 && bias.shape[0] === count)) {
    throw new ShapeError(
      `${prefix}weight of size ${shapeStr(ws)}, expected bias to be 1-dimensional with ${count} elements, but got bias of size ${shapeStr(bias.shape)} instead`,
    );
  }
}

/**
 * conv over [N, C, H, W] with weight [O, C/g, kh, kw]: the conv2d primitive (groups 1), else
 * unfold to columns and one matmul per group.
 */
function conv2dCore(
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null,
  stride: [number, number],
  padding: [number, number],
  dilation: [number, number],
  groups: number,
  activation: 'relu' | undefined,
): Tensor {
  const [n, , h, w] = x.shape as [number, number, number, number];
  const [o, cg, kh, kw] = weight.shape as [number, number, number, number];
  if (groups === 1) {
    const p = { kernelSize: [kh, kw] as [number, number], dilation, padding, stride };
    const params = activation === undefined ? p : { ...p, activation };
    return apply('conv2d', bias ? [x, weight, bias] : [x, weight], params);
  }
  if (activation !== undefined) {
    return conv2dCore(x, weight, bias, stride, padding, dilation, groups, undefined).relu();
  }
  const cols = apply('unfold', [x], { kernelSize: [kh, kw], dilation, padding, stride });
  const oh = windowCount(h, kh, dilation[0], padding[0], stride[0]);
  const ow = windowCount(w, kw, dilation[1], padding[1], stride[1]);
  const k = cg * kh * kw;
  const l = oh * ow;
  const y =
    groups === 1
      ? apply('matmul', [weight.reshape([o, k]), cols], {})
      : apply(
          'matmul',
          [weight.reshape([groups, o / groups, k]), cols.reshape([n, groups, k, l])],
          {},
        );
  const out = y.reshape([n, o, oh, ow]);
  return bias ? out.add(bias.reshape([o, 1, 1])) : out;
}

/**
 * conv over [N, C, D, H, W] with weight [O, C/g, kd, kh, kw]: the kd depth taps of every output
 * depth become channels ([N·oD, C·kd, H, W], tap-minor within each input channel, so a group's
 * channels stay contiguous), and one 2-d convolution with the weight read as [O, C/g·kd, kh, kw]
 * sums taps and channels together.
 */
function conv3dCore(
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null,
  stride: readonly number[],
  padding: readonly number[],
  dilation: readonly number[],
  groups: number,
): Tensor {
  const [n, c, d, h, w] = x.shape as [number, number, number, number, number];
  const [o, cg, kd, kh, kw] = weight.shape as [number, number, number, number, number];
  const [sd, pd, dd] = [stride[0]!, padding[0]!, dilation[0]!];
  const od = windowCount(d, kd, dd, pd, sd);
  const xp = pd > 0 ? pad(x, [0, 0, 0, 0, pd, pd]) : x;
  const taps: Tensor[] = [];
  for (let j = 0; j < kd; j++) {
    const start = j * dd;
    taps.push(xp.slice(2, start, start + (od - 1) * sd + 1, sd).unsqueeze(2));
  }
  // [N, C, kd, oD, H, W] -> [N, oD, C, kd, H, W] -> [N·oD, C·kd, H, W]
  const stacked = taps.length === 1 ? taps[0]! : apply('cat', taps, { dim: 2 });
  const x4 = stacked.permute([0, 3, 1, 2, 4, 5]).reshape([n * od, c * kd, h, w]);
  const w4 = weight.reshape([o, cg * kd, kh, kw]);
  const two2 = (v: readonly number[]): [number, number] => [v[1]!, v[2]!];
  const y = conv2dCore(
    x4,
    w4,
    null,
    two2(stride),
    two2(padding),
    two2(dilation),
    groups,
    undefined,
  );
  const [, , oh, ow] = y.shape as [number, number, number, number];
  const out = y.reshape([n, od, o, oh, ow]).permute([0, 2, 1, 3, 4]);
  return bias ? out.add(bias.reshape([o, 1, 1, 1])) : out;
}

function convNd(
  name: string,
  nd: 1 | 2 | 3,
  input: Tensor,
  weight: Tensor,
  bias: Tensor | null,
  opts: ConvOptions | undefined,
  activation?: 'relu',
): Tensor {
  const [x, unbatched] = batchify(name, input, nd);
  const stride = expandArg('stride', opts?.stride ?? 1, nd);
  const dilation = expandArg('dilation', opts?.dilation ?? 1, nd);
  const groups = opts?.groups ?? 1;
  const padOpt = opts?.padding ?? 0;
  if (typeof padOpt === 'string' && padOpt !== 'same' && padOpt !== 'valid')
    throw new ArgumentError(`Invalid padding string: '${String(padOpt)}'`);
  if (padOpt === 'same' && stride.some((s) => s !== 1))
    throw new ArgumentError("padding='same' is not supported for strided convolutions");
  let before: number[];
  let after: number[];
  if (padOpt === 'same') {
    const ks = weight.shape.slice(2);
    // NOTE: PyTorch's 'same': total = d·(k − 1), the odd one extra on the right/bottom.
    before = dilation.map((d, i) => Math.floor((d * ((ks[i] ?? 1) - 1)) / 2));
    after = dilation.map((d, i) => d * ((ks[i] ?? 1) - 1) - before[i]!);
  } else {
    before = padOpt === 'valid' ? new Array<number>(nd).fill(0) : expandArg('padding', padOpt, nd);
    after = before;
  }
  checkCommon(x, weight, bias, groups, before, stride, dilation);
  const ws = weight.shape;
  const channels = ws[1]! * groups;
  if (x.shape[1] !== channels) {
    throw new ShapeError(
      `Given groups=${groups}, weight of size ${shapeStr(ws)}, expected input${shapeStr(x.shape)} to have ${channels} channels, but got ${x.shape[1]} channels instead`,
    );
  }
  checkBias(bias, ws[0]!, 'Given ', ws);
  const padded = x.shape.slice(2).map((s, i) => s + before[i]! + after[i]!);
  const kernel = ws.slice(2).map((k, i) => dilation[i]! * (k - 1) + 1);
  if (padded.some((s, i) => s < kernel[i]!)) {
    throw new ShapeError(
      `Calculated padded input size per channel: (${dimsStr(padded)}). Kernel size: (${dimsStr(kernel)}). Kernel size can't be greater than actual input size`,
    );
  }
  // Asymmetric 'same' padding: the extra on the far side is padded explicitly, as PyTorch does.
  const extra = after.map((a, i) => a - before[i]!);
  if (nd === 3) {
    const xin = extra.every((e) => e === 0)
      ? x
      : pad(x, [0, extra[2]!, 0, extra[1]!, 0, extra[0]!]);
    const z = conv3dCore(xin, weight, bias, stride, before, dilation, groups);
    const y = activation === undefined ? z : z.relu();
    return unbatched ? y.squeeze(0) : y;
  }
  // 1-d convolutions run as 2-d ones over a height of 1.
  const x4 = nd === 1 ? x.unsqueeze(2) : x;
  const w4 = nd === 1 ? weight.unsqueeze(2) : weight;
  const lift = (v: number[]): [number, number] => (nd === 1 ? [1, v[0]!] : two(v));
  const liftPad = (v: number[]): [number, number] => (nd === 1 ? [0, v[0]!] : two(v));
  const xin = extra.every((e) => e === 0)
    ? x4
    : pad(x4, nd === 1 ? [0, extra[0]!] : [0, extra[1]!, 0, extra[0]!]);
  let y = conv2dCore(
    xin,
    w4,
    bias,
    lift(stride),
    liftPad(before),
    lift(dilation),
    groups,
    activation,
  );
  if (nd === 1) y = y.squeeze(2);
  return unbatched ? y.squeeze(0) : y;
}

/** F.conv1d over [N, C, L] (or [C, L]) with weight [O, C/groups, k]. */
export function conv1d(
  input: Tensor,
  weight: Tensor,
  bias?: Tensor | null,
  opts?: ConvOptions,
): Tensor {
  CONV1D.check(opts);
  return internalScope(() => {
    return convNd('conv1d', 1, input, weight, bias ?? null, opts);
  });
}

/** F.conv2d over [N, C, H, W] (or [C, H, W]) with weight [O, C/groups, kh, kw]. */
export function conv2d(
  input: Tensor,
  weight: Tensor,
  bias?: Tensor | null,
  opts?: ConvOptions,
): Tensor {
  CONV2D.check(opts);
  return internalScope(() => {
    return convNd('conv2d', 2, input, weight, bias ?? null, opts);
  });
}

/**
 * @internal relu(conv{1,2,3}d(...)), the relu applied by the conv2d primitive as it stores its
 * output where that primitive runs the convolution (nn.Sequential's Conv1d/Conv2d → ReLU).
 */
export function convThenRelu(
  nd: 1 | 2 | 3,
  input: Tensor,
  weight: Tensor,
  bias: Tensor | null,
  opts: ConvOptions,
): Tensor {
  [CONV1D, CONV2D, CONV3D][nd - 1]!.check(opts);
  return internalScope(() => {
    return convNd(`conv${nd}d`, nd, input, weight, bias, opts, 'relu');
  });
}

/** F.conv3d over [N, C, D, H, W] (or [C, D, H, W]) with weight [O, C/groups, kd, kh, kw]. */
export function conv3d(
  input: Tensor,
  weight: Tensor,
  bias?: Tensor | null,
  opts?: ConvOptions,
): Tensor {
  CONV3D.check(opts);
  return internalScope(() => {
    return convNd('conv3d', 3, input, weight, bias ?? null, opts);
  });
}

/**
 * The transposed convolution over [N, Cin, H, W] with weight [Cin, O/g, kh, kw]: each input pixel
 * scatters weight·x into the output (a matmul to columns, then fold sums the overlaps).
 */
function convTranspose2dCore(
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null,
  stride: [number, number],
  padding: [number, number],
  outputPadding: [number, number],
  dilation: [number, number],
  groups: number,
  outSize: [number, number],
): Tensor {
  const [n, cin, h, w] = x.shape as [number, number, number, number];
  const [, og, kh, kw] = weight.shape as [number, number, number, number];
  const k = og * kh * kw;
  const l = h * w;
  const cols =
    groups === 1
      ? apply('matmul', [weight.reshape([cin, k]).transpose(0, 1), x.reshape([n, cin, l])], {})
      : apply(
          'matmul',
          [
            weight.reshape([groups, cin / groups, k]).transpose(1, 2),
            x.reshape([n, groups, cin / groups, l]),
          ],
          {},
        ).reshape([n, groups * k, l]);
  const window = { kernelSize: [kh, kw] as [number, number], dilation, stride };
  let out: Tensor;
  if (outputPadding[0] < stride[0] && outputPadding[1] < stride[1]) {
    out = apply('fold', [cols], { ...window, padding, outputSize: outSize });
  } else {
    // output_padding ≥ stride (allowed when below the dilation): fold the uncropped output, then
    // crop the padding and extend with zeros to the requested size.
    const full: [number, number] = [
      (h - 1) * stride[0] + dilation[0] * (kh - 1) + 1,
      (w - 1) * stride[1] + dilation[1] * (kw - 1) + 1,
    ];
    const folded = apply('fold', [cols], { ...window, padding: [0, 0], outputSize: full });
    out = pad(folded, [
      -padding[1],
      outSize[1] + padding[1] - full[1],
      -padding[0],
      outSize[0] + padding[0] - full[0],
    ]);
  }
  return bias ? out.add(bias.reshape([og * groups, 1, 1])) : out;
}

/**
 * The transposed convolution over [N, Cin, D, H, W] with weight [Cin, O/g, kd, kh, kw]: a 2-d
 * transposed convolution of every input depth slice with the weight read as [Cin, O/g·kd, kh, kw]
 * (each depth tap its own output channel), then the taps summed into their output depths by a
 * fold with a kd x 1 kernel.
 */
function convTranspose3dCore(
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null,
  stride: readonly number[],
  padding: readonly number[],
  outputPadding: readonly number[],
  dilation: readonly number[],
  groups: number,
  outSize: readonly number[],
): Tensor {
  const [n, cin, id, h, w] = x.shape as [number, number, number, number, number];
  const [, og, kd, kh, kw] = weight.shape as [number, number, number, number, number];
  const c = og * groups;
  const two2 = (v: readonly number[]): [number, number] => [v[1]!, v[2]!];
  const x4 = x.permute([0, 2, 1, 3, 4]).reshape([n * id, cin, h, w]);
  const y = convTranspose2dCore(
    x4,
    weight.reshape([cin, og * kd, kh, kw]),
    null,
    two2(stride),
    two2(padding),
    two2(outputPadding),
    two2(dilation),
    groups,
    two2(outSize),
  );
  const [oh, ow] = two2(outSize);
  // [N·iD, C·kd, oh, ow] -> [N·oh·ow, C·kd, iD]: fold's columns, the input depths as blocks.
  const cols = y
    .reshape([n, id, c * kd, oh * ow])
    .permute([0, 3, 2, 1])
    .reshape([n * oh * ow, c * kd, id]);
  const [sd, pd, opd, dd, od] = [
    stride[0]!,
    padding[0]!,
    outputPadding[0]!,
    dilation[0]!,
    outSize[0]!,
  ];
  const window = {
    kernelSize: [kd, 1] as [number, number],
    dilation: [dd, 1] as [number, number],
    stride: [sd, 1] as [number, number],
  };
  let depth: Tensor;
  if (opd < sd) {
    depth = apply('fold', [cols], { ...window, padding: [pd, 0], outputSize: [od, 1] });
  } else {
    // output_padding ≥ stride: fold the uncropped depth, then crop and extend, as in 2-d.
    const full = (id - 1) * sd + dd * (kd - 1) + 1;
    const folded = apply('fold', [cols], { ...window, padding: [0, 0], outputSize: [full, 1] });
    depth = pad(folded, [0, 0, -pd, od + pd - full]);
  }
  const out = depth.reshape([n, oh, ow, c, od]).permute([0, 3, 4, 1, 2]);
  return bias ? out.add(bias.reshape([c, 1, 1, 1])) : out;
}

function convTransposeNd(
  name: string,
  nd: 1 | 2 | 3,
  input: Tensor,
  weight: Tensor,
  bias: Tensor | null,
  opts: ConvTransposeOptions | undefined,
): Tensor {
  const [x, unbatched] = batchify(name, input, nd);
  const stride = expandArg('stride', opts?.stride ?? 1, nd);
  const padding = expandArg('padding', opts?.padding ?? 0, nd);
  const outputPadding = expandArg('output_padding', opts?.outputPadding ?? 0, nd);
  const dilation = expandArg('dilation', opts?.dilation ?? 1, nd);
  const groups = opts?.groups ?? 1;
  checkCommon(x, weight, bias, groups, padding, stride, dilation, outputPadding);
  const ws = weight.shape;
  if (x.shape[1] !== ws[0]) {
    throw new ShapeError(
      `Given transposed=1, weight of size ${shapeStr(ws)}, expected input${shapeStr(x.shape)} to have ${ws[0]} channels, but got ${x.shape[1]} channels instead`,
    );
  }
  checkBias(bias, ws[1]! * groups, 'Given transposed=1, ', ws);
  if (outputPadding.some((op, i) => !(op < stride[i]! || op < dilation[i]!))) {
    const names = ['depth', 'height', 'width'].slice(3 - nd);
    const list = (what: string, v: number[]) =>
      names.map((d, i) => `${what}_${d}: ${v[i]}`).join(' ');
    throw new ArgumentError(
      `output padding must be smaller than either stride or dilation, but got ${list('output_padding', outputPadding)} ${list('stride', stride)} ${list('dilation', dilation)}`,
    );
  }
  const inSize = x.shape.slice(2);
  const outSize = inSize.map(
    (s, i) =>
      (s - 1) * stride[i]! -
      2 * padding[i]! +
      dilation[i]! * (ws[i + 2]! - 1) +
      outputPadding[i]! +
      1,
  );
  if (outSize.some((s) => s < 1)) {
    throw new ShapeError(
      `Given input size per channel: (${dimsStr(inSize)}). Calculated output size per channel: (${dimsStr(outSize)}). Output size is too small`,
    );
  }
  if (nd === 3) {
    const y = convTranspose3dCore(
      x,
      weight,
      bias,
      stride,
      padding,
      outputPadding,
      dilation,
      groups,
      outSize,
    );
    return unbatched ? y.squeeze(0) : y;
  }
  const lift = (v: number[], fill: number): [number, number] => (nd === 1 ? [fill, v[0]!] : two(v));
  let y = convTranspose2dCore(
    nd === 1 ? x.unsqueeze(2) : x,
    nd === 1 ? weight.unsqueeze(2) : weight,
    bias,
    lift(stride, 1),
    lift(padding, 0),
    lift(outputPadding, 0),
    lift(dilation, 1),
    groups,
    lift(outSize, 1),
  );
  if (nd === 1) y = y.squeeze(2);
  return unbatched ? y.squeeze(0) : y;
}

/** F.conv_transpose1d over [N, Cin, L] (or [Cin, L]) with weight [Cin, O/groups, k]. */
export function convTranspose1d(
  input: Tensor,
  weight: Tensor,
  bias?: Tensor | null,
  opts?: ConvTransposeOptions,
): Tensor {
  CONV_TRANSPOSE1D.check(opts);
  return internalScope(() => {
    return convTransposeNd('conv_transpose1d', 1, input, weight, bias ?? null, opts);
  });
}

/** F.conv_transpose2d over [N, Cin, H, W] (or [Cin, H, W]) with weight [Cin, O/groups, kh, kw]. */
export function convTranspose2d(
  input: Tensor,
  weight: Tensor,
  bias?: Tensor | null,
  opts?: ConvTransposeOptions,
): Tensor {
  CONV_TRANSPOSE2D.check(opts);
  return internalScope(() => {
    return convTransposeNd('conv_transpose2d', 2, input, weight, bias ?? null, opts);
  });
}

/** F.conv_transpose3d over [N, Cin, D, H, W] (or [Cin, D, H, W]) with weight [Cin, O/groups, kd, kh, kw]. */
export function convTranspose3d(
  input: Tensor,
  weight: Tensor,
  bias?: Tensor | null,
  opts?: ConvTransposeOptions,
): Tensor {
  CONV_TRANSPOSE3D.check(opts);
  return internalScope(() => {
    return convTransposeNd('conv_transpose3d', 3, input, weight, bias ?? null, opts);
  });
}

// nn.functional normalisation (batchNorm, layerNorm, groupNorm) and embedding, composed from primitives.
import { defineOptions } from '../../options.js';
import { escape, internalScope } from '../../memory.js';
import { noGrad } from '../../autograd/grad_mode.js';
import { ArgumentError, DTypeError, ShapeError } from '../../errors.js';
import { fromArray } from '../../functions/creation.js';
import { where } from '../../functions/elementwise.js';
import { cat } from '../../functions/shape_ops.js';
import { isFloating } from '../../dtype.js';
import { apply } from '../../ops/apply.js';
import type { Tensor } from '../../tensor.js';

const BATCH_NORM = defineOptions<BatchNormOptions>('nn.functional.batchNorm', {
  weight: ['tensor', 'null'],
  bias: ['tensor', 'null'],
  training: 'boolean',
  momentum: 'number',
  eps: 'number',
});
const LAYER_NORM = defineOptions<LayerNormOptions>('nn.functional.layerNorm', {
  weight: ['tensor', 'null'],
  bias: ['tensor', 'null'],
  eps: 'number',
});
const GROUP_NORM = defineOptions<GroupNormOptions>('nn.functional.groupNorm', {
  weight: ['tensor', 'null'],
  bias: ['tensor', 'null'],
  eps: 'number',
});
const EMBEDDING = defineOptions<EmbeddingOptions>('nn.functional.embedding', {
  paddingIdx: ['integer', 'null'],
  maxNorm: ['number', 'null'],
  normType: 'number',
  scaleGradByFreq: 'boolean',
});

const shapeList = (shape: readonly number[]) => `[${shape.join(', ')}]`;

/** PyTorch's _verify_batch_size: a channel needs more than one value to have a batch variance. */
function verifyBatchSize(size: readonly number[], shown: string): void {
  let n = size[0] ?? 1;
  for (let i = 2; i < size.length; i++) n *= size[i]!;
  if (n === 1)
    throw new ShapeError(
      `Expected more than 1 value per channel when training, got input size ${shown}`,
    );
}

/** [1, C, 1, …]: how a per-channel vector broadcasts against an [N, C, *] input. */
function channelShape(input: Tensor): number[] {
  return input.shape.map((s, i) => (i === 1 ? s : 1));
}

function checkChannels(what: string, t: Tensor | null | undefined, c: number): void {
  if (t && t.numel() !== c)
    throw new ShapeError(`${what} should contain ${c} elements not ${t.numel()}`);
}

/** y = x̂·w + b for whichever of weight and bias is given, each reshaped to `shape`. */
function affine(
  x: Tensor,
  weight: Tensor | null | undefined,
  bias: Tensor | null | undefined,
  shape: readonly number[],
): Tensor {
  let y = weight ? x.mul(weight.reshape(shape)) : x;
  if (bias) y = y.add(bias.reshape(shape));
  return y;
}

/** (x − mean)/√(var + eps) over `dims`, with the biased variance; also returns the statistics. */
function normalize(
  x: Tensor,
  dims: readonly number[],
  eps: number,
): { y: Tensor; mean: Tensor; variance: Tensor } {
  const mean = x.mean(dims, true);
  const centered = x.sub(mean);
  const variance = centered.square().mean(dims, true);
  return { y: centered.mul(variance.add(eps).rsqrt()), mean, variance };
}

export interface BatchNormOptions {
  readonly weight?: Tensor | null;
  readonly bias?: Tensor | null;
  /** Normalise with the batch statistics (and update the running ones); default false, as PyTorch. */
  readonly training?: boolean;
  /** The weight of the new batch in the running averages (default 0.1). */
  readonly momentum?: number;
  readonly eps?: number;
}

/**
 * Batch normalisation over dim 1 of an [N, C, *] input. In training, normalises with the batch
 * mean and biased variance, and (when given) updates runningMean and runningVar in place, without
 * recording, as r ← (1 − momentum)·r + momentum·stat with the unbiased variance. Otherwise it
 * normalises with the running statistics. NOTE: as in PyTorch's F.batch_norm, momentum is a number:
 * BatchNorm's cumulative average (momentum null) passes 1/numBatchesTracked here.
 */
export function batchNorm(
  input: Tensor,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  opts?: BatchNormOptions,
): Tensor {
  BATCH_NORM.check(opts);
  return internalScope(() => {
    const training = opts?.training ?? false;
    const momentum = opts?.momentum ?? 0.1;
    const eps = opts?.eps ?? 1e-5;
    if (input.ndim < 2)
      throw new ShapeError(
        `batch_norm: expected an input with at least 2 dimensions, [N, C, *] (got ${input.ndim}D input)`,
      );
    if (training) verifyBatchSize(input.shape, `torch.Size(${shapeList(input.shape)})`);
    const c = input.shape[1]!;
    checkChannels('weight', opts?.weight, c);
    checkChannels('bias', opts?.bias, c);
    checkChannels('running_mean', runningMean, c);
    checkChannels('running_var', runningVar, c);
    if (!training) {
      if (!runningMean) throw new ArgumentError('running_mean must be defined in evaluation mode');
      if (!runningVar) throw new ArgumentError('running_var must be defined in evaluation mode');
    }
    const weight = opts?.weight ?? null;
    const bias = opts?.bias ?? null;
    const fused = fusedBatchNorm(
      input,
      training ? null : [runningMean!, runningVar!],
      weight,
      bias,
    );
    if (fused === null) {
      return batchNormComposite(input, runningMean, runningVar, {
        ...opts,
        training,
        momentum,
        eps,
      });
    }
    const stats = fused.stats ?? noGrad(() => apply('batchNormStats', [input.detach()], {}));
    if (training && (runningMean || runningVar)) {
      const n = input.numel() / c;
      const [mean, variance] = [stats.select(0, 0), stats.select(0, 1)];
      updateRunningStats(mean, variance, n, runningMean, runningVar, momentum);
    }
    const ins = [
      input,
      stats,
      ...(weight ? [weight.reshape([c])] : []),
      ...(bias ? [bias.reshape([c])] : []),
    ];
    return apply('batchNorm', ins, { eps, training, weight: weight !== null, bias: bias !== null });
  });
}

/**
 * Whether the fused primitives take this call: a non-empty floating input, and weight, bias and
 * (in evaluation) running statistics of its dtype, the running statistics without gradients.
 * Returns the evaluation statistics [2, C] (null in training: computed from the input).
 */
function fusedBatchNorm(
  input: Tensor,
  running: readonly [Tensor, Tensor] | null,
  weight: Tensor | null,
  bias: Tensor | null,
): { stats: Tensor | null } | null {
  const dt = input.dtype;
  if (!isFloating(dt) || input.numel() === 0) return null;
  if ((weight && weight.dtype !== dt) || (bias && bias.dtype !== dt)) return null;
  if (running === null) return { stats: null };
  const [m, v] = running;
  if (m.dtype !== dt || v.dtype !== dt || m.requiresGrad || v.requiresGrad) return null;
  const c = input.shape[1]!;
  return { stats: noGrad(() => cat([m.reshape([1, c]), v.reshape([1, c])], 0)) };
}

/**
 * r ← (1 − momentum)·r + momentum·stat, unrecorded, from the batch's per-channel mean and biased
 * variance ([C] each) over n values per channel; the variance enters unbiased, var·n/(n − 1).
 */
function updateRunningStats(
  mean: Tensor,
  variance: Tensor,
  n: number,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  momentum: number,
): void {
  noGrad(() => {
    if (runningMean) runningMean.copy_(runningMean.mul(1 - momentum).add(mean.mul(momentum)));
    if (runningVar) {
      const unbiased = variance.mul(n / (n - 1));
      runningVar.copy_(runningVar.mul(1 - momentum).add(unbiased.mul(momentum)));
    }
  });
}

/**
 * Batch norm composed from elementwise ops and reductions: the reference the fused primitives are
 * tested against, and the path of the calls they do not take (empty input, mixed dtypes, running
 * statistics that require grad). Takes checked arguments.
 */
export function batchNormComposite(
  input: Tensor,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  opts: BatchNormOptions & { training: boolean; momentum: number; eps: number },
): Tensor {
  return internalScope(() => {
    const { training, momentum, eps } = opts;
    const c = input.shape[1]!;
    const shape = channelShape(input);
    const dims = input.shape.map((_, i) => i).filter((i) => i !== 1);

    if (!training) {
      const mean = runningMean!.reshape(shape);
      const invStd = runningVar!.reshape(shape).add(eps).rsqrt();
      return affine(input.sub(mean).mul(invStd), opts?.weight, opts?.bias, shape);
    }

    const { y, mean, variance } = normalize(input, dims, eps);
    if (runningMean || runningVar) {
      const [m, v] = [mean.detach().reshape([c]), variance.detach().reshape([c])];
      updateRunningStats(m, v, input.numel() / c, runningMean, runningVar, momentum);
    }
    return affine(y, opts?.weight, opts?.bias, shape);
  });
}

export interface LayerNormOptions {
  readonly weight?: Tensor | null;
  readonly bias?: Tensor | null;
  readonly eps?: number;
}

/** Layer normalisation over the last dims (those of normalizedShape), biased variance. */
export function layerNorm(
  input: Tensor,
  normalizedShape: number | readonly number[],
  opts?: LayerNormOptions,
): Tensor {
  LAYER_NORM.check(opts);
  return internalScope(() => {
    const ns = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    const eps = opts?.eps ?? 1e-5;
    if (ns.length < 1) {
      throw new ShapeError(
        'Expected normalized_shape to be at least 1-dimensional, i.e., containing at least one element, but got normalized_shape = []',
      );
    }
    for (const what of ['weight', 'bias'] as const) {
      const t = opts?.[what];
      if (t && (t.ndim !== ns.length || t.shape.some((s, i) => s !== ns[i]))) {
        throw new ShapeError(
          `Expected ${what} to be of same shape as normalized_shape, but got ${what} of shape ${shapeList(t.shape)} and normalized_shape = ${shapeList(ns)}`,
        );
      }
    }
    const k = input.ndim - ns.length;
    if (k < 0 || ns.some((s, i) => input.shape[k + i] !== s)) {
      throw new ShapeError(
        `Given normalized_shape=${shapeList(ns)}, expected input with shape [*${ns.map((s) => `, ${s}`).join('')}], but got input of size${shapeList(input.shape)}`,
      );
    }
    const dims = ns.map((_, i) => k + i);
    return affine(normalize(input, dims, eps).y, opts?.weight, opts?.bias, ns);
  });
}

export interface GroupNormOptions {
  readonly weight?: Tensor | null;
  readonly bias?: Tensor | null;
  readonly eps?: number;
}

/**
 * Group normalisation of an [N, C, *] input: the channels are split into numGroups groups, each
 * normalised over its channels and positions (biased variance), then a per-channel affine.
 */
export function groupNorm(input: Tensor, numGroups: number, opts?: GroupNormOptions): Tensor {
  GROUP_NORM.check(opts);
  return internalScope(() => {
    const eps = opts?.eps ?? 1e-5;
    if (input.ndim < 2) {
      throw new ShapeError(
        `group_norm: expected an input with at least 2 dimensions, [N, C, *] (got ${input.ndim}D input)`,
      );
    }
    const [n, c] = input.shape as [number, number];
    const spatial = input.shape.slice(2);
    verifyBatchSize(
      [Math.floor((n * c) / numGroups), numGroups, ...spatial],
      shapeList([Math.floor((n * c) / numGroups), numGroups, ...spatial]),
    );
    if (c % numGroups !== 0) {
      throw new ShapeError(
        `Expected number of channels in input to be divisible by num_groups, but got input of shape ${shapeList(input.shape)} and num_groups=${numGroups}`,
      );
    }
    for (const what of ['weight', 'bias'] as const) {
      const t = opts?.[what];
      if (t && (t.ndim !== 1 || t.numel() !== c)) {
        throw new ShapeError(
          `Expected ${what} to be a vector of size equal to the number of channels in input, but got ${what} of shape ${shapeList(t.shape)} and input of shape ${shapeList(input.shape)}`,
        );
      }
    }
    const grouped = input.reshape([n, numGroups, -1]);
    const y = normalize(grouped, [2], eps).y.reshape(input.shape);
    return affine(y, opts?.weight, opts?.bias, channelShape(input));
  });
}

export interface EmbeddingOptions {
  /** The row that gets no gradient (negative counts from the end); its value is still looked up. */
  readonly paddingIdx?: number | null;
  /** Rows looked up whose normType-norm exceeds maxNorm are first rescaled in place to maxNorm. */
  readonly maxNorm?: number | null;
  readonly normType?: number;
  /** Divides each row's gradient by how often its index occurs in the input. */
  readonly scaleGradByFreq?: boolean;
}

/** The padding index made non-negative, checked against numEmbeddings as PyTorch asserts it. */
export function normalizePaddingIdx(
  paddingIdx: number | null | undefined,
  numEmbeddings: number,
): number | null {
  if (paddingIdx === null || paddingIdx === undefined) return null;
  if (paddingIdx >= numEmbeddings || paddingIdx < -numEmbeddings)
    throw new ArgumentError('Padding_idx must be within num_embeddings');
  return paddingIdx < 0 ? numEmbeddings + paddingIdx : paddingIdx;
}

/** Each distinct index in `indices`, with its count. */
function counts(indices: Tensor): Map<number, number> {
  const m = new Map<number, number>();
  for (const v of indices.dataSync()) m.set(Number(v), (m.get(Number(v)) ?? 0) + 1);
  return m;
}

/**
 * PyTorch's embedding_renorm_: each row referenced by `indices` whose norm exceeds maxNorm is
 * scaled in place by maxNorm/(norm + 1e-7), without recording.
 */
function embeddingRenorm_(weight: Tensor, indices: Tensor, maxNorm: number, normType: number) {
  noGrad(() => {
    const rows = [...counts(indices).keys()];
    if (rows.length === 0) return;
    const norms = weight.indexSelect(0, rows).norm(normType, 1).dataSync();
    const scale = new Float64Array(weight.shape[0]!).fill(1);
    let any = false;
    rows.forEach((r, i) => {
      const norm = Number(norms[i]);
      if (norm > maxNorm) {
        scale[r] = maxNorm / (norm + 1e-7);
        any = true;
      }
    });
    if (!any) return;
    const s = fromArray(scale, [weight.shape[0]!, 1], 'float64', { device: weight.device });
    weight.copy_(weight.mul(s));
  });
}

/**
 * Looks up rows of weight [numEmbeddings, dim] by the int32 indices in input: the result has shape
 * [...input.shape, dim]. Repeated indices add their gradients into the same row; the paddingIdx
 * row gets none.
 */
export function embedding(input: Tensor, weight: Tensor, opts?: EmbeddingOptions): Tensor {
  EMBEDDING.check(opts);
  return internalScope(() => {
    if (weight.ndim !== 2) throw new ShapeError("'weight' must be 2-D");
    if (input.dtype !== 'int32') {
      throw new DTypeError(
        `Expected tensor for argument #1 'indices' to have one of the following scalar types: int32; but got ${input.dtype} instead (while checking arguments for embedding)`,
      );
    }
    const paddingIdx = normalizePaddingIdx(opts?.paddingIdx, weight.shape[0]!);
    const flat = input.reshape([-1]);
    if (opts?.maxNorm !== null && opts?.maxNorm !== undefined)
      embeddingRenorm_(weight, flat, opts.maxNorm, opts.normType ?? 2);
    let rows = weight.indexSelect(0, flat);
    if (opts?.scaleGradByFreq && rows.requiresGrad) {
      const freq = counts(flat);
      const scale = Array.from(flat.dataSync(), (v) => 1 / freq.get(Number(v))!);
      const s = fromArray(Float64Array.from(scale), [scale.length, 1], 'float64', {
        device: weight.device,
      });
      // the forward value is untouched: only the gradient flowing back into the rows is divided
      escape(s); // the hook holds it until backward
      rows.registerHook((g) => g.mul(s).to(g.dtype));
    }
    if (paddingIdx !== null && rows.requiresGrad) {
      // where(pad, detached, rows): the same values, but no gradient reaches the padding row
      rows = where(flat.eq(paddingIdx).unsqueeze(1), rows.detach(), rows);
    }
    return rows.reshape([...input.shape, weight.shape[1]!]);
  });
}

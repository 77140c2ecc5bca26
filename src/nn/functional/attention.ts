// Attention composed from differentiable ops: F.scaledDotProductAttention (PyTorch 2.1's) and PyTorch 1.13's F.multi_head_attention_forward built on it.
import { defineOptions } from '../../options.js';
import { internalScope } from '../../memory.js';
import { isFloating, type DType } from '../../dtype.js';
import { ArgumentError, DeviceError, DTypeError, ShapeError } from '../../errors.js';
import { arange, zeros } from '../../functions/creation.js';
import { cat } from '../../functions/shape_ops.js';
import type { Tensor } from '../../tensor.js';
import { dropout, linear } from './activation.js';

const MHA_FORWARD = defineOptions<MultiHeadAttentionOptions>(
  'nn.functional.multiHeadAttentionForward',
  {
    keyPaddingMask: ['tensor', 'null'],
    needWeights: 'boolean',
    attnMask: ['tensor', 'null'],
    averageAttnWeights: 'boolean',
  },
);

export interface MultiHeadAttentionParams {
  readonly numHeads: number;
  /** [3E, E]: the packed q, k, v projections (null when the separate ones are given). */
  readonly inProjWeight: Tensor | null;
  readonly inProjBias: Tensor | null;
  readonly outProjWeight: Tensor;
  readonly outProjBias: Tensor | null;
  /** Separate projections [E, E], [E, kdim], [E, vdim] (used when inProjWeight is null). */
  readonly qProjWeight?: Tensor | null;
  readonly kProjWeight?: Tensor | null;
  readonly vProjWeight?: Tensor | null;
  /** [1, 1, E] rows appended to the projected keys and values (addBiasKv). */
  readonly biasK?: Tensor | null;
  readonly biasV?: Tensor | null;
  readonly addZeroAttn?: boolean;
  readonly dropoutP?: number;
  readonly training?: boolean;
}

export interface MultiHeadAttentionOptions {
  /** [N, S] (or [S] unbatched): true (or −inf added) where a key is padding. */
  readonly keyPaddingMask?: Tensor | null;
  /** Return the attention weights too (default true). */
  readonly needWeights?: boolean;
  /** [L, S] or [N·heads, L, S]: true where attention is not allowed, or a float mask that is added. */
  readonly attnMask?: Tensor | null;
  /** Average the returned weights over heads (default true). */
  readonly averageAttnWeights?: boolean;
}

const sizeStr = (s: readonly number[]) => `torch.Size([${s.join(', ')}])`;
const tuple = (s: readonly number[]) => `(${s.join(', ')})`;

/** A boolean mask as an additive float mask (−inf where true); a float mask cast to `dtype`. */
function additive(mask: Tensor, dtype: DType): Tensor {
  if (mask.dtype === 'bool')
    return zeros(mask.shape, { dtype, device: mask.device }).maskedFill(mask, -Infinity);
  return mask.to(dtype);
}

/**
 * The attention weights softmax(q·kᵀ·scale + mask) along the last dim (batch dims broadcast, the
 * mask added), with dropout on them when dropoutP > 0. NOTE: q is scaled before the product, as
 * PyTorch 1.13's multi-head attention does (L·E products rather than L·S).
 */
function attentionWeights(
  q: Tensor,
  k: Tensor,
  mask: Tensor | null,
  scale: number,
  dropoutP: number,
): Tensor {
  let weights = q.mul(scale).matmul(k.transpose(-2, -1));
  if (mask !== null) weights = weights.add(mask);
  weights = weights.softmax(-1);
  return dropoutP > 0 ? dropout(weights, { p: dropoutP }) : weights;
}

export interface ScaledDotProductAttentionOptions {
  /**
   * Broadcastable to [..., L, S]: a bool mask (true: the key takes part; false: −inf is added) or
   * a float mask of query's dtype that is added to the scores.
   */
  readonly attnMask?: Tensor | null;
  /** Dropout probability on the attention weights, applied when above 0 (default 0). */
  readonly dropoutP?: number;
  /** Masks the upper triangle of [L, S] (query i sees keys 0..i); not with attnMask (default false). */
  readonly isCausal?: boolean;
  /** The factor the scores q·kᵀ are multiplied by (default 1/√E). */
  readonly scale?: number | null;
}

const SDPA = defineOptions<ScaledDotProductAttentionOptions>(
  'nn.functional.scaledDotProductAttention',
  {
    attnMask: ['tensor', 'null'],
    dropoutP: 'number',
    isCausal: 'boolean',
    scale: ['number', 'null'],
  },
);

/** PyTorch's C++ type names, as scaled_dot_product_attention's messages write them. */
const CPP_TYPE_NAMES: { readonly [D in DType]: string } = {
  float32: 'float',
  float64: 'double',
  int32: 'long int',
  bool: 'bool',
};

/** PyTorch 2.1's checks of scaled_dot_product_attention's inputs, in its words. */
function checkAttentionInputs(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | null): void {
  const n = CPP_TYPE_NAMES;
  if (q.dtype !== k.dtype || q.dtype !== v.dtype) {
    throw new DTypeError(
      `Expected query, key, and value to have the same dtype, but got query.dtype: ${n[q.dtype]} key.dtype: ${n[k.dtype]} and value.dtype: ${n[v.dtype]} instead.`,
    );
  }
  if (q.device !== k.device || q.device !== v.device) {
    throw new DeviceError(
      `Expected query, key, and value to have the same device type, but got query.device: ${q.device} key.device: ${k.device} and value.device: ${v.device} instead.`,
    );
  }
  // NOTE: the double spaces are PyTorch's
  if (q.ndim < 2 || k.ndim < 2 || v.ndim < 2) {
    throw new ShapeError(
      `Expected query, key, and value to all be  at least 2 dimensional, but got query.dim: ${q.ndim} key.dim: ${k.ndim} and value.dim: ${v.ndim} instead.`,
    );
  }
  if (mask !== null && mask.dtype !== 'bool' && mask.dtype !== q.dtype) {
    throw new DTypeError(
      `Expected attn_mask dtype to be bool or to match query dtype, but got attn_mask.dtype: ${n[mask.dtype]} and  query.dtype: ${n[q.dtype]} instead.`,
    );
  }
  // PyTorch scales integral inputs to float, then refuses the product of the weights with value
  if (!isFloating(v.dtype)) {
    throw new DTypeError(
      `expected m1 and m2 to have the same dtype, but got: float != ${n[v.dtype]}`,
    );
  }
}

/**
 * F.scaled_dot_product_attention (PyTorch 2.1): softmax(q·kᵀ·scale + mask)·v over query
 * [..., L, E], key [..., S, E] and value [..., S, Ev], giving [..., L, Ev] (batch dims broadcast).
 * A bool attnMask says which keys take part (false adds −inf), a float one is added; isCausal
 * masks keys after the query's position; dropout (nabla's RNG) acts on the weights when dropoutP
 * > 0. A row with every key masked gives NaN, as the documented math and PyTorch 2.1.
 */
export function scaledDotProductAttention(
  query: Tensor,
  key: Tensor,
  value: Tensor,
  opts?: ScaledDotProductAttentionOptions,
): Tensor {
  SDPA.check(opts);
  const attnMask = opts?.attnMask ?? null;
  checkAttentionInputs(query, key, value, attnMask);
  const dropoutP = opts?.dropoutP ?? 0;
  if (dropoutP > 1)
    throw new ArgumentError(`dropout probability has to be between 0 and 1, but got ${dropoutP}`);
  if (opts?.isCausal === true && attnMask !== null) {
    throw new ArgumentError(
      '_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True',
    );
  }
  return internalScope(() => {
    const [L, S] = [query.shape[query.ndim - 2]!, key.shape[key.ndim - 2]!];
    let mask: Tensor | null = null;
    if (opts?.isCausal === true) {
      const device = query.device;
      // key j is masked for query i when j > i (the lower triangle of [L, S] takes part)
      mask = additive(arange(S, { device }).gt(arange(L, { device }).unsqueeze(1)), query.dtype);
    } else if (attnMask !== null) {
      mask = attnMask.dtype === 'bool' ? additive(attnMask.logicalNot(), query.dtype) : attnMask;
    }
    const scale = opts?.scale ?? 1 / Math.sqrt(query.shape[query.ndim - 1]!);
    return attentionWeights(query, key, mask, scale, dropoutP).matmul(value);
  });
}

/** Appends one column of zeros (false) along the last dim, as F.pad(mask, (0, 1)). */
function padLast(mask: Tensor): Tensor {
  const shape = [...mask.shape.slice(0, -1), 1];
  return cat([mask, zeros(shape, { dtype: mask.dtype, device: mask.device })], -1);
}

function checkShapes(
  query: Tensor,
  key: Tensor,
  value: Tensor,
  keyPaddingMask: Tensor | null,
  attnMask: Tensor | null,
  numHeads: number,
): boolean {
  if (query.ndim === 3) {
    if (key.ndim !== 3 || value.ndim !== 3) {
      throw new ShapeError(
        `For batched (3-D) \`query\`, expected \`key\` and \`value\` to be 3-D but found ${key.ndim}-D and ${value.ndim}-D tensors respectively`,
      );
    }
    if (keyPaddingMask !== null && keyPaddingMask.ndim !== 2) {
      throw new ShapeError(
        `For batched (3-D) \`query\`, expected \`key_padding_mask\` to be \`None\` or 2-D but found ${keyPaddingMask.ndim}-D tensor instead`,
      );
    }
    if (attnMask !== null && attnMask.ndim !== 2 && attnMask.ndim !== 3) {
      throw new ShapeError(
        `For batched (3-D) \`query\`, expected \`attn_mask\` to be \`None\`, 2-D or 3-D but found ${attnMask.ndim}-D tensor instead`,
      );
    }
    return true;
  }
  if (query.ndim === 2) {
    if (key.ndim !== 2 || value.ndim !== 2) {
      throw new ShapeError(
        `For unbatched (2-D) \`query\`, expected \`key\` and \`value\` to be 2-D but found ${key.ndim}-D and ${value.ndim}-D tensors respectively`,
      );
    }
    if (keyPaddingMask !== null && keyPaddingMask.ndim !== 1) {
      throw new ShapeError(
        `For unbatched (2-D) \`query\`, expected \`key_padding_mask\` to be \`None\` or 1-D but found ${keyPaddingMask.ndim}-D tensor instead`,
      );
    }
    if (attnMask !== null) {
      if (attnMask.ndim !== 2 && attnMask.ndim !== 3) {
        throw new ShapeError(
          `For unbatched (2-D) \`query\`, expected \`attn_mask\` to be \`None\`, 2-D or 3-D but found ${attnMask.ndim}-D tensor instead`,
        );
      }
      const want = [numHeads, query.shape[0]!, key.shape[0]!];
      if (attnMask.ndim === 3 && attnMask.shape.some((s, i) => s !== want[i])) {
        throw new ShapeError(
          `Expected \`attn_mask\` shape to be ${tuple(want)} but got ${sizeStr(attnMask.shape)}`,
        );
      }
    }
    return false;
  }
  throw new ShapeError(
    `query should be unbatched 2D or batched 3D tensor but received ${query.ndim}-D query tensor`,
  );
}

/** q, k, v projected; PyTorch's packed path shares one matmul when the inputs are the same tensor. */
function inProjection(
  query: Tensor,
  key: Tensor,
  value: Tensor,
  p: MultiHeadAttentionParams,
): [Tensor, Tensor, Tensor] {
  const E = query.shape[query.ndim - 1]!;
  const b = p.inProjBias;
  if (p.inProjWeight !== null) {
    const w = p.inProjWeight;
    if (key === value) {
      if (query === key) return linear(query, w, b).chunk(3, -1) as [Tensor, Tensor, Tensor];
      const [wq, wkv] = w.split([E, 2 * E]) as [Tensor, Tensor];
      const [bq, bkv] = b === null ? [null, null] : (b.split([E, 2 * E]) as [Tensor, Tensor]);
      const [k, v] = linear(key, wkv, bkv).chunk(2, -1) as [Tensor, Tensor];
      return [linear(query, wq, bq), k, v];
    }
    const [wq, wk, wv] = w.chunk(3) as [Tensor, Tensor, Tensor];
    const [bq, bk, bv] = b === null ? [null, null, null] : (b.chunk(3) as [Tensor, Tensor, Tensor]);
    return [linear(query, wq, bq), linear(key, wk, bk), linear(value, wv, bv)];
  }
  const [wq, wk, wv] = [p.qProjWeight, p.kProjWeight, p.vProjWeight];
  if (!wq || !wk || !wv)
    throw new ShapeError('use_separate_proj_weight is True but q/k/v_proj_weight is None');
  const [bq, bk, bv] = b === null ? [null, null, null] : (b.chunk(3) as [Tensor, Tensor, Tensor]);
  return [linear(query, wq, bq), linear(key, wk, bk), linear(value, wv, bv)];
}

/**
 * Multi-head attention over time-major inputs: query [L, N, E] (or [L, E]), key [S, N, kdim],
 * value [S, N, vdim]. Returns the output [L, N, E] and, with needWeights, the attention weights
 * [N, L, S] (averaged over heads) or [N, heads, L, S].
 * softmax(q·kᵀ/√d + mask)·v per head, then the output projection, exactly as PyTorch 1.13.
 */
export function multiHeadAttentionForward(
  query: Tensor,
  key: Tensor,
  value: Tensor,
  p: MultiHeadAttentionParams,
  opts?: MultiHeadAttentionOptions,
): [Tensor, Tensor | null] {
  MHA_FORWARD.check(opts);
  return internalScope(() => {
    let keyPaddingMask = opts?.keyPaddingMask ?? null;
    let attnMask = opts?.attnMask ?? null;
    const numHeads = p.numHeads;
    const batched = checkShapes(query, key, value, keyPaddingMask, attnMask, numHeads);
    if (!batched) {
      // NOTE: keeps q/k/v identity (self-attention) so the packed projection is one matmul.
      const [sameQK, sameKV] = [query === key, key === value];
      query = query.unsqueeze(1);
      key = sameQK ? query : key.unsqueeze(1);
      value = sameKV ? key : value.unsqueeze(1);
      if (keyPaddingMask !== null) keyPaddingMask = keyPaddingMask.unsqueeze(0);
    }
    const [tgtLen, bsz, embedDim] = query.shape as [number, number, number];
    if (
      keyPaddingMask !== null &&
      keyPaddingMask.dtype !== 'bool' &&
      !keyPaddingMask.isFloatingPoint()
    )
      throw new DTypeError('only bool and floating types of key_padding_mask are supported');
    const headDim = Math.floor(embedDim / numHeads);
    if (headDim * numHeads !== embedDim)
      throw new ShapeError(`embed_dim ${embedDim} not divisible by num_heads ${numHeads}`);
    if (p.inProjWeight === null) {
      if (key.shape[0] !== value.shape[0] || key.shape[1] !== value.shape[1]) {
        throw new ShapeError(
          `key's sequence and batch dims ${sizeStr(key.shape.slice(0, 2))} do not match value's ${sizeStr(value.shape.slice(0, 2))}`,
        );
      }
    } else if (key.shape.some((s, i) => s !== value.shape[i])) {
      throw new ShapeError(
        `key shape ${sizeStr(key.shape)} does not match value shape ${sizeStr(value.shape)}`,
      );
    }
    let [q, k, v] = inProjection(query, key, value, p);
    let srcLen = key.shape[0]!;

    if (attnMask !== null) {
      if (attnMask.dtype !== 'bool' && !attnMask.isFloatingPoint()) {
        throw new DTypeError(
          `Only float, byte, and bool types are supported for attn_mask, not ${attnMask.dtype}`,
        );
      }
      const want = attnMask.ndim === 2 ? [tgtLen, srcLen] : [bsz * numHeads, tgtLen, srcLen];
      if (attnMask.shape.some((s, i) => s !== want[i])) {
        throw new ShapeError(
          `The shape of the ${attnMask.ndim}D attn_mask is ${sizeStr(attnMask.shape)}, but should be ${tuple(want)}.`,
        );
      }
      if (attnMask.ndim === 2) attnMask = attnMask.unsqueeze(0);
    }

    if (p.biasK && p.biasV) {
      k = cat([k, p.biasK.repeat(1, bsz, 1)]);
      v = cat([v, p.biasV.repeat(1, bsz, 1)]);
      if (attnMask !== null) attnMask = padLast(attnMask);
      if (keyPaddingMask !== null) keyPaddingMask = padLast(keyPaddingMask);
    }

    // [seq, N, E] → [N·heads, seq, headDim]
    q = q.reshape(tgtLen, bsz * numHeads, headDim).transpose(0, 1);
    k = k.reshape(k.shape[0]!, bsz * numHeads, headDim).transpose(0, 1);
    v = v.reshape(v.shape[0]!, bsz * numHeads, headDim).transpose(0, 1);

    if (p.addZeroAttn) {
      const z = zeros([bsz * numHeads, 1, headDim], { dtype: k.dtype, device: k.device });
      k = cat([k, z], 1);
      v = cat([v, z], 1);
      if (attnMask !== null) attnMask = padLast(attnMask);
      if (keyPaddingMask !== null) keyPaddingMask = padLast(keyPaddingMask);
    }
    srcLen = k.shape[1]!;

    // One additive mask: the attention mask plus the key padding mask spread over the heads.
    let mask: Tensor | null = attnMask === null ? null : additive(attnMask, q.dtype);
    if (keyPaddingMask !== null) {
      if (keyPaddingMask.shape[0] !== bsz || keyPaddingMask.shape[1] !== srcLen) {
        throw new ShapeError(
          `expecting key_padding_mask shape of ${tuple([bsz, srcLen])}, but got ${sizeStr(keyPaddingMask.shape)}`,
        );
      }
      const kpm = additive(keyPaddingMask, q.dtype)
        .reshape(bsz, 1, 1, srcLen)
        .expand(-1, numHeads, -1, -1)
        .reshape(bsz * numHeads, 1, srcLen);
      mask = mask === null ? kpm : mask.add(kpm);
    }

    const dropoutP = p.training === false ? 0 : (p.dropoutP ?? 0);
    const weights = attentionWeights(q, k, mask, 1 / Math.sqrt(headDim), dropoutP);

    let out = weights
      .bmm(v)
      .transpose(0, 1)
      .reshape(tgtLen * bsz, embedDim);
    out = linear(out, p.outProjWeight, p.outProjBias).reshape(tgtLen, bsz, embedDim);
    if (!batched) out = out.squeeze(1);
    if (!(opts?.needWeights ?? true)) return [out, null];
    let w = weights.reshape(bsz, numHeads, tgtLen, srcLen);
    if (opts?.averageAttnWeights ?? true) w = w.sum(1).div(numHeads);
    return [out, batched ? w : w.squeeze(0)];
  });
}

// nn.MultiheadAttention with PyTorch's parameters, init and masks (the math is F.multiHeadAttentionForward).
import { argsOrOptions, defineOptions, DTYPE } from '../../options.js';
import type { DType } from '../../dtype.js';
import { ArgumentError } from '../../errors.js';
import { empty } from '../../functions/creation.js';
import type { Tensor } from '../../tensor.js';
import {
  multiHeadAttentionForward,
  type MultiHeadAttentionOptions,
} from '../functional/attention.js';
import { constant_, xavierNormal_, xavierUniform_ } from '../init.js';
import { libraryLayers, Module } from '../module.js';
import { Parameter } from '../parameter.js';
import { Linear } from './linear.js';

/** PyTorch's name for the output projection of MultiheadAttention: a plain Linear. */
export class NonDynamicallyQuantizableLinear extends Linear {}

export interface MultiheadAttentionOptions {
  /** Dropout on the attention weights in training mode (default 0). */
  readonly dropout?: number;
  readonly bias?: boolean;
  /** Learned key and value rows appended to the sequence (bias_k, bias_v). */
  readonly addBiasKv?: boolean;
  /** A zero key and value appended to the sequence. */
  readonly addZeroAttn?: boolean;
  /** Feature sizes of key and value (default embedDim); when they differ, q/k/v_proj_weight are separate. */
  readonly kdim?: number;
  readonly vdim?: number;
  /** Inputs and output as [batch, seq, feature]. */
  readonly batchFirst?: boolean;
  readonly dtype?: DType;
}

export type MultiheadAttentionForwardOptions = MultiHeadAttentionOptions;

/**
 * Multi-head attention: softmax(q·kᵀ/√d + mask)·v over numHeads heads of embedDim/numHeads
 * features, with PyTorch's parameter names (in_proj_weight [3E, E], in_proj_bias, out_proj) and
 * init, so state dicts load both ways.
 */
const MULTIHEAD_ATTENTION = defineOptions<MultiheadAttentionOptions>('nn.MultiheadAttention', {
  dropout: 'number',
  bias: 'boolean',
  addBiasKv: 'boolean',
  addZeroAttn: 'boolean',
  kdim: 'integer',
  vdim: 'integer',
  batchFirst: 'boolean',
  dtype: DTYPE,
});

export class MultiheadAttention extends Module {
  // NOTE: declared in PyTorch's registration order, which is the state dict's order.
  q_proj_weight: Tensor | null = null;
  k_proj_weight: Tensor | null = null;
  v_proj_weight: Tensor | null = null;
  in_proj_weight: Tensor | null = null;
  in_proj_bias: Tensor | null = null;
  out_proj: NonDynamicallyQuantizableLinear;
  bias_k: Tensor | null = null;
  bias_v: Tensor | null = null;
  readonly kdim: number;
  readonly vdim: number;
  readonly headDim: number;
  readonly dropout: number;
  readonly batchFirst: boolean;
  readonly addZeroAttn: boolean;

  constructor(
    readonly embedDim: number,
    readonly numHeads: number,
    dropoutOrOpts?: number | MultiheadAttentionOptions,
    biasArg?: boolean,
  ) {
    super();
    // NOTE: PyTorch's positionals after num_heads begin with dropout, bias.
    const opts = argsOrOptions(
      MULTIHEAD_ATTENTION,
      ['dropout', 'bias'],
      [dropoutOrOpts, biasArg],
      undefined,
    );
    this.kdim = opts?.kdim ?? embedDim;
    this.vdim = opts?.vdim ?? embedDim;
    this.dropout = opts?.dropout ?? 0;
    this.batchFirst = opts?.batchFirst ?? false;
    this.addZeroAttn = opts?.addZeroAttn ?? false;
    this.headDim = Math.floor(embedDim / numHeads);
    if (this.headDim * numHeads !== embedDim)
      throw new ArgumentError('embed_dim must be divisible by num_heads');
    const dtype = opts?.dtype ?? 'float32';
    const bias = opts?.bias ?? true;
    if (this.qkvSameEmbedDim) {
      this.in_proj_weight = Parameter(empty([3 * embedDim, embedDim], { dtype }));
    } else {
      this.q_proj_weight = Parameter(empty([embedDim, embedDim], { dtype }));
      this.k_proj_weight = Parameter(empty([embedDim, this.kdim], { dtype }));
      this.v_proj_weight = Parameter(empty([embedDim, this.vdim], { dtype }));
    }
    if (bias) this.in_proj_bias = Parameter(empty([3 * embedDim], { dtype }));
    // NOTE: built before the init below, so it draws its own (overwritten) init first, as PyTorch.
    this.out_proj = new NonDynamicallyQuantizableLinear(embedDim, embedDim, { bias, dtype });
    if (opts?.addBiasKv) {
      this.bias_k = Parameter(empty([1, 1, embedDim], { dtype }));
      this.bias_v = Parameter(empty([1, 1, embedDim], { dtype }));
    }
    this.resetParameters();
  }

  get qkvSameEmbedDim(): boolean {
    return this.kdim === this.embedDim && this.vdim === this.embedDim;
  }

  /** Xavier-uniform projections, zero biases, Xavier-normal bias_k/bias_v (PyTorch's order). */
  resetParameters(): void {
    if (this.in_proj_weight) xavierUniform_(this.in_proj_weight);
    else
      for (const w of [this.q_proj_weight, this.k_proj_weight, this.v_proj_weight])
        xavierUniform_(w!);
    if (this.in_proj_bias) {
      constant_(this.in_proj_bias, 0);
      if (this.out_proj.bias) constant_(this.out_proj.bias, 0);
    }
    if (this.bias_k) xavierNormal_(this.bias_k);
    if (this.bias_v) xavierNormal_(this.bias_v);
  }

  /**
   * query [L, N, E], key [S, N, kdim], value [S, N, vdim] ([N, ·, ·] with batchFirst; unbatched
   * [L, E] etc.). Returns [output, weights] (weights null unless needWeights, the default).
   */
  forward(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    opts?: MultiheadAttentionForwardOptions,
  ): [Tensor, Tensor | null] {
    const batched = query.ndim === 3;
    if (this.batchFirst && batched) {
      // Transposes keep the identities of the inputs (self-attention shares one projection).
      const [sameQK, sameKV] = [query === key, key === value];
      query = query.transpose(0, 1);
      key = sameQK ? query : key.transpose(0, 1);
      value = sameKV ? key : value.transpose(0, 1);
    }
    const [out, weights] = multiHeadAttentionForward(
      query,
      key,
      value,
      {
        numHeads: this.numHeads,
        inProjWeight: this.in_proj_weight,
        inProjBias: this.in_proj_bias,
        outProjWeight: this.out_proj.weight,
        outProjBias: this.out_proj.bias,
        qProjWeight: this.q_proj_weight,
        kProjWeight: this.k_proj_weight,
        vProjWeight: this.v_proj_weight,
        biasK: this.bias_k,
        biasV: this.bias_v,
        addZeroAttn: this.addZeroAttn,
        dropoutP: this.dropout,
        training: this.training,
      },
      opts,
    );
    return [this.batchFirst && batched ? out.transpose(0, 1) : out, weights];
  }
}

libraryLayers(NonDynamicallyQuantizableLinear, MultiheadAttention);

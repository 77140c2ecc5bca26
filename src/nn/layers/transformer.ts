// nn.TransformerEncoderLayer and nn.TransformerEncoder with PyTorch's submodule names, init order and masks.
import { argsOrOptions, defineOptions, DTYPE } from '../../options.js';
import type { DType } from '../../dtype.js';
import { ArgumentError, DTypeError } from '../../errors.js';
import { getRngState, setRngState } from '../../random.js';
import type { Tensor } from '../../tensor.js';
import { ModuleList } from '../container.js';
import { gelu, relu } from '../functional/activation.js';
import { libraryLayers, Module } from '../module.js';
import { MultiheadAttention } from './attention.js';
import { Dropout } from './dropout.js';
import { LayerNorm } from './layernorm.js';
import { Linear } from './linear.js';

export type TransformerActivation = 'relu' | 'gelu' | ((x: Tensor) => Tensor) | Module;

export interface TransformerEncoderLayerOptions {
  /** Width of the feed-forward block (default 2048). */
  readonly dimFeedforward?: number;
  /** Dropout after attention, inside and after the feed-forward block (default 0.1). */
  readonly dropout?: number;
  /** 'relu' (default), 'gelu', a function, or a Module (registered as the child `activation`). */
  readonly activation?: TransformerActivation;
  readonly layerNormEps?: number;
  /** Inputs and output as [batch, seq, feature]. */
  readonly batchFirst?: boolean;
  /** Pre-norm: x + sa(norm1(x)), then x + ff(norm2(x)); otherwise post-norm (default). */
  readonly normFirst?: boolean;
  readonly dtype?: DType;
}

export interface TransformerEncoderForwardOptions {
  /** [S, S] or [N·heads, S, S] attention mask (bool: true = not allowed; float: added). */
  readonly srcMask?: Tensor | null;
  /** [N, S] (or [S] unbatched): true (or −inf added) where a position is padding. */
  readonly srcKeyPaddingMask?: Tensor | null;
}

/** The activation that activation: 'gelu' stands for (one function, so export can recognise it). */
const geluActivation = (x: Tensor): Tensor => gelu(x);

/** The name an encoder layer's activation was given by ('relu' or 'gelu'), or null for another one. */
export function activationName(a: TransformerEncoderLayer['activation']): 'relu' | 'gelu' | null {
  return a === relu ? 'relu' : a === geluActivation ? 'gelu' : null;
}

function checkPaddingMask(mask: Tensor | null | undefined): void {
  if (mask && mask.dtype !== 'bool' && !mask.isFloatingPoint())
    throw new DTypeError('only bool and floating types of key_padding_mask are supported');
}

/** One encoder block: self-attention and a feed-forward network, each with a residual and a LayerNorm. */
const ENCODER_LAYER = defineOptions<TransformerEncoderLayerOptions>('nn.TransformerEncoderLayer', {
  dimFeedforward: 'integer',
  dropout: 'number',
  activation: ['string', 'function', 'object'],
  layerNormEps: 'number',
  batchFirst: 'boolean',
  normFirst: 'boolean',
  dtype: DTYPE,
});
const ENCODER_LAYER_FORWARD = defineOptions<TransformerEncoderForwardOptions>(
  'nn.TransformerEncoderLayer.forward',
  { srcMask: ['tensor', 'null'], srcKeyPaddingMask: ['tensor', 'null'] },
);
type EncoderForwardOptions = {
  readonly mask?: Tensor | null;
  readonly srcKeyPaddingMask?: Tensor | null;
};
const ENCODER = defineOptions<TransformerEncoderOptions>('nn.TransformerEncoder', {
  norm: ['object', 'null'],
});
const ENCODER_FORWARD = defineOptions<EncoderForwardOptions>('nn.TransformerEncoder.forward', {
  mask: ['tensor', 'null'],
  srcKeyPaddingMask: ['tensor', 'null'],
});

export class TransformerEncoderLayer extends Module {
  // NOTE: declared in PyTorch's registration order (state-dict keys and printing follow it).
  self_attn: MultiheadAttention;
  linear1: Linear;
  dropout: Dropout;
  linear2: Linear;
  norm1: LayerNorm;
  norm2: LayerNorm;
  dropout1: Dropout;
  dropout2: Dropout;
  /** The activation of the feed-forward block; a Module here is a registered child. */
  activation: ((x: Tensor) => Tensor) | Module;
  readonly normFirst: boolean;
  readonly #args: [number, number, TransformerEncoderLayerOptions | undefined];

  /** (dModel, nhead, opts), or PyTorch's positionals dimFeedforward, dropout after nhead. */
  constructor(
    dModel: number,
    nhead: number,
    dimFeedforwardOrOpts?: number | TransformerEncoderLayerOptions,
    dropout?: number,
  ) {
    super();
    const keys = ['dimFeedforward', 'dropout'] as const;
    const args = [dimFeedforwardOrOpts, dropout];
    const opts = argsOrOptions(ENCODER_LAYER, keys, args, undefined);
    this.#args = [dModel, nhead, opts];
    const p = opts?.dropout ?? 0.1;
    const dtype = opts?.dtype ?? 'float32';
    const eps = opts?.layerNormEps ?? 1e-5;
    const dimFeedforward = opts?.dimFeedforward ?? 2048;
    this.self_attn = new MultiheadAttention(dModel, nhead, {
      dropout: p,
      batchFirst: opts?.batchFirst ?? false,
      dtype,
    });
    this.linear1 = new Linear(dModel, dimFeedforward, { dtype });
    this.dropout = new Dropout(p);
    this.linear2 = new Linear(dimFeedforward, dModel, { dtype });
    this.normFirst = opts?.normFirst ?? false;
    this.norm1 = new LayerNorm(dModel, { eps, dtype });
    this.norm2 = new LayerNorm(dModel, { eps, dtype });
    this.dropout1 = new Dropout(p);
    this.dropout2 = new Dropout(p);
    const act = opts?.activation ?? 'relu';
    if (act === 'relu') this.activation = relu;
    else if (act === 'gelu') this.activation = geluActivation;
    else if (typeof act === 'function' || act instanceof Module) this.activation = act;
    else throw new ArgumentError(`activation should be relu/gelu, not ${String(act)}`);
  }

  /**
   * A copy with the same configuration and values (as copy.deepcopy), made without drawing from
   * the default generator. A Module activation is shared with the copy.
   */
  clone(): TransformerEncoderLayer {
    const state = getRngState();
    const copy = new TransformerEncoderLayer(...this.#args);
    setRngState(state);
    copy.activation = this.activation;
    copy.loadStateDict(this.stateDict());
    const mine = this.parameters();
    copy.parameters().forEach((q, i) => (q.requiresGrad = mine[i]!.requiresGrad));
    const modes = this.modules().map((m) => m.training);
    copy.modules().forEach((m, i) => (m.training = modes[i]!));
    return copy;
  }

  /** src [S, N, E] ([N, S, E] with batchFirst, or unbatched [S, E]). */
  forward(src: Tensor, opts?: TransformerEncoderForwardOptions): Tensor {
    ENCODER_LAYER_FORWARD.check(opts);
    checkPaddingMask(opts?.srcKeyPaddingMask);
    const mask = opts?.srcMask ?? null;
    const kpm = opts?.srcKeyPaddingMask ?? null;
    let x = src;
    if (this.normFirst) {
      x = x.add(this.#saBlock(this.norm1.forward(x), mask, kpm));
      x = x.add(this.#ffBlock(this.norm2.forward(x)));
    } else {
      x = this.norm1.forward(x.add(this.#saBlock(x, mask, kpm)));
      x = this.norm2.forward(x.add(this.#ffBlock(x)));
    }
    return x;
  }

  #saBlock(x: Tensor, attnMask: Tensor | null, keyPaddingMask: Tensor | null): Tensor {
    const [y] = this.self_attn.forward(x, x, x, { attnMask, keyPaddingMask, needWeights: false });
    return this.dropout1.forward(y);
  }

  #ffBlock(x: Tensor): Tensor {
    const act = this.activation;
    const h = this.linear1.forward(x);
    const a = act instanceof Module ? (act.forward as (x: Tensor) => Tensor)(h) : act(h);
    return this.dropout2.forward(this.linear2.forward(this.dropout.forward(a)));
  }
}

export interface TransformerEncoderOptions {
  /** A final normalisation (e.g. a LayerNorm), registered as `norm`. */
  readonly norm?: Module | null;
}

/** numLayers copies of an encoder layer (in `layers`), applied in turn, then the optional norm. */
export class TransformerEncoder extends Module {
  layers: ModuleList;
  norm: Module | null;

  constructor(
    encoderLayer: TransformerEncoderLayer,
    readonly numLayers: number,
    opts?: TransformerEncoderOptions,
  ) {
    super();
    ENCODER.check(opts);
    if (!Number.isInteger(numLayers) || numLayers < 0)
      throw new ArgumentError(`num_layers must be a non-negative integer, got ${numLayers}`);
    this.layers = new ModuleList(Array.from({ length: numLayers }, () => encoderLayer.clone()));
    this.norm = opts?.norm ?? null;
  }

  /** src [S, N, E] ([N, S, E] with batchFirst); mask and srcKeyPaddingMask as the layers take them. */
  forward(src: Tensor, opts?: EncoderForwardOptions): Tensor {
    ENCODER_FORWARD.check(opts);
    checkPaddingMask(opts?.srcKeyPaddingMask);
    let out = src;
    for (const layer of this.layers) {
      out = (layer as TransformerEncoderLayer).forward(out, {
        srcMask: opts?.mask ?? null,
        srcKeyPaddingMask: opts?.srcKeyPaddingMask ?? null,
      });
    }
    return this.norm ? (this.norm.forward as (x: Tensor) => Tensor)(out) : out;
  }
}

libraryLayers(TransformerEncoderLayer, TransformerEncoder);

// nn.Embedding: a lookup table of rows, initialised from N(0, 1) as PyTorch (padding row zeroed).
import { argsOrOptions, defineOptions, DTYPE } from '../../options.js';
import { noGrad } from '../../autograd/grad_mode.js';
import type { DType } from '../../dtype.js';
import { ArgumentError } from '../../errors.js';
import { empty } from '../../functions/creation.js';
import type { Tensor } from '../../tensor.js';
import { embedding, normalizePaddingIdx } from '../functional/normalization.js';
import { normal_ } from '../init.js';
import { libraryLayers, Module } from '../module.js';
import { Parameter } from '../parameter.js';
import { pyFloat } from '../pyrepr.js';

export interface EmbeddingModuleOptions {
  /** The row that gets no gradient and starts at zero; negative counts from the end. */
  readonly paddingIdx?: number | null;
  /** Rows looked up whose normType-norm exceeds maxNorm are rescaled in place to maxNorm. */
  readonly maxNorm?: number | null;
  /** The p of the norm for maxNorm (default 2). */
  readonly normType?: number;
  /** Divide each row's gradient by the frequency of its index in the batch (default false). */
  readonly scaleGradByFreq?: boolean;
  /** Use this [numEmbeddings, embeddingDim] tensor as the weight (shared, not drawn); PyTorch's _weight. */
  readonly weight?: Tensor;
  readonly dtype?: DType;
}

export interface FromPretrainedOptions {
  /** Keep the weight fixed (requiresGrad false); default true. */
  readonly freeze?: boolean;
  readonly paddingIdx?: number | null;
  readonly maxNorm?: number | null;
  readonly normType?: number;
  readonly scaleGradByFreq?: boolean;
}

const EMBEDDING = defineOptions<EmbeddingModuleOptions>('nn.Embedding', {
  paddingIdx: ['integer', 'null'],
  maxNorm: ['number', 'null'],
  normType: 'number',
  scaleGradByFreq: 'boolean',
  weight: 'tensor',
  dtype: DTYPE,
});
const FROM_PRETRAINED = defineOptions<FromPretrainedOptions>('nn.Embedding.fromPretrained', {
  freeze: 'boolean',
  paddingIdx: ['integer', 'null'],
  maxNorm: ['number', 'null'],
  normType: 'number',
  scaleGradByFreq: 'boolean',
});

export class Embedding extends Module {
  /** [numEmbeddings, embeddingDim]. */
  weight: Tensor;
  readonly paddingIdx: number | null;
  readonly maxNorm: number | null;
  readonly normType: number;
  readonly scaleGradByFreq: boolean;

  constructor(
    readonly numEmbeddings: number,
    readonly embeddingDim: number,
    paddingIdxOrOpts?: number | null | EmbeddingModuleOptions,
  ) {
    super();
    // NOTE: PyTorch's third positional is padding_idx: Embedding(10, 3, 0).
    const opts = argsOrOptions(EMBEDDING, ['paddingIdx'], [paddingIdxOrOpts], undefined);
    this.paddingIdx = normalizePaddingIdx(opts?.paddingIdx, numEmbeddings);
    this.maxNorm = opts?.maxNorm ?? null;
    this.normType = opts?.normType ?? 2;
    this.scaleGradByFreq = opts?.scaleGradByFreq ?? false;
    if (opts?.weight) {
      const s = opts.weight.shape;
      if (s.length !== 2 || s[0] !== numEmbeddings || s[1] !== embeddingDim)
        throw new ArgumentError('Shape of weight does not match num_embeddings and embedding_dim');
      this.weight = Parameter(opts.weight);
    } else {
      this.weight = Parameter(
        empty([numEmbeddings, embeddingDim], { dtype: opts?.dtype ?? 'float32' }),
      );
      this.resetParameters();
    }
  }

  /** An Embedding over the given [numEmbeddings, embeddingDim] weights (frozen by default). */
  static fromPretrained(embeddings: Tensor, opts?: FromPretrainedOptions): Embedding {
    FROM_PRETRAINED.check(opts);
    if (embeddings.ndim !== 2)
      throw new ArgumentError('Embeddings parameter is expected to be 2-dimensional');
    const [rows, cols] = embeddings.shape as [number, number];
    const e = new Embedding(rows, cols, {
      weight: embeddings,
      paddingIdx: opts?.paddingIdx ?? null,
      maxNorm: opts?.maxNorm ?? null,
      normType: opts?.normType ?? 2,
      scaleGradByFreq: opts?.scaleGradByFreq ?? false,
    });
    e.weight.requiresGrad = !(opts?.freeze ?? true);
    return e;
  }

  /** N(0, 1) draws, then the padding row set to zero (so a seed gives PyTorch's weights). */
  resetParameters(): void {
    normal_(this.weight);
    if (this.paddingIdx !== null) {
      const p = this.paddingIdx;
      noGrad(() => this.weight.select(0, p).fill_(0));
    }
  }

  forward(input: Tensor): Tensor {
    return embedding(input, this.weight, {
      paddingIdx: this.paddingIdx,
      maxNorm: this.maxNorm,
      normType: this.normType,
      scaleGradByFreq: this.scaleGradByFreq,
    });
  }

  override extraRepr(): string {
    let s = `${this.numEmbeddings}, ${this.embeddingDim}`;
    if (this.paddingIdx !== null) s += `, padding_idx=${this.paddingIdx}`;
    if (this.maxNorm !== null) s += `, max_norm=${pyFloat(this.maxNorm)}`;
    if (this.normType !== 2) s += `, norm_type=${pyFloat(this.normType)}`;
    if (this.scaleGradByFreq) s += ', scale_grad_by_freq=True';
    return s;
  }
}

libraryLayers(Embedding);

// Recurrent layers (RNN, LSTM, GRU and their cells), unrolled over time from differentiable ops.
import {
  argsOrOptions,
  defineOptions,
  DTYPE,
  type OptionSchema,
  type Spec,
} from '../../options.js';
import { Function, type FunctionCtx } from '../../autograd/function.js';
import type { DType } from '../../dtype.js';
import { ArgumentError, OptionError, ShapeError } from '../../errors.js';
import { cat, stack } from '../../functions/shape_ops.js';
import { empty, zeros } from '../../functions/creation.js';
import type { Tensor } from '../../tensor.js';
import { dropout as dropoutFn, linear } from '../functional/activation.js';
import { uniform_ } from '../init.js';
import { libraryLayers, Module } from '../module.js';
import { Parameter } from '../parameter.js';
import { pyFloat } from '../pyrepr.js';

type Mode = 'LSTM' | 'GRU' | 'RNN_TANH' | 'RNN_RELU';

export interface RNNBaseOptions {
  /** Stacked recurrent layers (default 1). */
  readonly numLayers?: number;
  readonly bias?: boolean;
  /** Input and output as [batch, seq, feature] instead of [seq, batch, feature]. */
  readonly batchFirst?: boolean;
  /** Dropout on the outputs of every layer but the last, in training mode. */
  readonly dropout?: number;
  readonly bidirectional?: boolean;
  readonly dtype?: DType;
}

export interface RNNOptions extends RNNBaseOptions {
  readonly nonlinearity?: 'tanh' | 'relu';
}

export interface LSTMOptions extends RNNBaseOptions {
  /** When > 0, h is projected to this size by weight_hr (PyTorch's LSTM with projections). */
  readonly projSize?: number;
}

export interface CellOptions {
  readonly bias?: boolean;
  readonly dtype?: DType;
}

const pyShape = (s: readonly number[]): string => `(${s.join(', ')}${s.length === 1 ? ',' : ''})`;

interface CellWeights {
  readonly whh: Tensor;
  readonly bhh: Tensor | null;
  readonly whr?: Tensor | null;
}

/**
 * x.unbind(0) as one autograd node whose backward stacks the step gradients: O(T), where T
 * separate select()s would each scatter their gradient into a zero tensor of x's size (O(T²)).
 */
class Unbind extends Function {
  static override forward(_ctx: FunctionCtx, x: Tensor): Tensor[] {
    return Array.from({ length: x.shape[0]! }, (_, t) => x.select(0, t));
  }

  static override backward(_ctx: FunctionCtx, ...grads: Tensor[]): Tensor {
    return stack(grads, 0);
  }
}

// ---- one time step; gi = W_ih·x + b_ih is computed beforehand (for the whole sequence in a layer) ----

/** i, f, g, o = chunks of gi + W_hh·h + b_hh; c' = σ(f)·c + σ(i)·tanh(g); h' = σ(o)·tanh(c'). */
function lstmStep(gi: Tensor, h: Tensor, c: Tensor, w: CellWeights): [Tensor, Tensor] {
  const [i, f, g, o] = linear(h, w.whh, w.bhh).add(gi).chunk(4, 1) as [
    Tensor,
    Tensor,
    Tensor,
    Tensor,
  ];
  const c2 = f.sigmoid().mul(c).add(i.sigmoid().mul(g.tanh()));
  const h2 = o.sigmoid().mul(c2.tanh());
  return [w.whr ? linear(h2, w.whr) : h2, c2];
}

/** r, z = σ(gi_rz + gh_rz); n = tanh(gi_n + r·gh_n); h' = (h − n)·z + n (= (1 − z)·n + z·h). */
function gruStep(gi: Tensor, h: Tensor, w: CellWeights): Tensor {
  const [ir, iz, inn] = gi.chunk(3, 1) as [Tensor, Tensor, Tensor];
  const [hr, hz, hn] = linear(h, w.whh, w.bhh).chunk(3, 1) as [Tensor, Tensor, Tensor];
  const r = hr.add(ir).sigmoid();
  const z = hz.add(iz).sigmoid();
  const n = inn.add(hn.mul(r)).tanh();
  return h.sub(n).mul(z).add(n);
}

/** h' = act(gi + W_hh·h + b_hh). */
function simpleStep(gi: Tensor, h: Tensor, w: CellWeights, relu: boolean): Tensor {
  const pre = linear(h, w.whh, w.bhh).add(gi);
  return relu ? pre.relu() : pre.tanh();
}

/**
 * The shared machinery of RNN, LSTM and GRU: PyTorch's parameter names, shapes, order and init,
 * and the unrolled multi-layer, optionally bidirectional recurrence.
 */
export abstract class RNNBase extends Module {
  readonly numLayers: number;
  readonly bias: boolean;
  readonly batchFirst: boolean;
  readonly dropout: number;
  readonly bidirectional: boolean;
  readonly projSize: number;
  /** Parameter names in PyTorch's order: per layer, per direction, weight_ih, weight_hh, biases, weight_hr. */
  readonly flatWeightsNames: readonly string[];

  constructor(
    readonly mode: Mode,
    readonly inputSize: number,
    readonly hiddenSize: number,
    opts?: LSTMOptions,
  ) {
    super();
    this.numLayers = opts?.numLayers ?? 1;
    this.bias = opts?.bias ?? true;
    this.batchFirst = opts?.batchFirst ?? false;
    this.dropout = opts?.dropout ?? 0;
    this.bidirectional = opts?.bidirectional ?? false;
    this.projSize = opts?.projSize ?? 0;
    const dtype = opts?.dtype ?? 'float32';
    if (!(this.dropout >= 0 && this.dropout <= 1)) {
      throw new ArgumentError(
        'dropout should be a number in range [0, 1] representing the probability of an element being zeroed',
      );
    }
    if (!Number.isInteger(this.numLayers) || this.numLayers < 1)
      throw new ArgumentError(`num_layers must be a positive integer, got ${this.numLayers}`);
    if (this.projSize < 0)
      throw new ArgumentError(
        'proj_size should be a positive integer or zero to disable projections',
      );
    if (this.projSize > 0 && mode !== 'LSTM')
      throw new ArgumentError('proj_size argument is only supported for LSTM, not RNN or GRU');
    if (this.projSize >= hiddenSize && this.projSize > 0)
      throw new ArgumentError('proj_size has to be smaller than hidden_size');
    const gateSize = { LSTM: 4, GRU: 3, RNN_TANH: 1, RNN_RELU: 1 }[mode] * hiddenSize;
    const realHidden = this.projSize > 0 ? this.projSize : hiddenSize;
    const names: string[] = [];
    for (let layer = 0; layer < this.numLayers; layer++) {
      for (let dir = 0; dir < this.numDirections; dir++) {
        const layerInput = layer === 0 ? inputSize : realHidden * this.numDirections;
        const sfx = `_l${layer}${dir === 1 ? '_reverse' : ''}`;
        const shapes: [string, number[]][] = [
          [`weight_ih${sfx}`, [gateSize, layerInput]],
          [`weight_hh${sfx}`, [gateSize, realHidden]],
        ];
        if (this.bias) shapes.push([`bias_ih${sfx}`, [gateSize]], [`bias_hh${sfx}`, [gateSize]]);
        if (this.projSize > 0) shapes.push([`weight_hr${sfx}`, [this.projSize, hiddenSize]]);
        for (const [name, shape] of shapes) {
          this.registerParameter(name, Parameter(empty(shape, { dtype })));
          names.push(name);
        }
      }
    }
    this.flatWeightsNames = names;
    this.resetParameters();
  }

  get numDirections(): number {
    return this.bidirectional ? 2 : 1;
  }

  /** The parameters of each layer and direction, as PyTorch's all_weights. */
  get allWeights(): Tensor[][] {
    const per = this.flatWeightsNames.length / (this.numLayers * this.numDirections);
    const out: Tensor[][] = [];
    for (let i = 0; i < this.flatWeightsNames.length; i += per)
      out.push(this.flatWeightsNames.slice(i, i + per).map((n) => this.#param(n)!));
    return out;
  }

  #param(name: string): Tensor | null {
    return ((this as unknown as Record<string, unknown>)[name] as Tensor | undefined) ?? null;
  }

  /** Every weight and bias from U(−1/√hidden, 1/√hidden), in parameter order (PyTorch's draws). */
  resetParameters(): void {
    const stdv = this.hiddenSize > 0 ? 1 / Math.sqrt(this.hiddenSize) : 0;
    for (const p of this.parameters()) uniform_(p, -stdv, stdv);
  }

  /** The input as a time-major batch [T, B, I] (a view), and whether it came batched. */
  protected prepareInput(input: Tensor): { x: Tensor; batched: boolean } {
    const batched = input.ndim === 3;
    let x = batched ? input : input.unsqueeze(this.batchFirst ? 0 : 1);
    if (x.ndim !== 3) throw new ShapeError(`input must have 3 dimensions, got ${x.ndim}`);
    if (x.shape[2] !== this.inputSize) {
      throw new ShapeError(
        `input.size(-1) must be equal to input_size. Expected ${this.inputSize}, got ${x.shape[2]}`,
      );
    }
    if (this.batchFirst) x = x.transpose(0, 1);
    if (x.shape[0] === 0)
      throw new ShapeError('Expected sequence length to be larger than 0 in RNN');
    return { x, batched };
  }

  protected checkHidden(hx: Tensor, expected: number[], what: string): void {
    const same = hx.ndim === expected.length && hx.shape.every((s, i) => s === expected[i]);
    if (!same)
      throw new ShapeError(
        `Expected ${what} size ${pyShape(expected)}, got [${hx.shape.join(', ')}]`,
      );
  }

  /** h₀ (and c₀) shaped [layers·directions, batch, size], zeros when not given. */
  protected hiddenShape(batch: number, cell = false): number[] {
    const size = this.projSize > 0 && !cell ? this.projSize : this.hiddenSize;
    return [this.numLayers * this.numDirections, batch, size];
  }

  /**
   * Runs every layer and direction over a time-major input [T, B, I] from the initial states
   * h0 (and c0 for LSTM); returns the last layer's output [T, B, D·H] and the final states.
   */
  protected recur(x: Tensor, h0: Tensor, c0: Tensor | null): [Tensor, Tensor, Tensor | null] {
    const steps = x.shape[0]!;
    const hN: Tensor[] = [];
    const cN: Tensor[] = [];
    let layerInput = x;
    for (let layer = 0; layer < this.numLayers; layer++) {
      const outs: Tensor[] = [];
      for (let dir = 0; dir < this.numDirections; dir++) {
        const idx = layer * this.numDirections + dir;
        const sfx = `_l${layer}${dir === 1 ? '_reverse' : ''}`;
        const w: CellWeights = {
          whh: this.#param(`weight_hh${sfx}`)!,
          bhh: this.#param(`bias_hh${sfx}`),
          whr: this.#param(`weight_hr${sfx}`),
        };
        // NOTE: as PyTorch's CPU path, the input projection is one matmul for the whole sequence.
        const gi = Unbind.apply(
          linear(layerInput, this.#param(`weight_ih${sfx}`)!, this.#param(`bias_ih${sfx}`)),
        );
        let h = h0.select(0, idx);
        let c = c0?.select(0, idx) ?? null;
        const out = new Array<Tensor>(steps);
        for (let s = 0; s < steps; s++) {
          const t = dir === 0 ? s : steps - 1 - s;
          const git = gi[t]!;
          if (this.mode === 'LSTM') [h, c] = lstmStep(git, h, c!, w);
          else if (this.mode === 'GRU') h = gruStep(git, h, w);
          else h = simpleStep(git, h, w, this.mode === 'RNN_RELU');
          out[t] = h;
        }
        outs.push(stack(out, 0));
        hN.push(h);
        if (c !== null) cN.push(c);
      }
      let output = outs.length === 1 ? outs[0]! : cat(outs, 2);
      if (this.dropout > 0 && this.training && layer < this.numLayers - 1)
        output = dropoutFn(output, { p: this.dropout, training: true });
      layerInput = output;
    }
    return [layerInput, stack(hN, 0), c0 === null ? null : stack(cN, 0)];
  }

  /** The output back in the caller's layout (batch first, or without the batch dim). */
  protected finishOutput(out: Tensor, batched: boolean): Tensor {
    if (!batched) return out.squeeze(1);
    return this.batchFirst ? out.transpose(0, 1) : out;
  }

  override extraRepr(): string {
    let s = `${this.inputSize}, ${this.hiddenSize}`;
    if (this.projSize !== 0) s += `, proj_size=${this.projSize}`;
    if (this.numLayers !== 1) s += `, num_layers=${this.numLayers}`;
    if (!this.bias) s += ', bias=False';
    if (this.batchFirst) s += ', batch_first=True';
    if (this.dropout !== 0) s += `, dropout=${pyFloat(this.dropout)}`;
    if (this.bidirectional) s += ', bidirectional=True';
    return s;
  }
}

/** RNN and GRU: one hidden state. */
abstract class SingleStateRNN extends RNNBase {
  /** input [T, B, I] ([B, T, I] with batchFirst, or unbatched [T, I]); returns [output, h_n]. */
  forward(input: Tensor, hx?: Tensor | null): [Tensor, Tensor] {
    const { x, batched } = this.prepareInput(input);
    const expected = this.hiddenShape(x.shape[1]!);
    let h: Tensor;
    if (hx === undefined || hx === null) {
      h = zeros(expected, { dtype: x.dtype, device: x.device });
    } else {
      const want = batched ? 3 : 2;
      if (hx.ndim !== want) {
        throw new ShapeError(
          `For ${batched ? 'batched 3-D' : 'unbatched 2-D'} input, hx should also be ${want}-D but got ${hx.ndim}-D tensor`,
        );
      }
      h = batched ? hx : hx.unsqueeze(1);
      this.checkHidden(h, expected, 'hidden');
    }
    const [out, hN] = this.recur(x, h, null);
    return [this.finishOutput(out, batched), batched ? hN : hN.squeeze(1)];
  }
}

/** Elman RNN: h' = tanh(W_ih·x + b_ih + W_hh·h + b_hh) (or relu). */
const RNN_BASE_SPEC: Spec<RNNBaseOptions> = {
  numLayers: 'integer',
  bias: 'boolean',
  batchFirst: 'boolean',
  dropout: 'number',
  bidirectional: 'boolean',
  dtype: DTYPE,
};
const RNN_OPTIONS = defineOptions<RNNOptions>('nn.RNN', {
  ...RNN_BASE_SPEC,
  nonlinearity: 'string',
});
const BASE_KEYS = ['numLayers', 'bias', 'batchFirst', 'dropout', 'bidirectional'] as const;

/** PyTorch's positionals in `keys` order (the first may be the options object); more than keys throw. */
function positionals<T>(
  schema: OptionSchema<T>,
  keys: readonly (keyof T & string)[],
  first: unknown,
  rest: readonly unknown[],
): T {
  if (rest.length >= keys.length) {
    throw new OptionError(`${schema.name}(): at most ${keys.length} arguments after the sizes`);
  }
  return argsOrOptions(schema, keys, [first, ...rest], undefined) as T;
}

const GRU_OPTIONS = defineOptions<RNNBaseOptions>('nn.GRU', RNN_BASE_SPEC);
const LSTM_OPTIONS = defineOptions<LSTMOptions>('nn.LSTM', {
  ...RNN_BASE_SPEC,
  projSize: 'integer',
});

export class RNN extends SingleStateRNN {
  readonly nonlinearity: 'tanh' | 'relu';

  /** RNN(inputSize, hiddenSize, opts), or with PyTorch's positionals (numLayers, nonlinearity, bias, batchFirst, dropout, bidirectional). */
  constructor(
    inputSize: number,
    hiddenSize: number,
    numLayersOrOpts?: number | RNNOptions,
    ...rest: readonly (string | number | boolean | undefined)[]
  ) {
    const keys = [
      'numLayers',
      'nonlinearity',
      'bias',
      'batchFirst',
      'dropout',
      'bidirectional',
    ] as const;
    const opts = positionals(RNN_OPTIONS, keys, numLayersOrOpts, rest) as RNNOptions;
    const nl = opts?.nonlinearity ?? 'tanh';
    if (nl !== 'tanh' && nl !== 'relu')
      throw new ArgumentError(
        `Unknown nonlinearity '${String(nl)}'. Select from 'tanh' or 'relu'.`,
      );
    const { nonlinearity: _, ...base } = opts ?? {};
    super(nl === 'tanh' ? 'RNN_TANH' : 'RNN_RELU', inputSize, hiddenSize, base);
    this.nonlinearity = nl;
  }
}

/** GRU with PyTorch's gates r, z, n (n = tanh(W_in·x + b_in + r ⊙ (W_hn·h + b_hn))). */
export class GRU extends SingleStateRNN {
  /** GRU(inputSize, hiddenSize, opts), or with PyTorch's positionals (numLayers, bias, batchFirst, dropout, bidirectional). */
  constructor(
    inputSize: number,
    hiddenSize: number,
    numLayersOrOpts?: number | RNNBaseOptions,
    ...rest: readonly (number | boolean | undefined)[]
  ) {
    super('GRU', inputSize, hiddenSize, positionals(GRU_OPTIONS, BASE_KEYS, numLayersOrOpts, rest));
  }
}

/** LSTM with PyTorch's gate order i, f, g, o, and optional projections (projSize). */
export class LSTM extends RNNBase {
  /** LSTM(inputSize, hiddenSize, opts), or with PyTorch's positionals (numLayers, bias, batchFirst, dropout, bidirectional, projSize). */
  constructor(
    inputSize: number,
    hiddenSize: number,
    numLayersOrOpts?: number | LSTMOptions,
    ...rest: readonly (number | boolean | undefined)[]
  ) {
    const keys = [...BASE_KEYS, 'projSize'] as const;
    super('LSTM', inputSize, hiddenSize, positionals(LSTM_OPTIONS, keys, numLayersOrOpts, rest));
  }

  /** input [T, B, I] ([B, T, I] with batchFirst, or unbatched [T, I]); returns [output, [h_n, c_n]]. */
  forward(input: Tensor, hx?: readonly [Tensor, Tensor] | null): [Tensor, [Tensor, Tensor]] {
    const { x, batched } = this.prepareInput(input);
    const batch = x.shape[1]!;
    let h: Tensor;
    let c: Tensor;
    if (hx === undefined || hx === null) {
      h = zeros(this.hiddenShape(batch), { dtype: x.dtype, device: x.device });
      c = zeros(this.hiddenShape(batch, true), { dtype: x.dtype, device: x.device });
    } else {
      const want = batched ? 3 : 2;
      if (hx[0].ndim !== want || hx[1].ndim !== want) {
        throw new ShapeError(
          `For ${batched ? 'batched 3-D' : 'unbatched 2-D'} input, hx and cx should also be ${want}-D but got (${hx[0].ndim}-D, ${hx[1].ndim}-D) tensors`,
        );
      }
      [h, c] = batched ? hx : [hx[0].unsqueeze(1), hx[1].unsqueeze(1)];
      this.checkHidden(h, this.hiddenShape(batch), 'hidden[0]');
      this.checkHidden(c, this.hiddenShape(batch, true), 'hidden[1]');
    }
    const [out, hN, cN] = this.recur(x, h, c);
    const states: [Tensor, Tensor] = batched ? [hN, cN!] : [hN.squeeze(1), cN!.squeeze(1)];
    return [this.finishOutput(out, batched), states];
  }
}

// ---- cells: one time step, input [B, I] or unbatched [I] ----

abstract class RNNCellBase extends Module {
  weight_ih: Tensor;
  weight_hh: Tensor;
  bias_ih: Tensor | null;
  bias_hh: Tensor | null;

  constructor(
    readonly inputSize: number,
    readonly hiddenSize: number,
    readonly bias: boolean,
    numChunks: number,
    dtype: DType,
  ) {
    super();
    this.weight_ih = Parameter(empty([numChunks * hiddenSize, inputSize], { dtype }));
    this.weight_hh = Parameter(empty([numChunks * hiddenSize, hiddenSize], { dtype }));
    this.bias_ih = bias ? Parameter(empty([numChunks * hiddenSize], { dtype })) : null;
    this.bias_hh = bias ? Parameter(empty([numChunks * hiddenSize], { dtype })) : null;
    this.resetParameters();
  }

  /** Every weight and bias from U(−1/√hidden, 1/√hidden), in parameter order. */
  resetParameters(): void {
    const stdv = this.hiddenSize > 0 ? 1 / Math.sqrt(this.hiddenSize) : 0;
    for (const p of this.parameters()) uniform_(p, -stdv, stdv);
  }

  /** The batched input and W_ih·x + b_ih. */
  protected prepare(input: Tensor, name: string): { x: Tensor; gi: Tensor; batched: boolean } {
    if (input.ndim !== 1 && input.ndim !== 2) {
      throw new ShapeError(
        `${name}: Expected input to be 1-D or 2-D but received ${input.ndim}-D tensor`,
      );
    }
    if (input.shape[input.ndim - 1] !== this.inputSize) {
      throw new ShapeError(
        `input has inconsistent input_size: got ${input.shape[input.ndim - 1]} expected ${this.inputSize}`,
      );
    }
    const batched = input.ndim === 2;
    const x = batched ? input : input.unsqueeze(0);
    return { x, gi: linear(x, this.weight_ih, this.bias_ih), batched };
  }

  /** A given state (unsqueezed when unbatched) checked against [B, hidden], or zeros. */
  protected state(hx: Tensor | undefined | null, x: Tensor, batched: boolean, label = 0): Tensor {
    if (hx === undefined || hx === null)
      return zeros([x.shape[0]!, this.hiddenSize], { dtype: x.dtype, device: x.device });
    const h = batched ? hx : hx.unsqueeze(0);
    if (h.ndim !== 2)
      throw new ShapeError(`hidden${label} must be ${batched ? 2 : 1}-D, got ${hx.ndim}-D`);
    if (h.shape[0] !== x.shape[0]) {
      throw new ShapeError(
        `Input batch size ${x.shape[0]} doesn't match hidden${label} batch size ${h.shape[0]}`,
      );
    }
    if (h.shape[1] !== this.hiddenSize) {
      throw new ShapeError(
        `hidden${label} has inconsistent hidden_size: got ${h.shape[1]}, expected ${this.hiddenSize}`,
      );
    }
    return h;
  }

  protected get weights(): CellWeights {
    return { whh: this.weight_hh, bhh: this.bias_hh };
  }

  override extraRepr(): string {
    return `${this.inputSize}, ${this.hiddenSize}${this.bias ? '' : ', bias=False'}`;
  }
}

const CELL_SPEC: Spec<CellOptions> = { bias: 'boolean', dtype: DTYPE };
const RNN_CELL = defineOptions<CellOptions & { readonly nonlinearity?: 'tanh' | 'relu' }>(
  'nn.RNNCell',
  { ...CELL_SPEC, nonlinearity: 'string' },
);
const LSTM_CELL = defineOptions<CellOptions>('nn.LSTMCell', CELL_SPEC);
const GRU_CELL = defineOptions<CellOptions>('nn.GRUCell', CELL_SPEC);

export class RNNCell extends RNNCellBase {
  readonly nonlinearity: 'tanh' | 'relu';

  constructor(
    inputSize: number,
    hiddenSize: number,
    biasOrOpts?: boolean | (CellOptions & { readonly nonlinearity?: 'tanh' | 'relu' }),
    nonlinearity?: 'tanh' | 'relu',
  ) {
    const opts = positionals(RNN_CELL, ['bias', 'nonlinearity'], biasOrOpts, [nonlinearity]);
    super(inputSize, hiddenSize, opts?.bias ?? true, 1, opts?.dtype ?? 'float32');
    this.nonlinearity = opts?.nonlinearity ?? 'tanh';
    if (this.nonlinearity !== 'tanh' && this.nonlinearity !== 'relu')
      throw new ArgumentError(`Unknown nonlinearity: ${String(this.nonlinearity)}`);
  }

  forward(input: Tensor, hx?: Tensor | null): Tensor {
    const { x, gi, batched } = this.prepare(input, 'RNNCell');
    const h = simpleStep(
      gi,
      this.state(hx, x, batched),
      this.weights,
      this.nonlinearity === 'relu',
    );
    return batched ? h : h.squeeze(0);
  }

  override extraRepr(): string {
    return (
      super.extraRepr() +
      (this.nonlinearity === 'tanh' ? '' : `, nonlinearity=${this.nonlinearity}`)
    );
  }
}

export class LSTMCell extends RNNCellBase {
  constructor(inputSize: number, hiddenSize: number, biasOrOpts?: boolean | CellOptions) {
    const opts = positionals(LSTM_CELL, ['bias'], biasOrOpts, []);
    super(inputSize, hiddenSize, opts?.bias ?? true, 4, opts?.dtype ?? 'float32');
  }

  /** Returns [h', c']. */
  forward(input: Tensor, hx?: readonly [Tensor, Tensor] | null): [Tensor, Tensor] {
    const { x, gi, batched } = this.prepare(input, 'LSTMCell');
    const h = this.state(hx?.[0], x, batched);
    const c = this.state(hx?.[1], x, batched, 1);
    const [h2, c2] = lstmStep(gi, h, c, this.weights);
    return batched ? [h2, c2] : [h2.squeeze(0), c2.squeeze(0)];
  }
}

export class GRUCell extends RNNCellBase {
  constructor(inputSize: number, hiddenSize: number, biasOrOpts?: boolean | CellOptions) {
    const opts = positionals(GRU_CELL, ['bias'], biasOrOpts, []);
    super(inputSize, hiddenSize, opts?.bias ?? true, 3, opts?.dtype ?? 'float32');
  }

  forward(input: Tensor, hx?: Tensor | null): Tensor {
    const { x, gi, batched } = this.prepare(input, 'GRUCell');
    const h = gruStep(gi, this.state(hx, x, batched), this.weights);
    return batched ? h : h.squeeze(0);
  }
}

libraryLayers(RNNBase, SingleStateRNN, RNN, GRU, LSTM, RNNCellBase, RNNCell, LSTMCell, GRUCell);

// Custom differentiable functions: subclass Function with static forward and backward, call apply().
import { AutogradError } from '../errors.js';
import { isFloating } from '../dtype.js';
import { sameShape, shapeStr } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { isTensor } from '../tensor_class.js';
import { zeros } from '../functions/creation.js';
import { observeNode, observingNodes } from './anomaly.js';
import { isGradEnabled, noGrad } from './grad_mode.js';
import { gradientEdge, Node, SavedTensor } from './node.js';
import type { TensorMeta } from '../ops/op.js';

/** The `ctx` a custom Function's forward and backward share. */
export class FunctionCtx {
  /** For each forward argument: is it a tensor whose gradient is needed? */
  readonly needsInputGrad: readonly boolean[];
  #saved: SavedTensor[] = [];
  /** @internal */ _node: Node | null = null;
  /** Free-form storage for non-tensor values backward needs (like ctx.foo = ... in PyTorch). */
  readonly state: Record<string, unknown> = {};

  constructor(needsInputGrad: readonly boolean[]) {
    this.needsInputGrad = needsInputGrad;
  }

  /** Saves tensors for backward; they are checked against later in-place modification. */
  saveForBackward(...tensors: Tensor[]): void {
    this.#saved = tensors.map((t) => new SavedTensor(t));
  }

  get savedTensors(): Tensor[] {
    const node = this._node;
    if (node === null) throw new AutogradError('savedTensors can only be read in backward');
    return this.#saved.map((s) => s.unpack(node));
  }

  /** @internal */
  _release(): void {
    for (const s of this.#saved) s.free();
  }
}

type Grads = Tensor | null | readonly (Tensor | null)[];

interface FunctionClass {
  readonly name: string;
  forward(ctx: FunctionCtx, ...args: never[]): Tensor | readonly Tensor[];
  backward(ctx: FunctionCtx, ...grads: Tensor[]): Grads;
}

type DropCtx<T> = T extends (ctx: FunctionCtx, ...args: infer A) => unknown ? A : never;

class FunctionNode extends Node {
  readonly #cls: FunctionClass;
  readonly #ctx: FunctionCtx;
  readonly #inputs: readonly (TensorMeta | null)[];
  readonly #outputs: readonly TensorMeta[];

  constructor(
    cls: FunctionClass,
    ctx: FunctionCtx,
    args: readonly unknown[],
    outputs: readonly Tensor[],
  ) {
    super(
      args.map((a, i) => (ctx.needsInputGrad[i] ? gradientEdge(a as Tensor) : null)),
      outputs.length,
    );
    this.#cls = cls;
    this.#ctx = ctx;
    this.#inputs = args.map((a) => (isTensor(a) ? { shape: a.shape, dtype: a.dtype } : null));
    this.#outputs = outputs.map((o) => ({ shape: o.shape, dtype: o.dtype }));
  }

  get name(): string {
    return `${this.#cls.name}Backward`;
  }

  apply(grads: readonly (Tensor | null)[]): (Tensor | null)[] {
    // Missing output gradients are materialised as zeros, as PyTorch does by default.
    const full = grads.map(
      (g, i) => g ?? zeros(this.#outputs[i]!.shape, { dtype: this.#outputs[i]!.dtype }),
    );
    const raw = this.#cls.backward(this.#ctx, ...full);
    const list: readonly (Tensor | null)[] = Array.isArray(raw) ? raw : [raw as Tensor | null];
    if (list.length !== this.#inputs.length) {
      throw new AutogradError(
        `function ${this.name} returned an incorrect number of gradients (expected ${this.#inputs.length}, got ${list.length})`,
      );
    }
    return list.map((g, i) => {
      const meta = this.#inputs[i];
      if (g === null || g === undefined || !this.#ctx.needsInputGrad[i] || meta === null)
        return null;
      if (!isTensor(g))
        throw new AutogradError(
          `function ${this.name} returned a gradient that is not a Tensor at index ${i}`,
        );
      if (!sameShape(g.shape, meta!.shape)) {
        throw new AutogradError(
          `Function ${this.name} returned an invalid gradient at index ${i} - got ${shapeStr(g.shape)} but expected shape compatible with ${shapeStr(meta!.shape)}`,
        );
      }
      return g.dtype === meta!.dtype ? g : g.to(meta!.dtype);
    });
  }

  override release(): void {
    super.release();
    this.#ctx._release();
  }
}

/**
 * A custom differentiable function, as torch.autograd.Function:
 *
 *     class Exp extends Function {
 *       static forward(ctx: FunctionCtx, x: Tensor) { const y = x.exp(); ctx.saveForBackward(y); return y; }
 *       static backward(ctx: FunctionCtx, g: Tensor) { const [y] = ctx.savedTensors; return g.mul(y!); }
 *     }
 *     const y = Exp.apply(x);
 */
export class Function {
  static forward(_ctx: FunctionCtx, ..._args: never[]): Tensor | readonly Tensor[] {
    throw new AutogradError(`${this.name}.forward is not implemented`);
  }

  static backward(_ctx: FunctionCtx, ..._grads: Tensor[]): Grads {
    throw new AutogradError(`${this.name}.backward is not implemented`);
  }

  static apply<C extends FunctionClass>(
    this: C,
    ...args: DropCtx<C['forward']>
  ): ReturnType<C['forward']> {
    const list = args as readonly unknown[];
    const needs = list.map((a) => isTensor(a) && a.requiresGrad && isGradEnabled());
    const ctx = new FunctionCtx(needs);
    const raw = noGrad(() => this.forward(ctx, ...(args as never[])));
    const outs: readonly Tensor[] = Array.isArray(raw) ? raw : [raw as Tensor];
    if (!needs.some(Boolean)) return raw as ReturnType<C['forward']>;
    const node = new FunctionNode(this, ctx, list, outs);
    ctx._node = node;
    const wrapped = outs.map((o, i) => {
      const t = o._alias();
      if (isFloating(t.dtype)) t._setHistory(node, i);
      return t;
    });
    if (observingNodes)
      observeNode(
        node,
        list.filter((a): a is Tensor => isTensor(a)),
        wrapped,
      );
    return (Array.isArray(raw) ? wrapped : wrapped[0]) as ReturnType<C['forward']>;
  }
}

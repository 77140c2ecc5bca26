// OpNode: the gradFn apply() records for a primitive; its backward is the op definition's.
import { NablaError } from '../errors.js';
import type { ErasedOpDef, TensorMeta } from '../ops/op.js';
import type { Primitive } from '../primitives.js';
import { sameShape, shapeStr } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { Node, SavedTensor, type Edge } from './node.js';

function pascal(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}

/** The gradFn of a primitive: calls the op's backward with what it saved. */
export class OpNode extends Node {
  readonly #def: ErasedOpDef;
  #saved: (SavedTensor | null)[] | null = null;

  constructor(
    /** The primitive that produced the output. */
    readonly op: Primitive,
    def: ErasedOpDef,
    readonly params: object,
    readonly inputs: readonly TensorMeta[],
    readonly output: TensorMeta,
    readonly needsInputGrad: readonly boolean[],
    next: readonly (Edge | null)[],
  ) {
    super(next, 1);
    this.#def = def;
  }

  get name(): string {
    return `${pascal(this.op)}Backward`;
  }

  override get ownsOutputs(): boolean {
    return true;
  }

  /** @internal */
  setSaved(tensors: readonly (Tensor | null)[]): void {
    this.#saved = tensors.map((t) => (t === null ? null : new SavedTensor(t)));
  }

  apply(grads: readonly (Tensor | null)[]): (Tensor | null)[] {
    const g = grads[0];
    if (g === null || g === undefined) return this.inputs.map(() => null);
    const saved = (this.#saved ?? []).map((s) => (s === null ? null : s.unpack(this)));
    const result = this.#def.backward!(g, {
      params: this.params,
      inputs: this.inputs,
      output: this.output,
      saved,
      needsInputGrad: this.needsInputGrad,
    });
    return this.inputs.map((meta, i) => {
      const r = result[i];
      if (!this.needsInputGrad[i] || r === null || r === undefined) return null;
      if (!sameShape(r.shape, meta.shape)) {
        throw new NablaError(
          `internal error: ${this.name} returned a gradient of shape ${shapeStr(r.shape)} for input ${i} of shape ${shapeStr(meta.shape)}`,
        );
      }
      return r.dtype === meta.dtype ? r : r.to(meta.dtype);
    });
  }

  override release(): void {
    super.release();
    for (const s of this.#saved ?? []) s?.free();
  }
}

// Autograd graph nodes: the Node base (gradFn), saved-tensor unpacking with version checks, AccumulateGrad.
import { AutogradError } from '../errors.js';
import { shapeStr } from '../shape.js';
import type { Tensor } from '../tensor.js';

/** A tensor hook: sees the gradient, may return a replacement. */
export type GradHook = (grad: Tensor) => Tensor | void;

export interface Edge {
  readonly node: Node;
  /** Which output of `node` the gradient belongs to. */
  readonly outputNr: number;
}

export interface RemovableHandle {
  remove(): void;
}

let nextSeq = 0;

/** A recorded operation: turns the gradients of its outputs into gradients of its inputs. */
export abstract class Node {
  /** Creation order; the engine runs later nodes first among those ready. */
  readonly seq = nextSeq++;
  /** One edge per input: where that input's gradient goes (null when it needs none). */
  readonly next: readonly (Edge | null)[];
  readonly numOutputs: number;
  #preHooks: Map<number, GradHook[]> | undefined;
  #retainers: Map<number, GradHook> | undefined;
  #released = false;

  constructor(next: readonly (Edge | null)[], numOutputs = 1) {
    this.next = next;
    this.numOutputs = numOutputs;
  }

  /**
   * True when apply() returns only tensors it made itself (or its inputs passed through), so the
   * engine may store them in .grad without a copy; custom Functions may return anything.
   */
  get ownsOutputs(): boolean {
    return false;
  }

  /** PyTorch-style name, e.g. 'MulBackward' or 'AccumulateGrad'. */
  abstract get name(): string;

  /** The gradients of the inputs, one per edge in `next`, given the gradients of the outputs. */
  abstract apply(grads: readonly (Tensor | null)[]): (Tensor | null)[];

  /** PyTorch's next_functions: [node, outputNr] per input, [null, 0] where no gradient flows. */
  get nextFunctions(): readonly (readonly [Node | null, number])[] {
    return this.next.map((e) =>
      e === null ? ([null, 0] as const) : ([e.node, e.outputNr] as const),
    );
  }

  get released(): boolean {
    return this.#released;
  }

  /** Frees what the backward pass needed; further use of saved tensors is an error. */
  release(): void {
    this.#released = true;
  }

  /** @internal Adds a hook on the gradient of one output (tensor.registerHook on a non-leaf). */
  addPreHook(outputNr: number, hook: GradHook): RemovableHandle {
    this.#preHooks ??= new Map();
    const list = this.#preHooks.get(outputNr) ?? [];
    list.push(hook);
    this.#preHooks.set(outputNr, list);
    return {
      remove: () => {
        const i = list.indexOf(hook);
        if (i >= 0) list.splice(i, 1);
      },
    };
  }

  /** @internal The retainGrad hook of one output: always runs after the other hooks. */
  setRetainer(outputNr: number, hook: GradHook): void {
    this.#retainers ??= new Map();
    this.#retainers.set(outputNr, hook);
  }

  /** @internal Whether any hook (retainGrad included) watches one output's gradient. */
  hasPreHooks(outputNr: number): boolean {
    return (
      (this.#preHooks?.get(outputNr)?.length ?? 0) > 0 || (this.#retainers?.has(outputNr) ?? false)
    );
  }

  /** @internal Runs the hooks of one output's gradient, returning the possibly replaced gradient. */
  runPreHooks(outputNr: number, grad: Tensor): Tensor {
    let g = grad;
    for (const hook of this.#preHooks?.get(outputNr) ?? []) {
      const r = hook(g);
      if (r !== undefined) g = r;
    }
    this.#retainers?.get(outputNr)?.(g);
    return g;
  }

  toString(): string {
    return `<${this.name}>`;
  }
}

/** A tensor kept for the backward pass, with the version it had when saved. */
export class SavedTensor {
  #tensor: Tensor | null;
  readonly #version: number;

  constructor(t: Tensor) {
    this.#tensor = t;
    this.#version = t._storage.version;
    t._savedCount++;
  }

  /**
   * Drops the reference (after backward without retainGraph); unpacking is then an error. A
   * tensor only the graph held goes back to its backend's pool now.
   */
  free(): void {
    const t = this.#tensor;
    if (t === null) return;
    this.#tensor = null;
    if (--t._savedCount === 0 && t._graphOwned) t.dispose();
  }

  unpack(owner: Node): Tensor {
    const t = this.#tensor;
    if (t === null || owner.released) throw new AutogradError(BACKWARD_TWICE);
    if (t._storage.version !== this.#version) {
      const producer = t.gradFn ? `output ${t._outputNr} of ${t.gradFn.name}` : 'a leaf';
      throw new AutogradError(
        `one of the variables needed for gradient computation has been modified by an inplace operation: ` +
          `[${t.dtype} ${shapeStr(t.shape)}], which is ${producer}, is at version ${t._storage.version}; ` +
          `expected version ${this.#version} instead. Hint: the tensor was saved by ${owner.name}; ` +
          `use an out-of-place op (or .clone()) before modifying it.`,
      );
    }
    return t;
  }
}

export const BACKWARD_TWICE =
  'Trying to backward through the graph a second time (or directly access saved tensors after they ' +
  'have already been freed). Saved intermediate values of the graph are freed when you call ' +
  '.backward() or autograd.grad(). Specify retainGraph: true if you need to backward through the ' +
  'graph a second time or if you need to access saved tensors after calling backward.';

/** The sink of a leaf's gradient: accumulates into `variable.grad`. */
export class AccumulateGrad extends Node {
  constructor(readonly variable: Tensor) {
    super([], 1);
  }

  get name(): string {
    return 'AccumulateGrad';
  }

  apply(): (Tensor | null)[] {
    return [];
  }
}

/** Where a tensor's gradient enters the graph: its gradFn, or its leaf accumulator. */
export function gradientEdge(t: Tensor): Edge {
  const fn = t.gradFn;
  if (fn !== null) return { node: fn, outputNr: t._outputNr };
  if (!t.requiresGrad)
    throw new AutogradError('tensor does not require grad and does not have a grad_fn');
  return { node: t._gradAccumulator(), outputNr: 0 };
}

// The data of an explanation: leaves, forward steps, backward steps with their chain-rule terms,
// gradients and findings. The renderers read only these.
import type { Formula, Value } from './math.js';

/** A leaf of the graph: a parameter, an input that requires grad, or a constant. */
export interface LeafValue {
  readonly symbol: string;
  readonly kind: 'parameter' | 'input' | 'constant';
  readonly value: Value;
}

export interface ForwardStep {
  /** t1, t2, ... in the order computed; the loss is L. */
  readonly symbol: string;
  /** The primitive (add, matmul, relu, ...). */
  readonly op: string;
  /** The node's name, PyTorch's grad_fn name: AddBackward, MatmulBackward, ... */
  readonly node: string;
  readonly inputs: readonly string[];
  /** The right-hand side of `symbol = ...`. */
  readonly formula: Formula;
  readonly value: Value;
  /** The module whose forward returned this value (innermost), when known; '' is the model. */
  readonly module: string | null;
  /** Every module that returned it, innermost first (fc2, then '' for the model itself). */
  readonly modules: readonly string[];
}

/** How one input of a node gets its share of the gradient. */
export interface BackwardTerm {
  readonly input: string;
  /** ∂y/∂x for elementwise ops: the formula and (when every element has its own) the numbers. */
  readonly local: { readonly formula: Formula; readonly value: Value | null } | null;
  /** The chain rule: ∂L/∂x = ∂L/∂y ⊙ ∂y/∂x = numbers = result. */
  readonly product: Formula;
  /** This term's contribution to ∂L/∂input. */
  readonly grad: Value;
  /** How many uses of `input` send it gradient (their contributions are summed). */
  readonly uses: number;
}

export interface BackwardStep {
  readonly symbol: string;
  readonly node: string;
  /** `symbol = formula`, as in the forward pass. */
  readonly formula: Formula;
  /** ∂L/∂symbol: the sum of what its uses sent back (1 for the loss itself). */
  readonly grad: Value;
  /** The contributions summed into `grad`, when there were several. */
  readonly parts: readonly Value[];
  /** For a node with several outputs (t4.0, t4.1, ...): ∂L/∂ each (null where none flowed). */
  readonly outputs: readonly { readonly symbol: string; readonly grad: Value | null }[];
  readonly terms: readonly BackwardTerm[];
}

export interface LeafGradient {
  readonly name: string;
  readonly kind: 'parameter' | 'input';
  readonly value: Value;
  readonly grad: Value;
}

/** A unit that passes no (or almost no) gradient back. */
export interface Finding {
  readonly kind: 'dead-relu' | 'saturated';
  /** The activation's output symbol. */
  readonly symbol: string;
  /** The element (or, with `unit`, the feature over the whole batch). */
  readonly index: readonly number[];
  readonly unit: number | null;
  /** The input of the activation there (the pre-activation z), when recorded. */
  readonly input: number | null;
  readonly message: string;
}

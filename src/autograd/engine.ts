// The backward engine: walks the recorded graph iteratively in reverse topological order,
// sums gradients per input, runs hooks, accumulates into leaves or captures for autograd.grad.
import { defineOptions, type Spec } from '../options.js';
import { AutogradError } from '../errors.js';
import { beginInternal, endInternal, keep, popInternal } from '../memory.js';
import { sameShape, shapeStr } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { anomalyActive, applyChecked } from './anomaly.js';
import { GradModeScope, noGrad } from './grad_mode.js';
import { AccumulateGrad, gradientEdge, type Edge, type Node } from './node.js';
import { reachableNodes } from './traverse.js';

export interface BackwardOptions {
  /** Keep the graph's saved tensors so that backward can run through it again. */
  readonly retainGraph?: boolean;
  /** Record the backward pass itself, for higher-order gradients. */
  readonly createGraph?: boolean;
}

export interface GradOptions extends BackwardOptions {
  /** The gradient of each output (needed for non-scalar outputs). */
  readonly gradOutputs?: Tensor | readonly (Tensor | null)[] | null;
  /** Return null for inputs the outputs do not depend on, instead of throwing. */
  readonly allowUnused?: boolean;
}

const BACKWARD_SPEC: Spec<BackwardOptions> = { retainGraph: 'boolean', createGraph: 'boolean' };
const BACKWARD = defineOptions<BackwardOptions>('Tensor.backward', BACKWARD_SPEC);
const GRAD = defineOptions<GradOptions>('autograd.grad', {
  ...BACKWARD_SPEC,
  gradOutputs: ['tensor', 'array', 'null'],
  allowUnused: 'boolean',
});

/** A max-heap of ready nodes by creation order: later nodes run first, as in PyTorch. */
class ReadyQueue {
  readonly #heap: Node[] = [];

  get size(): number {
    return this.#heap.length;
  }

  push(n: Node): void {
    const h = this.#heap;
    h.push(n);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p]!.seq >= h[i]!.seq) break;
      [h[p], h[i]] = [h[i]!, h[p]!];
      i = p;
    }
  }

  pop(): Node {
    const h = this.#heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && h[l]!.seq > h[m]!.seq) m = l;
        if (r < h.length && h[r]!.seq > h[m]!.seq) m = r;
        if (m === i) break;
        [h[m], h[i]] = [h[i]!, h[m]!];
        i = m;
      }
    }
    return top;
  }
}

function rootGradient(output: Tensor, grad: Tensor | null | undefined, i: number): Tensor {
  if (grad === null || grad === undefined) {
    if (output.numel() !== 1)
      throw new AutogradError('grad can be implicitly created only for scalar outputs');
    return output._onesLike();
  }
  if (!sameShape(grad.shape, output.shape)) {
    throw new AutogradError(
      `Mismatch in shape: grad_output[${i}] has a shape of ${shapeStr(grad.shape)} and output[${i}] has a shape of ${shapeStr(output.shape)}.`,
    );
  }
  return grad.dtype === output.dtype ? grad : grad.to(output.dtype);
}

/** The nodes from which some target node can be reached (the part autograd.grad must run). */
function neededFor(all: Set<Node>, targets: Set<Node>): Set<Node> {
  // Reverse edges, then walk back from the targets.
  const parents = new Map<Node, Node[]>();
  for (const n of all) {
    for (const e of n.next) {
      if (e === null) continue;
      const list = parents.get(e.node);
      if (list) list.push(n);
      else parents.set(e.node, [n]);
    }
  }
  const needed = new Set<Node>();
  const stack = [...targets].filter((t) => all.has(t));
  for (const t of stack) needed.add(t);
  while (stack.length > 0) {
    const n = stack.pop()!;
    for (const p of parents.get(n) ?? []) {
      if (!needed.has(p)) {
        needed.add(p);
        stack.push(p);
      }
    }
  }
  return needed;
}

/**
 * Frees a gradient the engine has finished with, when nothing else can hold it (not shared with a
 * hook, the caller or another input): its buffer serves the rest of this backward at once.
 */
function release(shared: Set<Tensor>, g: Tensor, createGraph: boolean): void {
  if (!createGraph && !isShared(shared, g)) g.dispose();
}

function addInto(
  buffers: Map<Node, (Tensor | null)[]>,
  edge: Edge,
  g: Tensor,
  shared: Set<Tensor>,
  createGraph: boolean,
): void {
  let buf = buffers.get(edge.node);
  if (buf === undefined) {
    buf = new Array<Tensor | null>(edge.node.numOutputs).fill(null);
    buffers.set(edge.node, buf);
  }
  const prev = buf[edge.outputNr];
  if (prev === null || prev === undefined) {
    buf[edge.outputNr] = g;
    return;
  }
  buf[edge.outputNr] = prev.add(g);
  if (prev !== g) release(shared, prev, createGraph);
  release(shared, g, createGraph);
}

/** Adds a gradient into a leaf's .grad, in place when no graph is being built (as PyTorch). */
function accumulate(leaf: Tensor, g: Tensor, createGraph: boolean, fresh: boolean): void {
  const grad = g.dtype === leaf.dtype ? g : g.to(leaf.dtype);
  const prev = leaf._grad;
  if (prev === null) {
    // A fresh gradient (made by this backward, referenced nowhere else) is stored as it is, as
    // PyTorch steals a gradient whose refcount is 1; anything else is copied.
    const own = !createGraph && grad === g && fresh && g.isContiguous();
    leaf._setOwnGrad(keep(own ? g : createGraph ? grad.clone() : noGrad(() => grad.clone())));
    if (own || createGraph) return;
  } else if (createGraph) {
    leaf._setOwnGrad(keep(prev.add(grad)));
    return;
  } else {
    noGrad(() => prev.add_(grad));
  }
  // What was copied or added in is no longer needed (a cast made here; g itself when fresh).
  if (grad !== g) grad.dispose();
  if (fresh) g.dispose();
}

/**
 * Marks a gradient (and the tensor whose storage it views) as possibly held elsewhere, so that
 * it is never stored in .grad without a copy.
 */
function markShared(shared: Set<Tensor>, t: Tensor): void {
  shared.add(t);
  if (t._base !== null) shared.add(t._base);
}

function isShared(shared: Set<Tensor>, t: Tensor): boolean {
  return shared.has(t) || (t._base !== null && shared.has(t._base));
}

/**
 * After a node ran: its input gradients are shared when a custom Function made them, when two of
 * them share storage, or when they view a shared gradient. A view of an unshared incoming gradient
 * is not: that gradient's only holder (this node's buffer) is gone.
 */
function markOutputs(
  node: Node,
  out: readonly (Tensor | null | undefined)[],
  shared: Set<Tensor>,
): void {
  // (A node has a handful of gradients: an array beats a Set here.)
  const roots: Tensor[] = [];
  for (const g of out) {
    if (!g) continue;
    const root = g._base ?? g;
    if (!node.ownsOutputs || roots.includes(root) || isShared(shared, g)) markShared(shared, g);
    roots.push(root);
  }
  // Two outputs over one storage: mark the first one too.
  for (const g of out)
    if (g && roots.indexOf(g._base ?? g) !== roots.lastIndexOf(g._base ?? g)) markShared(shared, g);
}

/** A primitive's backward, whose temporaries are freed as it returns (memory.ts internal scopes). */
function applyInternal(node: Node, grads: readonly (Tensor | null)[]): (Tensor | null)[] {
  const scope = beginInternal();
  let out: (Tensor | null)[];
  try {
    out = node.apply(grads);
  } catch (e) {
    popInternal(scope);
    throw e;
  }
  endInternal(scope, out);
  return out;
}

interface Run {
  readonly outputs: readonly Tensor[];
  readonly gradOutputs: readonly (Tensor | null | undefined)[];
  readonly retainGraph: boolean;
  readonly createGraph: boolean;
  /** For autograd.grad: capture these instead of accumulating into leaves. */
  readonly inputs?: readonly Tensor[];
}

function execute(run: Run): (Tensor | null)[] | undefined {
  const roots: { edge: Edge; grad: Tensor }[] = run.outputs.map((out, i) => {
    if (!out.requiresGrad) {
      throw new AutogradError(
        `element ${i} of tensors does not require grad and does not have a grad_fn`,
      );
    }
    return { edge: gradientEdge(out), grad: rootGradient(out, run.gradOutputs[i], i) };
  });
  const all = reachableNodes(roots.map((r) => r.edge.node));

  // autograd.grad: where each input's gradient is to be read, and which nodes must run for it.
  const captureAt = new Map<Node, Map<number, number[]>>();
  let needed: Set<Node> = all;
  if (run.inputs) {
    run.inputs.forEach((t, i) => {
      if (!t.requiresGrad)
        throw new AutogradError(`One of the differentiated Tensors does not require grad`);
      const e = gradientEdge(t);
      const byOut = captureAt.get(e.node) ?? new Map<number, number[]>();
      byOut.set(e.outputNr, [...(byOut.get(e.outputNr) ?? []), i]);
      captureAt.set(e.node, byOut);
    });
    needed = neededFor(all, new Set(captureAt.keys()));
  }
  const captured: (Tensor | null)[] = run.inputs ? run.inputs.map(() => null) : [];

  const deps = new Map<Node, number>();
  for (const n of needed) {
    for (const e of n.next)
      if (e !== null && needed.has(e.node)) deps.set(e.node, (deps.get(e.node) ?? 0) + 1);
  }
  const buffers = new Map<Node, (Tensor | null)[]>();
  // Gradients that something else may hold (the caller's, a hook's, one routed to two inputs):
  // these are never stored in .grad without a copy.
  const shared = new Set<Tensor>();
  for (const r of roots) {
    if (r.grad === run.gradOutputs[roots.indexOf(r)]) markShared(shared, r.grad);
    if (needed.has(r.edge.node)) addInto(buffers, r.edge, r.grad, shared, run.createGraph);
  }
  const ready = new ReadyQueue();
  for (const n of new Set(roots.map((r) => r.edge.node))) {
    if (needed.has(n) && (deps.get(n) ?? 0) === 0) ready.push(n);
  }

  const mode = new GradModeScope(run.createGraph);
  try {
    while (ready.size > 0) {
      const node = ready.pop();
      const grads = buffers.get(node) ?? new Array<Tensor | null>(node.numOutputs).fill(null);
      buffers.delete(node);
      for (let k = 0; k < grads.length; k++) {
        const g = grads[k];
        if (g === null || g === undefined) continue;
        const h = node.runPreHooks(k, g);
        // A hook may keep the gradient it saw, or return one it keeps: copy those.
        if (h !== g || node.hasPreHooks(k)) markShared(shared, h);
        grads[k] = h;
      }
      const cap = captureAt.get(node);
      if (cap) {
        for (const [outputNr, idxs] of cap) {
          const g = grads[outputNr] ?? null;
          for (const i of idxs) captured[i] = g;
          if (g !== null) markShared(shared, g);
        }
      }
      if (node instanceof AccumulateGrad) {
        const g = grads[0];
        if (!run.inputs && g !== null && g !== undefined)
          accumulate(node.variable, g, run.createGraph, !isShared(shared, g));
        continue;
      }
      const anyGrad = grads.some((g) => g !== null && g !== undefined);
      // NOTE: a primitive's backward is library code: what it makes and does not return is
      // freed at once (not under createGraph, where the backward pass is itself a graph).
      const inputGrads = anyGrad
        ? anomalyActive
          ? applyChecked(node, grads)
          : node.ownsOutputs && !run.createGraph
            ? applyInternal(node, grads)
            : node.apply(grads)
        : node.next.map(() => null);
      markOutputs(node, inputGrads, shared);
      for (const g of grads) {
        if (g !== null && g !== undefined && !inputGrads.includes(g))
          release(shared, g, run.createGraph);
      }
      node.next.forEach((edge, i) => {
        if (edge === null || !needed.has(edge.node)) return;
        const g = inputGrads[i];
        if (g !== null && g !== undefined) addInto(buffers, edge, g, shared, run.createGraph);
        const left = deps.get(edge.node)! - 1;
        deps.set(edge.node, left);
        if (left === 0) ready.push(edge.node);
      });
      if (!run.retainGraph) node.release();
    }
  } finally {
    mode.exit();
  }
  return run.inputs ? captured : undefined;
}

/** tensor.backward(): accumulates d(outputs)/d(leaf) into every leaf's .grad. */
export function backward(
  outputs: Tensor | readonly Tensor[],
  gradOutputs?: Tensor | readonly (Tensor | null)[] | null,
  opts?: BackwardOptions,
): void {
  BACKWARD.check(opts);
  const outs = Array.isArray(outputs) ? (outputs as readonly Tensor[]) : [outputs as Tensor];
  const grads =
    gradOutputs === null || gradOutputs === undefined
      ? []
      : Array.isArray(gradOutputs)
        ? gradOutputs
        : [gradOutputs as Tensor];
  const createGraph = opts?.createGraph ?? false;
  execute({
    outputs: outs,
    gradOutputs: grads,
    createGraph,
    retainGraph: opts?.retainGraph ?? createGraph,
  });
}

/**
 * autograd.grad(outputs, inputs): the gradients of the outputs with respect to the inputs,
 * returned rather than accumulated into .grad.
 */
export function grad(
  outputs: Tensor | readonly Tensor[],
  inputs: Tensor | readonly Tensor[],
  opts?: GradOptions,
): (Tensor | null)[] {
  GRAD.check(opts);
  const outs = Array.isArray(outputs) ? (outputs as readonly Tensor[]) : [outputs as Tensor];
  const ins = Array.isArray(inputs) ? (inputs as readonly Tensor[]) : [inputs as Tensor];
  const go = opts?.gradOutputs;
  const grads = go === null || go === undefined ? [] : Array.isArray(go) ? go : [go as Tensor];
  const createGraph = opts?.createGraph ?? false;
  const result = execute({
    outputs: outs,
    gradOutputs: grads,
    createGraph,
    retainGraph: opts?.retainGraph ?? createGraph,
    inputs: ins,
  })!;
  if (!opts?.allowUnused && result.some((r) => r === null)) {
    throw new AutogradError(
      'One of the differentiated Tensors appears to not have been used in the graph. Set allowUnused: true if this is the desired behavior.',
    );
  }
  return result;
}

// Graph recording for diagnostics: while on, every recorded node keeps a snapshot of its inputs' and
// outputs' values and the modules that returned its output, for explain() and toDot() to show.
import { defineOptions } from '../options.js';
import { addNodeObserver } from '../autograd/anomaly.js';
import type { Node } from '../autograd/node.js';
import type { Module } from '../nn/module.js';
import { Tensor } from '../tensor.js';

const RECORD_GRAPH = defineOptions<RecordOptions>('recordGraph', {
  model: 'object',
  maxElements: 'integer',
});

/** A tensor as it was when its node was recorded. */
export interface TensorSnapshot {
  /** The tensor itself while something else keeps it alive (to recognise inputs by identity). */
  readonly ref: WeakRef<Tensor>;
  readonly shape: readonly number[];
  readonly dtype: string;
  /** Its values, row-major, or null when it was too large or its backend reads asynchronously. */
  readonly data: readonly number[] | null;
}

export interface NodeRecord {
  readonly inputs: readonly TensorSnapshot[];
  readonly outputs: readonly TensorSnapshot[];
  /** Module paths whose forward returned this node's output, innermost first ('' is the root). */
  readonly modules: string[];
}

export interface RecordOptions {
  /** Label the nodes that modules of this model return with the modules' paths. */
  readonly model?: Module;
  /** Tensors with more elements than this keep no values (default 65 536). */
  readonly maxElements?: number;
}

const records = new WeakMap<Node, NodeRecord>();

/** What was recorded for `node`, if it was created inside recordGraph. */
export function recordOf(node: Node): NodeRecord | undefined {
  return records.get(node);
}

export function snapshot(t: Tensor, maxElements = 1 << 16): TensorSnapshot {
  const readable = !t.isDisposed && t._backend.readSync !== undefined && t.numel() <= maxElements;
  return {
    ref: new WeakRef(t),
    shape: [...t.shape],
    dtype: t.dtype,
    data: readable ? Array.from(t.dataSync() as ArrayLike<number>, Number) : null,
  };
}

/**
 * Runs `fn` with graph recording on: each node recorded meanwhile keeps its inputs' and outputs'
 * values, so that explain() and toDot({ values: true }) can show the forward pass. Costs a copy of
 * every recorded tensor: meant for the small graphs those tools show.
 */
export function recordGraph<T>(fn: () => T, opts?: RecordOptions): T {
  RECORD_GRAPH.check(opts);
  const max = opts?.maxElements ?? 1 << 16;
  const remove = addNodeObserver((node, inputs, outputs) => {
    records.set(node, {
      inputs: inputs.map((t) => snapshot(t, max)),
      outputs: outputs.map((t) => snapshot(t, max)),
      modules: [],
    });
  });
  const handles = (opts?.model?.namedModules() ?? []).map(([path, m]) =>
    m.registerForwardHook((_m, _args, out) => {
      if (out instanceof Tensor && out.gradFn !== null) {
        const rec = records.get(out.gradFn);
        if (rec !== undefined && !rec.modules.includes(path)) rec.modules.push(path);
      }
    }),
  );
  try {
    return fn();
  } finally {
    remove();
    for (const h of handles) h.remove();
  }
}

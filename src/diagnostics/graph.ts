// Graph export: the autograd graph behind a tensor as Graphviz DOT, and as SVG laid out by Graphviz
// itself (compiled to WebAssembly, @viz-js/viz), so it works in Node and in browsers alike.
import { defineOptions, type Spec } from '../options.js';
import { nodesInOrder } from '../autograd/traverse.js';
import { noGrad } from '../autograd/grad_mode.js';
import { AccumulateGrad, type Node } from '../autograd/node.js';
import { ArgumentError } from '../errors.js';
import type { Module } from '../nn/module.js';
import { OpNode } from '../autograd/op_node.js';
import type { Tensor } from '../tensor.js';
import { MAX_SHOWN, fmtNumber, shapeText, valueText } from './math.js';
import { recordOf, snapshot } from './record.js';

const GRAPH_SPEC: Spec<GraphOptions> = {
  model: 'object',
  values: 'boolean',
  grads: 'boolean',
  names: 'object',
  maxValues: 'integer',
  maxNodes: 'integer',
};
const TO_DOT = defineOptions<GraphOptions>('toDot', GRAPH_SPEC);
const TO_SVG = defineOptions<GraphOptions>('toSvg', GRAPH_SPEC);

export interface GraphOptions {
  /** Label parameters with their module paths (fc1.weight) and ops with the module that returned them. */
  readonly model?: Module;
  /**
   * Show values of tensors with at most `maxValues` elements: leaves always, op outputs when the
   * graph was recorded (recordGraph, or explain(() => ...)).
   */
  readonly values?: boolean;
  /**
   * Show gradient norms ‖∂out/∂·‖ (out = the tensor, which must hold one number, else the gradient
   * of its sum). Computed by running the graph's backward functions when the graph is intact;
   * otherwise the leaves' .grad norms are shown. Nothing's .grad is changed.
   */
  readonly grads?: boolean;
  /** Names for other tensors (inputs that require grad), e.g. { x: inputs }. */
  readonly names?: Readonly<Record<string, Tensor>>;
  /** The most elements a value may have to be shown (default 8). */
  readonly maxValues?: number;
  /** Refuse graphs with more nodes than this (default 2000): Graphviz gets slow beyond. */
  readonly maxNodes?: number;
}

function norm(t: Tensor): number | null {
  const s = snapshot(t);
  if (s.data === null) return null;
  let sum = 0;
  for (const v of s.data) sum += v * v;
  return Math.sqrt(sum);
}

/** ∂root/∂(each node's outputs), by running the backward functions (later nodes first). */
function gradients(root: Tensor, nodes: readonly Node[]): Map<Node, (Tensor | null)[]> {
  const grads = new Map<Node, (Tensor | null)[]>();
  const rootNode = root.gradFn!;
  const start = new Array<Tensor | null>(rootNode.numOutputs).fill(null);
  start[root._outputNr] = noGrad(() => root._onesLike());
  grads.set(rootNode, start);
  noGrad(() => {
    for (let i = nodes.length - 1; i >= 0; i--) {
      const n = nodes[i]!;
      const gs = grads.get(n);
      if (n instanceof AccumulateGrad || gs === undefined || gs.every((g) => g === null)) continue;
      const result = n.apply(gs);
      n.next.forEach((e, k) => {
        const g = result[k];
        if (e === null || g === null || g === undefined) return;
        const buf = grads.get(e.node) ?? new Array<Tensor | null>(e.node.numOutputs).fill(null);
        const prev = buf[e.outputNr];
        buf[e.outputNr] = prev === null || prev === undefined ? g : prev.add(g);
        grads.set(e.node, buf);
      });
    }
  });
  return grads;
}

const quote = (s: string): string =>
  `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;

/**
 * The autograd graph that produced `output`, in Graphviz DOT: one node per recorded op (its
 * PyTorch-style name, the primitive and the output shape), parameters and inputs as boxes named by
 * module path, arrows in the direction data flows, ending at the output.
 */
export function toDot(output: Tensor, opts: GraphOptions = {}): string {
  TO_DOT.checkGiven(opts);
  if (output.gradFn === null) {
    throw new ArgumentError(
      'toDot: the tensor has no autograd graph (it does not require grad, or was made under noGrad)',
    );
  }
  const nodes = nodesInOrder(output.gradFn);
  const maxNodes = opts.maxNodes ?? 2000;
  if (nodes.length > maxNodes) {
    throw new ArgumentError(
      `toDot: the graph has ${nodes.length} nodes, more than maxNodes = ${maxNodes}; pass { maxNodes } to draw it anyway`,
    );
  }
  const maxValues = opts.maxValues ?? Math.min(8, MAX_SHOWN);
  const names = new Map<Tensor, string>();
  for (const [k, t] of Object.entries(opts.names ?? {})) names.set(t, k);
  const params = new Set<Tensor>();
  for (const [k, t] of opts.model?.namedParameters() ?? []) {
    params.add(t);
    if (!names.has(t)) names.set(t, k);
  }

  // NOTE: the root's gradient is ones, so a tensor of many elements shows ∂(sum)/∂·.
  const grads = opts.grads && !nodes.some((n) => n.released) ? gradients(output, nodes) : null;
  const gradLine = (n: Node, k: number): string | null => {
    if (!opts.grads) return null;
    let g: Tensor | null | undefined = grads?.get(n)?.[k];
    if (grads === null && n instanceof AccumulateGrad) g = n.variable.grad;
    const v = g ? norm(g) : null;
    return v === null ? null : `‖grad‖ = ${fmtNumber(v)}`;
  };
  const showValue = (data: readonly number[] | null, shape: readonly number[]): string | null =>
    opts.values && data !== null && data.length <= maxValues ? valueText({ shape, data }) : null;

  const lines = [
    'digraph autograd {',
    '  graph [rankdir=TB, fontname="Helvetica", bgcolor="white"];',
    '  node [fontname="Helvetica", fontsize=11, shape=box, style="rounded,filled", fillcolor="#eef1f5", color="#8c959f"];',
    '  edge [color="#57606a", arrowsize=0.7];',
  ];
  let unnamed = 0;
  for (const n of nodes) {
    const id = `n${n.seq}`;
    if (n instanceof AccumulateGrad) {
      const v = n.variable;
      const name = names.get(v) ?? (unnamed++ === 0 ? 'input' : `input ${unnamed}`);
      const s = snapshot(v, maxValues);
      const label = [name, shapeText(s.shape), showValue(s.data, s.shape), gradLine(n, 0)];
      const param = params.has(v);
      lines.push(
        `  ${id} [label=${quote(label.filter((l) => l !== null).join('\n'))}, shape=box, style="filled", fillcolor=${param ? '"#ddf4ff"' : '"#fff8c5"'}, color=${param ? '"#54aeff"' : '"#d4a72c"'}];`,
      );
      continue;
    }
    const rec = recordOf(n);
    const shape = n instanceof OpNode ? n.output.shape : (rec?.outputs[0]?.shape ?? []);
    const op = n instanceof OpNode ? n.op : n.name.replace(/Backward$/, '');
    const module = rec?.modules.map((m) => (m === '' ? 'model' : m)).join(', ');
    const out0 = rec?.outputs[0];
    const label = [
      n.name,
      `${op} → ${shapeText(shape)}`,
      module ? `(${module})` : null,
      out0 ? showValue(out0.data, out0.shape) : null,
      gradLine(n, 0),
    ];
    lines.push(`  ${id} [label=${quote(label.filter((l) => l !== null).join('\n'))}];`);
  }
  for (const n of nodes) {
    for (const e of n.next) if (e !== null) lines.push(`  n${e.node.seq} -> n${n.seq};`);
  }
  const s = snapshot(output, maxValues);
  const outLabel = ['output', shapeText(s.shape), showValue(s.data, s.shape)];
  lines.push(
    `  out [label=${quote(outLabel.filter((l) => l !== null).join('\n'))}, shape=box, style="filled", fillcolor="#dafbe1", color="#4ac26b"];`,
    `  n${output.gradFn.seq} -> out;`,
    '}',
  );
  return `${lines.join('\n')}\n`;
}

let vizInstance: Promise<{ renderString(src: string, opts: { format: string }): string }> | null =
  null;

/**
 * The same graph as an SVG document, laid out by Graphviz (dot) compiled to WebAssembly. The wasm
 * module loads on the first call (about 100 ms), in Node and in browsers.
 */
export async function toSvg(output: Tensor, opts: GraphOptions = {}): Promise<string> {
  TO_SVG.checkGiven(opts);
  const dot = toDot(output, opts);
  vizInstance ??= import('@viz-js/viz').then((m) => m.instance());
  const viz = await vizInstance;
  return viz.renderString(dot, { format: 'svg' });
}

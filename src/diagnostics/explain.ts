// explain(): one training step told step by step with the real numbers: forward values, the chain rule
// node by node in backward order, ∂L/∂w per parameter, dead units, and the optimizer's update.
import { defineOptions } from '../options.js';
import { nodesInOrder } from '../autograd/traverse.js';
import { noGrad } from '../autograd/grad_mode.js';
import { AccumulateGrad, type Node } from '../autograd/node.js';
import { ArgumentError } from '../errors.js';
import type { Module } from '../nn/module.js';
import type { Optimizer } from '../optim/optimizer.js';
import { OpNode } from '../autograd/op_node.js';
import { Tensor } from '../tensor.js';
import { renderMarkdown, renderText, type MarkdownOptions } from './explain_render.js';
import { renderHtml, type HtmlOptions } from './explain_html.js';
import { EQ, HADAMARD, d, fmtNumber, txt, val, type Term, type Value } from './math.js';
import { chainProduct, forwardFormula, localFormula, opKind } from './op_rules.js';
import { recordGraph, recordOf, snapshot } from './record.js';
import { activationFindings } from './explain_findings.js';
import { simulateStep, type OptimizerAccount } from './explain_step.js';
import type {
  BackwardStep,
  BackwardTerm,
  Finding,
  ForwardStep,
  LeafGradient,
  LeafValue,
} from './explain_types.js';

export type { Value, Formula } from './math.js';
export type {
  BackwardStep,
  BackwardTerm,
  Finding,
  ForwardStep,
  LeafGradient,
  LeafValue,
} from './explain_types.js';

const EXPLAIN = defineOptions<ExplainOptions>('explain', {
  model: 'object',
  optimizer: 'object',
  maxNodes: 'integer',
  names: 'object',
  title: 'string',
});
const TO_MARKDOWN = defineOptions<MarkdownOptions>('Explanation.toMarkdown', { math: 'string' });
const TO_HTML = defineOptions<HtmlOptions>('Explanation.toHtml', { katexCss: 'string' });
export type { OptimizerAccount, ParameterUpdate } from './explain_step.js';

export interface ExplainOptions {
  /** Names parameters by module path (fc1.weight) and labels the values modules return. */
  readonly model?: Module;
  /** Adds the update step() would make, computed on a copy: the optimizer and model are untouched. */
  readonly optimizer?: Optimizer<object>;
  /** Refuse graphs with more nodes than this (default 64): the account is for small graphs. */
  readonly maxNodes?: number;
  /** Names for other tensors, e.g. { x: inputs, y: labels }. */
  readonly names?: Readonly<Record<string, Tensor>>;
  /** A heading for the account. */
  readonly title?: string;
}

export class Explanation {
  constructor(
    readonly title: string,
    /** Whether the forward values were recorded (explain(() => ...) or recordGraph). */
    readonly recorded: boolean,
    readonly leaves: readonly LeafValue[],
    readonly forward: readonly ForwardStep[],
    readonly loss: number,
    readonly backward: readonly BackwardStep[],
    readonly gradients: readonly LeafGradient[],
    readonly update: OptimizerAccount | null,
    readonly findings: readonly Finding[],
    readonly notes: readonly string[],
  ) {}

  /** Aligned terminal text with ∂ notation. */
  toText(): string {
    return renderText(this);
  }

  /** Markdown: tables and lists; formulas as code (or LaTeX with { math: 'latex' }). */
  toMarkdown(opts?: MarkdownOptions): string {
    TO_MARKDOWN.check(opts);
    return renderMarkdown(this, opts);
  }

  /** A self-contained HTML page with the math typeset by KaTeX (no network needed to view it). */
  toHtml(opts?: HtmlOptions): Promise<string> {
    TO_HTML.check(opts);
    return renderHtml(this, opts);
  }

  toString(): string {
    return this.toText();
  }
}

const DEFAULT_MAX_NODES = 64;

const valueOf = (t: Tensor): Value => {
  const s = snapshot(t);
  return { shape: s.shape, data: s.data };
};

const sameShape = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((x, i) => x === b[i]);

function transposed(v: Value): Value | null {
  if (v.data === null || v.shape.length !== 2) return null;
  const [r, c] = v.shape as [number, number];
  const out: number[] = [];
  for (let j = 0; j < c; j++) for (let i = 0; i < r; i++) out.push(v.data[i * c + j]!);
  return { shape: [c, r], data: out };
}

function opName(node: Node): string {
  return node instanceof OpNode ? node.op : node.name.replace(/Backward$/, '');
}

/**
 * Explains one step of backpropagation on a small graph, with the graph's own numbers.
 *
 * Pass the loss computation as a function, `explain(() => criterion.forward(model.forward(x), y),
 * { model, optimizer })`, so that forward values are recorded; a loss tensor works too (its graph
 * must not have been freed by backward), with forward values only where the graph was made inside
 * recordGraph. The gradients come from running each node's backward function, exactly as
 * loss.backward() would (hooks are not run), without touching any .grad; given the optimizer, the
 * update that step() would make is computed on copies of the parameters and optimizer state.
 */
export function explain(loss: Tensor | (() => Tensor), opts: ExplainOptions = {}): Explanation {
  EXPLAIN.checkGiven(opts);
  const root =
    typeof loss === 'function'
      ? recordGraph(loss, opts.model === undefined ? {} : { model: opts.model })
      : loss;
  if (!(root instanceof Tensor)) throw new ArgumentError('explain: expected a loss tensor');
  if (root.gradFn === null) {
    throw new ArgumentError(
      'explain: the loss has no graph (it does not require grad): compute it from parameters that require grad, outside noGrad',
    );
  }
  if (root.numel() !== 1) {
    throw new ArgumentError(
      `explain: the loss must be a single number, got shape [${root.shape.join(', ')}]`,
    );
  }
  const nodes = nodesInOrder(root.gradFn);
  const maxNodes = opts.maxNodes ?? DEFAULT_MAX_NODES;
  if (nodes.length > maxNodes) {
    throw new ArgumentError(
      `explain is for small graphs: this one has ${nodes.length} nodes, more than maxNodes = ${maxNodes}. ` +
        `Explain a smaller model or batch, pass { maxNodes: ${nodes.length} } to go on anyway, or draw the graph with toDot().`,
    );
  }
  if (nodes.some((n) => n.released)) {
    throw new ArgumentError(
      'explain: the graph was freed by backward(). Call explain before loss.backward(), or pass { retainGraph: true } to backward.',
    );
  }

  // ---- names ----
  const named = new Map<Tensor, string>();
  for (const [k, t] of Object.entries(opts.names ?? {})) named.set(t, k);
  const params = new Map<Tensor, string>(
    (opts.model?.namedParameters() ?? []).map(([name, t]) => [t, name]),
  );
  opts.optimizer?.paramGroups
    .flatMap((g) => g.params)
    .forEach((p, i) => {
      if (!params.has(p)) params.set(p, `param${i}`);
    });
  const used = new Set<string>(['L', ...named.values(), ...params.values()]);
  const fresh = (base: string, first: boolean): string => {
    if (first && !used.has(base)) {
      used.add(base);
      return base;
    }
    for (let i = 1; ; i++) {
      if (!used.has(`${base}${i}`)) {
        used.add(`${base}${i}`);
        return `${base}${i}`;
      }
    }
  };

  const symbols = new Map<Node, string[]>();
  const leaves: LeafValue[] = [];
  const leafOf = new Map<Node, LeafValue>();
  const constants = new Map<Tensor, string>();
  let recorded = true;
  const rootKey = `${root._outputNr}`;
  let counter = 0;
  for (const n of nodes) {
    if (n instanceof AccumulateGrad) {
      const v = n.variable;
      const isParam = params.has(v);
      const name = named.get(v) ?? params.get(v) ?? fresh('x', true);
      symbols.set(n, [name]);
      // The value the forward pass saw: from the first consumer's record, else the current one.
      const seen = nodes
        .map((c) => recordOf(c)?.inputs.find((s) => s.ref.deref() === v))
        .find((s) => s !== undefined);
      const leaf: LeafValue = {
        symbol: name,
        kind: isParam ? 'parameter' : 'input',
        value: seen ? { shape: seen.shape, data: seen.data } : valueOf(v),
      };
      leaves.push(leaf);
      leafOf.set(n, leaf);
    } else {
      const outs = Array.from({ length: n.numOutputs }, (_, k) =>
        n === root.gradFn && `${k}` === rootKey
          ? 'L'
          : n.numOutputs === 1
            ? `t${++counter}`
            : `t${counter + 1}.${k}`,
      );
      if (n.numOutputs > 1) counter++;
      symbols.set(n, outs);
    }
  }
  const symbolOf = (n: Node, k: number): string => symbols.get(n)![k] ?? '?';

  // ---- forward ----
  const forward: ForwardStep[] = [];
  const stepOf = new Map<Node, ForwardStep>();
  const inputValues = new Map<Node, (Value | null)[]>();
  for (const n of nodes) {
    if (n instanceof AccumulateGrad) continue;
    const rec = recordOf(n);
    if (rec === undefined) recorded = false;
    const args: string[] = [];
    const ins: (Value | null)[] = [];
    n.next.forEach((e, i) => {
      const snap = n instanceof OpNode ? rec?.inputs[i] : undefined;
      ins.push(snap ? { shape: snap.shape, data: snap.data } : null);
      if (e !== null) {
        args.push(symbolOf(e.node, e.outputNr));
        return;
      }
      const t = snap?.ref.deref();
      let name = t === undefined ? undefined : constants.get(t);
      if (name === undefined) {
        const given = t === undefined ? undefined : named.get(t);
        name =
          given ??
          (snap?.data?.length === 1 && snap.shape.length <= 1
            ? fmtNumber(snap.data[0]!)
            : fresh('c', false));
        if (t !== undefined) constants.set(t, name);
        if (given !== undefined || !/^[-\d]/.test(name)) {
          leaves.push({
            symbol: name,
            kind: given === undefined ? 'constant' : 'input',
            value: snap ? { shape: snap.shape, data: snap.data } : { shape: [], data: null },
          });
        }
      }
      args.push(name);
    });
    inputValues.set(n, ins);
    const op = opName(n);
    for (let k = 0; k < n.numOutputs; k++) {
      const out = rec?.outputs[k];
      const shape = out?.shape ?? (n instanceof OpNode ? [...n.output.shape] : []);
      const step: ForwardStep = {
        symbol: symbolOf(n, k),
        op,
        node: n.name,
        inputs: args,
        formula:
          n instanceof OpNode
            ? forwardFormula(n.op, n.params, args, n.inputs[0]?.shape.length ?? 0)
            : [txt(`${op}(${args.join(', ')})`, `\\operatorname{${op}}(${args.join(', ')})`)],
        value: { shape, data: out?.data ?? null },
        module: rec?.modules[0] ?? null,
        modules: [...(rec?.modules ?? [])],
      };
      forward.push(step);
      if (k === 0) stepOf.set(n, step);
    }
  }

  const rank = (l: LeafValue) => {
    const order = ['parameter', 'input', 'constant'].indexOf(l.kind);
    const k = [...params.values()].indexOf(l.symbol);
    return order * 1e6 + (k < 0 ? 0 : k);
  };
  leaves.sort((a, b) => rank(a) - rank(b));

  // ---- backward: each node's backward function, later nodes first, as the engine runs them ----
  const uses = new Map<Node, number[]>();
  for (const n of nodes)
    for (const e of n.next) {
      if (e === null) continue;
      const u = uses.get(e.node) ?? new Array<number>(e.node.numOutputs).fill(0);
      u[e.outputNr]! += 1;
      uses.set(e.node, u);
    }
  const grads = new Map<Node, (Tensor | null)[]>();
  const parts = new Map<Node, Tensor[][]>();
  const addGrad = (n: Node, k: number, g: Tensor) => {
    const buf = grads.get(n) ?? new Array<Tensor | null>(n.numOutputs).fill(null);
    const p = parts.get(n) ?? Array.from({ length: n.numOutputs }, () => [] as Tensor[]);
    const prev = buf[k];
    buf[k] = prev === null || prev === undefined ? g : noGrad(() => prev.add(g));
    p[k]!.push(g);
    grads.set(n, buf);
    parts.set(n, p);
  };
  const rootNode = root.gradFn;
  const rootGrad = noGrad(() => root._onesLike());
  grads.set(
    rootNode,
    Object.assign(new Array<Tensor | null>(rootNode.numOutputs).fill(null), {
      [root._outputNr]: rootGrad,
    }),
  );

  const backward: BackwardStep[] = [];
  const findings: Finding[] = [];
  for (let idx = nodes.length - 1; idx >= 0; idx--) {
    const n = nodes[idx]!;
    if (n instanceof AccumulateGrad) continue;
    const gs = grads.get(n);
    const g0 = gs?.[0];
    if (gs === undefined || gs.every((g) => g === null || g === undefined)) continue;
    const result = noGrad(() => n.apply(gs));
    const isRoot = n === rootNode;
    const y = symbolOf(n, 0);
    const kind = n instanceof OpNode ? opKind(n.op, n.params) : 'other';
    // ∂y/∂x per element: the backward of an elementwise op applied to ones.
    const locals =
      n instanceof OpNode && kind === 'elementwise' && g0
        ? noGrad(() => n.apply([g0._onesLike()]))
        : null;
    const upstream = g0 ? valueOf(g0) : { shape: [], data: null };
    const ins = inputValues.get(n) ?? [];
    const terms: BackwardTerm[] = [];
    n.next.forEach((e, i) => {
      const r = result[i];
      if (e === null || r === null || r === undefined) return;
      const x = symbolOf(e.node, e.outputNr);
      const grad = valueOf(r);
      const outShape = n instanceof OpNode ? n.output.shape : upstream.shape;
      const inShape = n instanceof OpNode ? n.inputs[i]!.shape : grad.shape;
      const broadcast = !sameShape(inShape, outShape);
      let local: BackwardTerm['local'] = null;
      let product: Term[];
      const lhs = [d('L', x), EQ];
      if (n instanceof OpNode && kind === 'elementwise') {
        const f = localFormula(n.op, i, stepOf.get(n)?.inputs ?? []);
        const lv = locals?.[i];
        const constant = f !== null && f.length === 1 && f[0]!.k === 'txt';
        const localValue = !broadcast && lv ? valueOf(lv) : null;
        if (f !== null) local = { formula: f, value: constant ? null : localValue };
        if (isRoot) {
          product = [...lhs, ...(f ?? []), ...(f ? [EQ] : []), val(grad)];
        } else if (broadcast) {
          product = [
            ...lhs,
            txt('Σ_broadcast', '\\sum_{\\text{broadcast}}'),
            d('L', y),
            HADAMARD,
            d(y, x),
            EQ,
            val(grad),
          ];
        } else {
          const factor = localValue ? [val(localValue)] : constant ? f : null;
          product = [...lhs, d('L', y), HADAMARD, d(y, x), EQ];
          if (factor) product.push(val(upstream), HADAMARD, ...factor, EQ);
          product.push(val(grad));
        }
      } else {
        const names = stepOf.get(n)?.inputs ?? [];
        const j = 1 - i;
        const other = kind === 'matmul' || kind === 'linear' ? (ins[j] ?? null) : null;
        // linear's factors enter untransposed (∂L/∂y · W and (∂L/∂y)ᵀ · x), matmul's transposed
        const shown = upstream.shape.length === 2 && other?.shape.length === 2;
        product = chainProduct(kind, opName(n), i, x, y, {
          other: names[j] ?? '?',
          otherT:
            other === null ? null : kind === 'linear' ? (shown ? other : null) : transposed(other),
          upstream,
          upstreamT: kind === 'linear' && shown ? transposed(upstream) : null,
          grad,
        });
      }
      terms.push({ input: x, local, product, grad, uses: uses.get(e.node)?.[e.outputNr] ?? 1 });
      addGrad(e.node, e.outputNr, r);
    });
    const myParts = isRoot ? [] : (parts.get(n)?.[0] ?? []);
    backward.push({
      symbol: n.numOutputs > 1 ? y.replace(/\.0$/, '') : y,
      node: n.name,
      formula: stepOf.get(n)?.formula ?? [],
      grad: upstream,
      parts: myParts.length > 1 ? myParts.map(valueOf) : [],
      outputs:
        n.numOutputs > 1
          ? gs.map((g, k) => ({ symbol: symbolOf(n, k), grad: g ? valueOf(g) : null }))
          : [],
      terms,
    });
    if (n instanceof OpNode && locals !== null) {
      findings.push(
        ...activationFindings(
          n.op,
          y,
          stepOf.get(n),
          ins[0] ?? null,
          locals[0] ?? null,
          forward.find((s) => s.symbol === stepOf.get(n)?.inputs[0])?.module ?? null,
        ),
      );
    }
  }

  // ---- ∂L/∂w ----
  const gradients: LeafGradient[] = [];
  const paramOrder = [...params.keys()];
  const leafNodes = nodes.filter((n): n is AccumulateGrad => n instanceof AccumulateGrad);
  leafNodes.sort((a, b) => {
    const ia = paramOrder.indexOf(a.variable);
    const ib = paramOrder.indexOf(b.variable);
    return (ia < 0 ? Infinity : ia) - (ib < 0 ? Infinity : ib) || a.seq - b.seq;
  });
  const leafGrads = new Map<Tensor, Tensor>();
  for (const n of leafNodes) {
    const g = grads.get(n)?.[0];
    if (g === null || g === undefined) continue;
    const leaf = leafOf.get(n)!;
    leafGrads.set(n.variable, g);
    gradients.push({
      name: leaf.symbol,
      kind: leaf.kind === 'parameter' ? 'parameter' : 'input',
      value: leaf.value,
      grad: valueOf(g),
    });
  }

  const notes: string[] = [];
  if (!recorded) {
    notes.push(
      'Forward values were not recorded: pass the loss computation as a function, explain(() => loss, ...), or compute it inside recordGraph(), to see them.',
    );
  }
  let update: OptimizerAccount | null = null;
  if (opts.optimizer) {
    const r = simulateStep(opts.optimizer, leafGrads, (p) => {
      const n = leafNodes.find((l) => l.variable === p);
      return n ? leafOf.get(n)!.symbol : (params.get(p) ?? '?');
    });
    if (typeof r === 'string') notes.push(r);
    else update = r;
  }
  const lossValue = Number(root.detach().item());
  return new Explanation(
    opts.title ?? 'One step of backpropagation',
    recorded,
    leaves,
    forward,
    lossValue,
    backward,
    gradients,
    update,
    findings,
    notes,
  );
}

// ONNX export (browser-safe): trace a model on an example input and return the bytes of an ONNX ModelProto.
import { defineOptions, type Spec } from '../options.js';
import { NablaError } from '../errors.js';
import type { Module } from '../nn/module.js';
import { isViewPrimitive, type SliceParams } from '../primitives.js';
import { sameShape } from '../shape.js';
import { Tensor } from '../tensor.js';
import { GraphBuilder, ONNX_TYPE, type Batch, type Val } from './onnx_graph.js';
import { modulePlanner, type ModulePlan } from './onnx_modules.js';
import { OnnxUnsupported, emitPad, emitPrimitive, uniformValue } from './onnx_ops.js';
import { encodeModel, type OnnxModel, type OnnxValueInfo } from './onnx_proto.js';
import { traceModel, type Call, type Trace } from './onnx_trace.js';

/** The keys of exportOnnx's options (saveOnnx takes the same). */
export const ONNX_EXPORT_SPEC: Spec<OnnxExportOptions> = {
  opsetVersion: 'number',
  inputNames: 'array',
  outputNames: 'array',
  dynamicBatch: 'boolean',
  docString: 'string',
};
const BUILD_ONNX_MODEL = defineOptions<OnnxExportOptions>('buildOnnxModel', ONNX_EXPORT_SPEC);
const EXPORT_ONNX = defineOptions<OnnxExportOptions>('exportOnnx', ONNX_EXPORT_SPEC);

export interface OnnxExportOptions {
  /** The ai.onnx opset, 13 to 21 (default 17). GELU becomes one Gelu op from 20, LayerNorm one op from 17. */
  readonly opsetVersion?: number;
  /** Graph input names, one per example input (default 'input', or 'input_0', 'input_1', ...). */
  readonly inputNames?: readonly string[];
  /** Graph output names, one per output (default 'output', or 'output_0', ...). */
  readonly outputNames?: readonly string[];
  /** Make dim 0 of every input, and wherever it flows, the symbolic dim 'batch' (default true). */
  readonly dynamicBatch?: boolean;
  /** Stored as the model's doc_string. */
  readonly docString?: string;
}

export const MIN_OPSET = 13;
export const MAX_OPSET = 21;
export const DEFAULT_OPSET = 17;

/** The IR version that came with each opset (ONNX 1.8 to 1.16). */
function irVersion(opset: number): number {
  return opset <= 14 ? 7 : opset <= 18 ? 8 : opset <= 20 ? 9 : 10;
}

function fail(message: string): never {
  throw new NablaError(`ONNX export: ${message}`);
}

function names(
  given: readonly string[] | undefined,
  n: number,
  base: string,
  what: string,
): string[] {
  if (given === undefined)
    return n === 1 ? [base] : Array.from({ length: n }, (_, i) => `${base}_${i}`);
  if (given.length !== n) fail(`${what} has ${given.length} names for ${n} ${base}s`);
  return [...given];
}

/** A value's shape with its batch dim named: 'batch', or e.g. '4*batch' where a reshape merged dims into it. */
function symbolicDims(v: Val): (number | string)[] {
  const b = v.batch;
  if (b === null) return [...v.shape];
  const k = b.outer * b.inner;
  return v.shape.map((d, j) => (j !== b.dim ? d : k === 1 ? 'batch' : `${k}*batch`));
}

/** The tensors of a forward's result, depth first (LSTM's [output, [h, c]] gives three). */
function flatOutputs(r: unknown): Tensor[] | null {
  if (r instanceof Tensor) return [r];
  if (!Array.isArray(r)) return null;
  const out: Tensor[] = [];
  for (const x of r) {
    const xs = flatOutputs(x);
    if (xs === null) return null;
    out.push(...xs);
  }
  return out;
}

/** How the walk reaches a tensor: the call that made it, or what it stands for. */
type Source =
  | { readonly kind: 'call'; readonly call: Call<ModulePlan | string> }
  | { readonly kind: 'alias'; readonly of: Tensor }
  | { readonly kind: 'state' }
  | { readonly kind: 'const' };

const sameLayout = (a: Tensor, b: Tensor) =>
  a.dtype === b.dtype &&
  a._layout.offset === b._layout.offset &&
  sameShape(a.shape, b.shape) &&
  sameShape(a._layout.strides, b._layout.strides);

/** Walks back from the outputs, emitting each tensor's ONNX ops after those of its inputs. */
class Walker {
  readonly vals = new Map<Tensor, Val>();
  readonly #modules: ReadonlyMap<string, Module>;
  readonly #fills = new Map<Call<ModulePlan | string>, number | undefined>();

  constructor(
    readonly g: GraphBuilder,
    readonly trace: Trace<ModulePlan | string>,
    model: Module,
  ) {
    this.#modules = new Map(model.namedModules());
  }

  #where(scope: string): string {
    if (scope === '') return "in the model's own forward";
    const m = this.#modules.get(scope);
    return `in module '${scope}' (${m?.constructor.name ?? '?'})`;
  }

  source(t: Tensor): Source {
    const call = this.trace.producers.get(t);
    if (call !== undefined) return { kind: 'call', call };
    if (this.g.stateNames.has(t)) return { kind: 'state' };
    const twins = this.trace.byStorage.get(t._storage) ?? [];
    for (let i = twins.length - 1; i >= 0; i--) {
      const u = twins[i]!;
      if (u !== t && sameLayout(u, t) && !this.#viewOf(u, t)) return { kind: 'alias', of: u };
    }
    return { kind: 'const' };
  }

  /** Whether u was made from t by views (a whole-range slice has t's layout but is t's child). */
  #viewOf(u: Tensor, t: Tensor): boolean {
    for (let c = this.trace.producers.get(u); c?.kind === 'op' && isViewPrimitive(c.op);) {
      const from = c.inputs[0]!;
      if (from === t) return true;
      c = this.trace.producers.get(from);
    }
    return false;
  }

  /** The storage version a tensor had when it was made (what its consumers must have seen). */
  #madeAt(t: Tensor): number {
    const call = this.trace.producers.get(t);
    if (call !== undefined) return call.outVersion;
    const start = this.trace.startVersions.get(t);
    if (start !== undefined) return start;
    const src = this.source(t);
    return src.kind === 'alias' ? this.#madeAt(src.of) : t._storage.version;
  }

  #checkVersion(t: Tensor, seen: number, scope: string): void {
    if (this.#madeAt(t) !== seen) {
      fail(
        `a tensor was modified in place (${this.#where(scope)}); export traces out-of-place ops only`,
      );
    }
  }

  /**
   * The fill value when a call writes into a constant filled tensor (F.pad's constant mode):
   * that becomes a Pad, and the filled tensor itself is not needed.
   */
  #padFill(c: Call<ModulePlan | string>): number | undefined {
    if (c.kind !== 'op' || c.op !== 'sliceScatter' || (c.params as SliceParams).step !== 1)
      return undefined;
    if (!this.#fills.has(c)) {
      const base = c.inputs[0]!;
      this.#fills.set(c, this.source(base).kind === 'const' ? uniformValue(base) : undefined);
    }
    return this.#fills.get(c);
  }

  /** Emits everything `root` depends on, then root; iterative, so deep graphs do not overflow. */
  resolve(root: Tensor, version: number): Val {
    this.#checkVersion(root, version, '');
    const stack: { t: Tensor; scope: string; expanded: boolean }[] = [
      { t: root, scope: '', expanded: false },
    ];
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      if (this.vals.has(top.t)) {
        stack.pop();
        continue;
      }
      const src = this.source(top.t);
      if (!top.expanded) {
        top.expanded = true;
        if (src.kind === 'call') {
          const c = src.call;
          const scope = c.kind === 'op' ? c.scope : c.path;
          const skip = this.#padFill(c) === undefined ? -1 : 0;
          c.inputs.forEach((x, i) => {
            this.#checkVersion(x, c.inVersions[i]!, scope);
            if (i !== skip && !this.vals.has(x)) stack.push({ t: x, scope, expanded: false });
          });
        } else if (src.kind === 'alias' && !this.vals.has(src.of)) {
          stack.push({ t: src.of, scope: top.scope, expanded: false });
        }
        continue;
      }
      stack.pop();
      this.vals.set(top.t, this.#emit(top.t, src, top.scope));
    }
    return this.vals.get(root)!;
  }

  #emit(t: Tensor, src: Source, scope: string): Val {
    const g = this.g;
    const val = (name: string, batch: Batch | null): Val => ({
      name,
      shape: t.shape,
      dtype: t.dtype,
      batch: g.dynamic ? batch : null,
    });
    switch (src.kind) {
      case 'alias':
        return this.vals.get(src.of)!;
      case 'state':
        return val(g.tensor(t), null);
      case 'const': {
        if (t.gradFn !== null) {
          fail(
            `the output depends on a tensor made outside nabla's primitives (by ${t.gradFn.name}, ${this.#where(scope)}), such as a custom autograd Function; export cannot follow it`,
          );
        }
        g.scope = scope;
        return val(g.tensor(t), null);
      }
      case 'call': {
        const c = src.call;
        const ins = c.inputs.map((x) => this.vals.get(x)!);
        if (c.kind === 'module') {
          if (typeof c.plan === 'string')
            fail(`module '${c.path}' (${c.module.constructor.name}) cannot be exported: ${c.plan}`);
          g.scope = c.path;
          try {
            const out = c.plan(g, ins[0]!);
            return val(out.name, out.batch);
          } catch (e) {
            if (e instanceof OnnxUnsupported) fail(`${e.message} (${this.#where(c.path)})`);
            throw e;
          }
        }
        g.scope = c.scope;
        try {
          const fill = this.#padFill(c);
          const out =
            fill === undefined
              ? emitPrimitive(g, c.op, c.params, ins, t)
              : emitPad(g, ins[1]!, c.params as SliceParams, c.inputs[0]!.shape, fill);
          return val(out.name, out.batch);
        } catch (e) {
          if (e instanceof OnnxUnsupported) fail(`${e.message} (${this.#where(c.scope)})`);
          throw e;
        }
      }
    }
  }
}

/**
 * Traces `model` on `exampleInput` (in eval mode; its training flags are restored after) and
 * returns the ONNX model as data: layers with ONNX ops of their own (Linear, Conv, BatchNorm,
 * pools, activations, Softmax, Flatten, LayerNorm) become those ops, and everything else the
 * forward computes (residual adds, reshapes, functional code) is mapped primitive by primitive.
 * Parameters and buffers become initializers under their state-dict names.
 */
export function buildOnnxModel(
  model: Module,
  exampleInput: Tensor | readonly Tensor[],
  opts?: OnnxExportOptions,
): OnnxModel {
  BUILD_ONNX_MODEL.check(opts);
  const opset = opts?.opsetVersion ?? DEFAULT_OPSET;
  if (!Number.isInteger(opset) || opset < MIN_OPSET || opset > MAX_OPSET)
    fail(`opsetVersion must be an integer from ${MIN_OPSET} to ${MAX_OPSET}, got ${opset}`);
  const dynamic = opts?.dynamicBatch ?? true;
  const examples = exampleInput instanceof Tensor ? [exampleInput] : [...exampleInput];
  if (examples.length === 0) fail('no example input');
  if (dynamic && examples.some((x) => x.ndim === 0))
    fail('dynamicBatch needs inputs with a batch dim (a 0-d input was given)');

  const trace = traceModel(model, examples, modulePlanner(opset));
  const outputs = flatOutputs(trace.result);
  if (outputs === null || outputs.length === 0)
    fail('forward must return a tensor or (nested) arrays of tensors');

  const stateNames = new Map<Tensor, string>();
  for (const [n, t] of [...model.namedParameters(), ...model.namedBuffers()]) stateNames.set(t, n);
  const g = new GraphBuilder(opset, dynamic, stateNames);
  const inputNames = names(opts?.inputNames, examples.length, 'input', 'inputNames');
  const outputNames = names(opts?.outputNames, outputs.length, 'output', 'outputNames');
  for (const n of [...inputNames, ...outputNames])
    if (!g.reserve(n)) fail(`the name '${n}' is given twice`);

  const walker = new Walker(g, trace, model);
  const inputs: OnnxValueInfo[] = trace.inputs.map((x, i) => {
    const batch = dynamic ? { dim: 0, outer: 1, inner: 1 } : null;
    walker.vals.set(x, { name: inputNames[i]!, shape: x.shape, dtype: x.dtype, batch });
    const dims = x.shape.map((d, j) => (j === 0 && dynamic ? 'batch' : d));
    return { name: inputNames[i]!, type: ONNX_TYPE[x.dtype], dims };
  });

  const resolved = outputs.map((o) => walker.resolve(o, o._storage.version));
  const renamed = new Map<string, string>();
  const graphOutputs: OnnxValueInfo[] = resolved.map((v, i) => {
    const name = outputNames[i]!;
    const current = renamed.get(v.name);
    // Name the producing node's output after the graph output; copy with an Identity what is
    // not a node output (an input, an initializer) or was already named (returned twice).
    if (current === undefined && g.nodes.some((n) => n.outputs.includes(v.name))) {
      g.rename(v.name, name);
      renamed.set(v.name, name);
    } else {
      g.rename(g.op('Identity', [current ?? v.name]), name);
    }
    return { name, type: ONNX_TYPE[v.dtype], dims: symbolicDims(v) };
  });

  return {
    irVersion: irVersion(opset),
    opsetVersion: opset,
    producerName: 'nabla',
    ...(opts?.docString === undefined ? {} : { docString: opts.docString }),
    graph: {
      name: model.constructor.name,
      nodes: g.nodes,
      initializers: g.initializers,
      inputs,
      outputs: graphOutputs,
    },
  };
}

/** Exports `model` as the bytes of an .onnx file (see buildOnnxModel for what is traced and how). */
export function exportOnnx(
  model: Module,
  exampleInput: Tensor | readonly Tensor[],
  opts?: OnnxExportOptions,
): Uint8Array {
  EXPORT_ONNX.check(opts);
  return encodeModel(buildOnnxModel(model, exampleInput, opts));
}

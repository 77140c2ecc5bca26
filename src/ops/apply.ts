// apply(): the single dispatch path. Infer, cast, allocate, run the kernel (or make a view), record.
import { observeNode, observingNodes } from '../autograd/anomaly.js';
import { isGradEnabled } from '../autograd/grad_mode.js';
import { gradientEdge, type Edge } from '../autograd/node.js';
import { OpNode } from '../autograd/op_node.js';
import type { Backend, KernelInput, KernelOutput } from '../backend/backend.js';
import { isFloating } from '../dtype.js';
import { DeviceError, NablaError } from '../errors.js';
import { Storage } from '../memory.js';
import type { ParamsOf, Primitive } from '../primitives.js';
import { broadcastView, contiguousView, numel, type View } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { createTensor } from '../tensor_class.js';
import type { ErasedOpDef, TensorMeta } from './op.js';
import { bindApply } from './call.js';
import { flushHead, tryFuse } from './fusion.js';
import { opTracer } from './trace.js';
import { OPS } from './table.js';

export function commonBackend(inputs: readonly Tensor[]): Backend {
  const first = inputs[0]!._backend;
  for (const t of inputs) {
    const b = t._backend;
    if (b !== first) {
      throw new DeviceError(
        `Expected all tensors to be on the same device, but found at least two devices, ${first.name} and ${b.name}! ` +
          `Move one with tensor.to('${first.name}') (a model: model.to('${first.name}')).`,
      );
    }
  }
  return first;
}

function kernelInput(t: Tensor, view: View): KernelInput<unknown> {
  return {
    buffer: t._storage.buffer,
    dtype: t.dtype,
    shape: view.shape,
    strides: view.strides,
    offset: view.offset,
  };
}

/** A tensor as a kernel sees it: its buffer and view. */
export function kernelInputOf(t: Tensor): KernelInput<unknown> {
  return kernelInput(t, t._layout);
}

// NOTE: the op and kernel tables are large objects; Map lookups keep dispatch off the slow
// dictionary-property path.
const DEFS = new Map(Object.entries(OPS)) as Map<Primitive, ErasedOpDef>;

type ErasedKernel = (
  o: KernelOutput<unknown>,
  i: readonly KernelInput<unknown>[],
  p: object,
) => void;
const kernelCache = new WeakMap<Backend, Map<string, ErasedKernel>>();

function kernelOf(backend: Backend, op: Primitive): ErasedKernel {
  let table = kernelCache.get(backend);
  if (table === undefined) {
    table = new Map(Object.entries(backend.kernels)) as Map<string, ErasedKernel>;
    kernelCache.set(backend, table);
  }
  return table.get(op)!;
}

function needsCast(inputs: readonly Tensor[], casts: readonly (string | undefined)[]): boolean {
  for (let i = 0; i < inputs.length; i++) {
    const d = casts[i];
    if (d !== undefined && d !== inputs[i]!.dtype) return true;
  }
  return false;
}

const requiresGrad = (t: Tensor) => t.requiresGrad;

/** Runs primitive `op` on `inputs`: the only way ops reach a backend and the autograd graph. */
export function apply<P extends Primitive>(
  op: P,
  inputs: readonly Tensor[],
  params: ParamsOf<P>,
): Tensor {
  for (const t of inputs) t._assertLive();
  const def = DEFS.get(op)!;
  const inferred = def.infer(inputs, params);
  // NOTE: under autograd too: the node is recorded on the pending output below, and what its
  // backward saves is computed when saved (SavedTensor reads its storage's version), so a chain's
  // intermediates are written only where a backward needs them.
  let out: Tensor | null =
    def.kind !== 'view' && opTracer === null && !observingNodes
      ? tryFuse(op, inputs, inferred.shape, inferred.dtype)
      : null;
  const casts = inferred.inputDTypes;
  const ins =
    out === null && casts && needsCast(inputs, casts)
      ? inputs.map((t, i) => {
          const d = casts[i];
          return d !== undefined && d !== t.dtype ? apply('cast', [t], { dtype: d }) : t;
        })
      : inputs;
  // (a fused output is pending: float32 in and out, so no casts)
  if (out === null) {
    flushHead();
    if (def.kind === 'view') {
      const base = ins[0]!;
      const view = def.view!(base._layout, params, inferred);
      out = createTensor(base._storage, view, base.dtype, base._base ?? base);
    } else {
      const backend = ins.length > 0 ? commonBackend(ins) : undefined;
      if (backend === undefined) throw new NablaError(`${op}: no inputs`);
      const storage = Storage.alloc(backend, inferred.dtype, numel(inferred.shape), def.overwrites);
      const outK: KernelOutput<unknown> = {
        buffer: storage.buffer,
        dtype: inferred.dtype,
        shape: inferred.shape,
      };
      const bt = inferred.broadcastTo;
      const kIns = ins.map((t, i) => {
        const target = bt?.[i];
        return kernelInput(t, target === undefined ? t._layout : broadcastView(t._layout, target));
      });
      const kernel = kernelOf(backend, op);
      kernel(outK, kIns, params);
      out = createTensor(storage, contiguousView(inferred.shape), inferred.dtype, null);
    }
  }
  if (
    def.backward !== undefined &&
    isGradEnabled() &&
    isFloating(out.dtype) &&
    ins.some(requiresGrad)
  ) {
    // One pass over the inputs for what the node records of each.
    const n = ins.length;
    const needs = new Array<boolean>(n);
    const metas = new Array<TensorMeta>(n);
    const edges = new Array<Edge | null>(n);
    for (let i = 0; i < n; i++) {
      const t = ins[i]!;
      const need = t.requiresGrad;
      needs[i] = need;
      metas[i] = { shape: t.shape, dtype: t.dtype, strides: t._layout.strides };
      edges[i] = need ? gradientEdge(t) : null;
    }
    const node = new OpNode(
      op,
      def,
      params,
      metas,
      { shape: out.shape, dtype: out.dtype },
      needs,
      edges,
    );
    if (def.save)
      node.setSaved(def.save({ inputs: ins, output: out, params, needsInputGrad: needs }));
    out._setHistory(node, 0);
    if (observingNodes) observeNode(node, ins, [out]);
  }
  if (opTracer !== null) opTracer(op, ins, params, out);
  return out;
}

bindApply(apply);

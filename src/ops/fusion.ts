// Lazy fusion of elementwise chains on the fast backends: apply() records a pending expression, run as one pass when touched.
import type { DType } from '../dtype.js';
import { NablaError } from '../errors.js';
import { setFusionHooks, Storage, type StorageSource } from '../memory.js';
import type { Primitive } from '../primitives.js';
import { contiguousView, isContiguous, numel, type Shape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { createPendingTensor, type Pending } from '../tensor_class.js';

// NOTE: the design (docs/kernels.md, "Fused elementwise chains"). An elementwise op on a fast
// backend returns a pending tensor: an expression over computed leaves. An op that extends the
// newest pending tensor (the head) inlines its expression, so the intermediate is never written;
// anything else computes the head first, so the work asked for is done within one op's delay.
// Superseded intermediates stay pending and are computed only if touched. They read their leaves
// through the leaves' storages' sources (Storage.source): before a storage is overwritten in place
// its source moves to a copy of the old data, and before it is freed the source takes its buffer,
// so an intermediate computed later sees its inputs as they were. NOTE: nothing refers to the
// intermediates themselves (a WeakRef would keep each one alive to the end of the job, and with it
// its inputs' buffers, in a loop that never yields).

const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;

/** On unless NABLA_FUSE=0 is in the environment. */
let enabled = env?.NABLA_FUSE !== '0';
/**
 * The fewest output elements for which an op fuses: below it the bookkeeping costs more than the
 * memory traffic it saves (measured with bench/workloads/relu.ts at several sizes; docs/kernels.md).
 */
let minElements = 1 << 15;

/** The newest pending tensor: computed before any op that does not extend it. */
let head: Tensor | null = null;

/** @internal Turns fusion on or off (NABLA_FUSE=1 starts it on); returns the previous setting. */
export function setFusion(on: boolean): boolean {
  const was = enabled;
  if (!on) flushHead();
  enabled = on;
  return was;
}

/** @internal Whether elementwise chains fuse on the fast backends. */
export function fusionEnabled(): boolean {
  return enabled;
}

/** @internal Sets the fewest output elements for which an op fuses; returns the previous value. */
export function setFusionThreshold(n: number): number {
  const was = minElements;
  minElements = n;
  return was;
}

/** Computes the head, if there is one. */
export function flushHead(): void {
  if (head !== null) materialize(head);
}

let flushQueued = false;

/**
 * The head is computed at the latest when the current job ends, so that a chain nothing touches
 * again (the last one of a loop) neither waits for the next op nor holds its inputs meanwhile.
 */
function flushAtJobEnd(): void {
  flushQueued = false;
  try {
    flushHead();
  } catch {
    // (a failure, out of memory say, is raised where the tensor is next touched)
  }
}

/** Computes a pending tensor into a storage of its own. */
export function materialize(t: Tensor): void {
  const p = t._pending;
  if (p === null) return;
  if (head === t) head = null;
  const leaves = p.sources.map(({ storage }, k) => {
    if (storage.freed) throw new NablaError('internal error: a pending tensor outlived its input');
    return { buffer: storage.buffer, offset: p.offsets[k]!, scalar: p.scalars[k]! };
  });
  const storage = Storage.alloc(p.backend, 'float32', p.n, true);
  p.fusion.run(storage.buffer, p.n, leaves, p.program);
  t._attach(storage);
}

/**
 * dispose() of a pending tensor: the head is computed (the work was asked for), a superseded
 * intermediate just drops its expression.
 */
export function disposePending(t: Tensor): void {
  if (head === t) materialize(t);
  else t._pending = null;
}

/**
 * Releases the storages that sources took over (copies and handed-over buffers) once nothing reads
 * them, on backends whose buffers need free(). NOTE: on the others the buffer goes with its source.
 */
const takenOver = new FinalizationRegistry<Storage>((s) => s.release());

/** A source's new storage: held until the source is collected. */
function holdFor(source: StorageSource, storage: Storage): void {
  source.storage = storage;
  storage.retain();
  if (!storage.backend.gcManaged) takenOver.register(source, storage);
}

/**
 * Before storage `s` is overwritten in place (`freeing` false) or freed: the head is computed if it
 * reads `s`, and what superseded pending tensors read of `s` moves to a copy of its data (a write)
 * or to its buffer (a free; returns true: the caller must not free the buffer).
 */
function beforeChange(s: Storage, freeing: boolean): boolean {
  const source = s.source!;
  if (head !== null && head._pending!.sources.includes(source)) flushHead();
  s.source = null;
  if (!source.shared) return false;
  if (freeing) {
    holdFor(source, new Storage(s.backend, s.buffer, s.dtype, s.size));
    return true;
  }
  const copy = Storage.alloc(s.backend, s.dtype, s.size, true);
  const whole = { dtype: s.dtype, shape: [s.size], strides: [1], offset: 0 };
  s.backend.assign({ ...whole, buffer: copy.buffer }, { ...whole, buffer: s.buffer });
  holdFor(source, copy);
  return false;
}
setFusionHooks(beforeChange, flushHead);

/** A superseded pending tensor: the storages it reads keep their data for it from now on. */
function supersede(t: Tensor): void {
  for (const source of t._pending!.sources) source.shared = true;
}

interface Builder {
  leaves: Tensor[];
  sources: StorageSource[];
  offsets: number[];
  scalars: boolean[];
  program: number[];
}

/** Adds input `t` to the expression being built: its operand number, or null when it cannot fuse. */
function operand(b: Builder, t: Tensor, n: number, inline: boolean): number | null {
  const p = t._pending;
  if (p !== null && inline) {
    if (p.n !== n) return null;
    // Inline: copy its leaves (shared ones once) and instructions, renumbered.
    const map = p.leaves.map((leaf, k) =>
      leafOperand(b, leaf, p.sources[k]!, p.offsets[k]!, p.scalars[k]!),
    );
    const base = b.program.length / 3;
    const prog = p.program;
    for (let i = 0; i < prog.length; i += 3) {
      b.program.push(prog[i]!);
      for (let j = 1; j < 3; j++) {
        const v = prog[i + j]!;
        b.program.push(v < 0 ? map[-v - 1]! : base + v);
      }
    }
    return b.program.length / 3 - 1;
  }
  const m = numel(t.shape);
  if (m !== n && m !== 1) return null;
  const view = t._layout;
  if (m === n && !isContiguous(view)) return null;
  const s = t._storage; // (computes a pending t when not inlining)
  const source = (s.source ??= { storage: s, shared: false });
  return leafOperand(b, t, source, view.offset, m === 1 && n !== 1);
}

function leafOperand(
  b: Builder,
  t: Tensor,
  source: StorageSource,
  offset: number,
  scalar: boolean,
): number {
  for (let k = 0; k < b.leaves.length; k++) {
    if (b.sources[k] === source && b.offsets[k] === offset && b.scalars[k] === scalar)
      return -k - 1;
  }
  b.leaves.push(t);
  b.sources.push(source);
  b.offsets.push(offset);
  b.scalars.push(scalar);
  return -b.leaves.length;
}

function build(
  code: number,
  inputs: readonly Tensor[],
  n: number,
  inline: boolean,
): Builder | null {
  const b: Builder = { leaves: [], sources: [], offsets: [], scalars: [], program: [] };
  const x = operand(b, inputs[0]!, n, inline);
  if (x === null) return null;
  let y = x;
  if (inputs.length === 2) {
    const o = operand(b, inputs[1]!, n, inline);
    if (o === null) return null;
    y = o;
  }
  b.program.push(code, x, y);
  return b;
}

/**
 * apply()'s fusion path for `op` on `inputs` with output `shape` and `dtype`: a pending tensor, or
 * null when the op does not fuse (apply() then runs it eagerly). The caller has checked that no
 * autograd node would be recorded and that no tracer or observer is watching.
 */
export function tryFuse(
  op: Primitive,
  inputs: readonly Tensor[],
  shape: Shape,
  dtype: DType,
): Tensor | null {
  if (!enabled || dtype !== 'float32' || inputs.length === 0 || inputs.length > 2) return null;
  const backend = inputs[0]!._backend;
  const fusion = backend.fusion;
  if (fusion === undefined) return null;
  const n = numel(shape);
  if (n < minElements) return null;
  for (const t of inputs) if (t.dtype !== 'float32' || t._backend !== backend) return null;
  const code = fusion.code(op, n);
  if (code < 0) return null;
  let b = build(code, inputs, n, true);
  if (
    b !== null &&
    (b.leaves.length > fusion.maxLeaves || b.program.length / 3 > fusion.maxInstructions)
  ) {
    b = build(code, inputs, n, false); // too long: compute the inputs, start a new expression
  }
  if (b === null) return null;
  const h = head;
  if (h !== null) {
    if (h._pending !== null && inputs.includes(h)) {
      head = null;
      supersede(h);
    } else flushHead();
  }
  const pending: Pending = { backend, fusion, n, ...b };
  const out = createPendingTensor(contiguousView(shape), dtype, pending);
  head = out;
  if (!flushQueued) {
    flushQueued = true;
    queueMicrotask(flushAtJobEnd);
  }
  return out;
}

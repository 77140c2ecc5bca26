// Op tracing: an optional observer that apply() tells about every primitive it runs (ONNX export).
import type { Primitive } from '../primitives.js';
import { suspendOrphaning } from '../memory.js';
import type { Tensor } from '../tensor.js';

/** Sees one primitive call: its name, its inputs (after apply's casts), its params and its output. */
export type OpTracer = (
  op: Primitive,
  inputs: readonly Tensor[],
  params: object,
  output: Tensor,
) => void;

/**
 * @internal The active tracer, or null. Unlike the autograd node observers it sees every op, in
 * grad mode or not, whatever the dtype: constants and integer index math included.
 */
export let opTracer: OpTracer | null = null;

/** Runs fn with `tracer` seeing every primitive apply() runs (the previous tracer is restored after). */
export function withOpTracer<T>(tracer: OpTracer, fn: () => T): T {
  const prev = opTracer;
  opTracer = tracer;
  const resume = suspendOrphaning();
  try {
    return fn();
  } finally {
    resume();
    opTracer = prev;
  }
}

// Fused elementwise chains on the fast backends: which primitives a program may hold, and its run.
import type { Fusion, FusionLeaf } from '../backend.js';
import { BINARY_CODE, BINARY_OPS, UNARY_CODE, UNARY_OPS } from './contract.js';
import type { Operand } from './engine.js';
import { UNARY_THRESHOLD } from './elementwise.js';
import { FUSED_BINARY, FUSED_MAX_INSTRUCTIONS, FUSED_MAX_LEAVES, INT32_LIMIT } from './meta.js';
import type { Buf, FastContext } from './shared.js';

/** The unary primitives kernels/fused.c runs (each with its own kernel's expression). */
const FUSED_UNARY = ['neg', 'abs', 'exp', 'log', 'sqrt', 'tanh', 'sigmoid', 'relu'] as const;
const FUSED_BINARY_OPS = ['add', 'sub', 'mul', 'div', 'maximum', 'minimum'] as const;

/** Primitive → [op code, which threshold its standalone C kernel is held to]. */
const CODES = new Map<string, readonly [number, 'elementwise' | 'transcendental']>();
for (const op of FUSED_UNARY) {
  const kernel = UNARY_OPS[op];
  const cost = UNARY_THRESHOLD[op];
  if (kernel !== null && cost !== null) CODES.set(op, [UNARY_CODE[kernel], cost]);
}
for (const op of FUSED_BINARY_OPS) {
  const kernel = BINARY_OPS[op];
  if (kernel !== null && kernel in BINARY_CODE) {
    CODES.set(op, [FUSED_BINARY + BINARY_CODE[kernel as keyof typeof BINARY_CODE], 'elementwise']);
  }
}

export function fusion(ctx: FastContext): Fusion<Buf> {
  const { engine, meta, thresholds } = ctx;
  const copies = engine.copiesInputs;
  return {
    maxLeaves: FUSED_MAX_LEAVES,
    maxInstructions: FUSED_MAX_INSTRUCTIONS,
    // NOTE: an op fuses only where eager execution would run its C kernel too (n at or above that
    // kernel's threshold): below it the JavaScript kernel runs, whose transcendentals differ in
    // the last bits, and a fused chain must equal the eager one bit for bit.
    code(op, n) {
      const c = CODES.get(op);
      if (c === undefined || n === 0 || n > INT32_LIMIT || n < thresholds[c[1]]) return -1;
      return c[0];
    },
    run(out, n, leaves: readonly FusionLeaf<Buf>[], program) {
      const offsets: number[] = [];
      const scalars: boolean[] = [];
      const ops: Operand[] = [];
      for (const l of leaves) {
        const hi = l.offset + (l.scalar ? 1 : n);
        offsets.push(copies ? 0 : l.offset);
        scalars.push(l.scalar);
        ops.push({ data: l.buffer as Float32Array, lo: l.offset, hi });
      }
      meta.fused(n, offsets, scalars, program);
      engine.fused(out as Float32Array, ops);
    },
  };
}

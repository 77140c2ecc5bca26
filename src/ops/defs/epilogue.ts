// Activations fused into a product's store (linear, conv2d): their validation and their gradient.
import { ArgumentError } from '../../errors.js';
import type { Epilogue } from '../../primitives.js';
import type { Tensor } from '../../tensor.js';
import { add, apply, exp, mul } from '../call.js';

/** Rejects an activation a product cannot apply as it stores its sums. */
export function checkEpilogue(op: string, activation: unknown, allowed: readonly Epilogue[]): void {
  if (activation !== undefined && !allowed.includes(activation as Epilogue))
    throw new ArgumentError(
      `${op}: unknown activation ${String(activation)} (expected ${allowed.join(' or ')})`,
    );
}

/**
 * The gradient through a fused activation, given its output's gradient g: relu's from its saved
 * output y (reluBackward), GELU's from the pre-activation z: Φ(z) + z·φ(z).
 */
export function epilogueGrad(g: Tensor, activation: Epilogue, saved: Tensor): Tensor {
  if (activation === 'relu') return apply('reluBackward', [g, saved], {});
  const z = saved;
  const cdf = mul(add(apply('erf', [mul(z, Math.SQRT1_2)], {}), 1), 0.5);
  const pdf = mul(exp(mul(mul(z, z), -0.5)), 1 / Math.sqrt(2 * Math.PI));
  return mul(g, add(cdf, mul(z, pdf)));
}

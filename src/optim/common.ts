// Option checks with PyTorch's messages, and the scalar-state reader, shared by the optimizers.
import { ArgumentError } from '../errors.js';
import { Tensor } from '../tensor.js';

/** A number as Python prints a float: 1 → "1.0", 0.5 → "0.5". */
export function pyFloat(x: number): string {
  return Number.isInteger(x) ? x.toFixed(1) : String(x);
}

/** Throws `Invalid <what>: <value>` unless value ≥ 0 (NaN fails too). */
export function checkNonNegative(value: number, what: string): void {
  if (!(value >= 0)) throw new ArgumentError(`Invalid ${what}: ${value}`);
}

/** Both betas must lie in [0, 1). */
export function checkBetas(betas: readonly [number, number]): void {
  betas.forEach((b, i) => {
    if (!(b >= 0 && b < 1)) {
      throw new ArgumentError(`Invalid beta parameter at index ${i}: ${pyFloat(b)}`);
    }
  });
}

/** A scalar state entry (step, mu_product) as a number; a state dict from PyTorch may hold a 0-d tensor. */
export function scalarState(v: unknown): number {
  return v instanceof Tensor ? Number(v.item()) : (v as number);
}

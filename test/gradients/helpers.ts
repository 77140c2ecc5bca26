// Shared helpers of the gradients tier: seeded float64 leaves, inputs kept away from kinks, check wrappers.
import { expect } from 'vitest';
import { autograd, Generator, noGrad, rand, randn, tensor, type Tensor } from '../../src/index.js';
import { float32Check } from '../setup/float32_check.js';

type Fn = (...inputs: Tensor[]) => Tensor | readonly Tensor[];

/** A fresh seeded generator, so that every test sees the same inputs whatever runs before it. */
export function gen(seed = 123): Generator {
  return new Generator(seed);
}

/** A float64 leaf that requires grad, built from `make` without recording anything. */
export function leaf(make: () => Tensor): Tensor {
  return noGrad(make).detach().requiresGrad_(true);
}

/** Standard normal float64 leaf requiring grad. */
export function rn(shape: readonly number[], g: Generator): Tensor {
  return randn(shape, { dtype: 'float64', generator: g, requiresGrad: true });
}

/** Uniform float64 leaf in [lo, hi) requiring grad. */
export function ru(shape: readonly number[], g: Generator, lo: number, hi: number): Tensor {
  return leaf(() =>
    rand(shape, { dtype: 'float64', generator: g })
      .mul(hi - lo)
      .add(lo),
  );
}

/** Strictly positive float64 leaf in [0.5, 2). */
export function pos(shape: readonly number[], g: Generator): Tensor {
  return ru(shape, g, 0.5, 2);
}

/** Normal float64 leaf with every element pushed at least `gap` away from 0 (for relu, abs, sign kinks). */
export function awayFromZero(shape: readonly number[], g: Generator, gap = 0.2): Tensor {
  return leaf(() => {
    const x = randn(shape, { dtype: 'float64', generator: g });
    return x.add(x.sign().mul(gap));
  });
}

/** A float64 leaf with the given values. */
export function f64(values: number[] | number[][] | number[][][]): Tensor {
  return tensor(values, { dtype: 'float64', requiresGrad: true });
}

/** A constant (no grad) int32 tensor, for indices. */
export function i32(values: number[] | number[][] | number[][][]): Tensor {
  return tensor(values, { dtype: 'int32' });
}

/** A constant bool tensor, for masks and conditions. */
export function mask(values: boolean[] | boolean[][] | boolean[][][]): Tensor {
  return tensor(values, { dtype: 'bool' });
}

/** Asserts gradcheck passes (gradcheck itself throws GradcheckError with the Jacobians on failure). */
export function check(fn: Fn, inputs: readonly Tensor[], opts?: autograd.GradcheckOptions): void {
  expect(autograd.gradcheck(fn, inputs, opts)).toBe(true);
  float32Check(fn, inputs);
}

/** Asserts both gradcheck and gradgradcheck pass. */
export function check2(fn: Fn, inputs: readonly Tensor[], opts?: autograd.GradcheckOptions): void {
  expect(autograd.gradcheck(fn, inputs, opts)).toBe(true);
  expect(autograd.gradgradcheck(fn, inputs, opts)).toBe(true);
  float32Check(fn, inputs);
}

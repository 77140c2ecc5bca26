// The backend matrix: which test files run once per backend, and the backends they run on.
import { existsSync } from 'node:fs';

/** The fast backends the matrix can run on (cpu runs every test file anyway). */
export const FAST_TEST_BACKENDS = ['wasm', 'native', 'webgpu'] as const;
export type FastTestBackend = (typeof FAST_TEST_BACKENDS)[number];

export function isFastTestBackend(name: string): name is FastTestBackend {
  return (FAST_TEST_BACKENDS as readonly string[]).includes(name);
}

/** The tiers that run on every backend (the others run on cpu only). */
export const MATRIX_TESTS = [
  'test/conformance/**/*.test.ts',
  'test/gradients/**/*.test.ts',
  'test/golden/**/*.test.ts',
  'test/api/**/*.test.ts',
];

/**
 * Files of MATRIX_TESTS that run once, in the cpu project: fast.test.ts already checks every fast
 * backend (and the plain SIMD128 wasm build) against cpu by name, whatever the default.
 */
export const MATRIX_ONCE = ['test/conformance/fast.test.ts'];

/**
 * Tests in MATRIX_TESTS that assert something true of cpu only, by full name (describe and test
 * names joined by spaces) with the reason; the fast backends' projects skip them by name.
 */
export const CPU_ONLY_TESTS: { readonly [name: string]: string } = {
  // The repr leaves out the device only for cpu, PyTorch's default: tensor([1.], device='wasm').
  'inspection prints like PyTorch': "asserts a repr without device=, which cpu tensors' is",
};

/**
 * Golden rows at the edges of float32 that WGSL does not promise to match (the WGSL spec's
 * accuracy table; docs/webgpu.md), by full test name with the reason; the webgpu project skips
 * them. Every other row of the tiers holds on webgpu at the tolerances wasm and native meet.
 */
export const WEBGPU_OUTSIDE_WGSL_ACCURACY: { readonly [name: string]: string } = {
  'golden: pointwise ops against PyTorch tan/special':
    'tan(x) for |x| ≥ 8192 uses WGSL tan, accurate to 2^-11 only inside [-π, π]',
  'golden: pointwise ops against PyTorch sinh/special':
    'sinh near float32 overflow: WGSL exp is accurate to 3 + 2|x| ulp (1.4e-6 off at x = 89)',
  'golden: pointwise ops against PyTorch cosh/special':
    'cosh near float32 overflow: WGSL exp is accurate to 3 + 2|x| ulp (1.4e-6 off at x = 89)',
  'golden: pointwise ops against PyTorch expm1/special':
    'expm1 near float32 overflow: WGSL exp is accurate to 3 + 2|x| ulp',
  'golden: pointwise ops against PyTorch log2/special':
    'subnormal inputs: GPUs (SwiftShader too) flush float32 subnormals to zero, so log2 gives -inf',
  'golden: pointwise ops against PyTorch log10/special':
    'subnormal inputs: GPUs (SwiftShader too) flush float32 subnormals to zero, so log10 gives -inf',
  'golden: pointwise ops against PyTorch hypot/large':
    "hypot's gradient divides by values past 2^126, where WGSL division has no accuracy bound (x·(1/y) with 1/y flushed)",
};

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * A test-name pattern that matches every test but those in CPU_ONLY_TESTS (and, for `backend`
 * webgpu, WEBGPU_OUTSIDE_WGSL_ACCURACY).
 */
export function notCpuOnly(backend?: string): RegExp {
  const skipped = {
    ...CPU_ONLY_TESTS,
    ...(backend === 'webgpu' ? WEBGPU_OUTSIDE_WGSL_ACCURACY : {}),
  };
  const names = Object.keys(skipped).map(escapeRegExp);
  return new RegExp(`^(?!(?:${names.join('|')})$)`);
}

/**
 * wasm always (its modules are committed); native when the addon is built, or when CI demands it
 * (NABLA_REQUIRE_NATIVE=1), so that an addon that fails to build or load fails the run; webgpu
 * when the optional `webgpu` package is installed (NABLA_WEBGPU_TESTS=0 leaves it out) or CI
 * demands it (NABLA_REQUIRE_WEBGPU=1): its setup fails the files when no adapter loads.
 */
export function matrixBackends(root: string): FastTestBackend[] {
  const native =
    process.env.NABLA_REQUIRE_NATIVE === '1' || existsSync(`${root}/build/Release/nabla.node`);
  const webgpu =
    process.env.NABLA_REQUIRE_WEBGPU === '1' ||
    (process.env.NABLA_WEBGPU_TESTS !== '0' &&
      existsSync(`${root}/node_modules/webgpu/package.json`));
  return [
    'wasm',
    ...(native ? (['native'] as const) : []),
    ...(webgpu ? (['webgpu'] as const) : []),
  ];
}

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

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A test-name pattern that matches every test but those in CPU_ONLY_TESTS. */
export function notCpuOnly(): RegExp {
  const names = Object.keys(CPU_ONLY_TESTS).map(escapeRegExp);
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

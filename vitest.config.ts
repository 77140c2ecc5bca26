// Test runner configuration: one fork pool with --expose-gc so memory tests can force collection,
// and one project per backend: cpu runs every test file; wasm and native (when built) run the
// conformance, gradients, golden and API tiers with that backend as the default
// (test/setup/backend.ts). test/setup/reporter.ts prints the test count per backend.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { MATRIX_ONCE, MATRIX_TESTS, matrixBackends, notCpuOnly } from './test/setup/matrix.js';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  test: {
    pool: 'forks',
    execArgv: ['--expose-gc'],
    testTimeout: 60_000,
    reporters: ['default', './test/setup/reporter.ts'],
    projects: [
      { extends: true, test: { name: 'cpu', include: ['test/**/*.test.ts'] } },
      ...matrixBackends(root).map((name) => ({
        extends: true as const,
        test: {
          name,
          include: MATRIX_TESTS,
          exclude: MATRIX_ONCE,
          testNamePattern: notCpuOnly(name),
          setupFiles: ['test/setup/backend.ts'],
          env: { NABLA_TEST_BACKEND: name },
        },
      })),
    ],
  },
});

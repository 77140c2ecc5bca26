// Backend-matrix setup file: moves the default backend to NABLA_TEST_BACKEND ('wasm', 'native' or
// 'webgpu') before a test file runs, so tensors the tests create land on it. A backend that fails
// to load fails the file: the matrix never falls back to cpu.
import { setBackend } from '../../src/backend/registry.js';
import { NO_THRESHOLDS } from '../../src/backend/fast/backend.js';
import { loadFastBackends } from '../../src/node/backends.js';
import { loadWebgpuBackend } from '../../src/node/webgpu.js';
import { isFastTestBackend } from './matrix.js';

const name = process.env.NABLA_TEST_BACKEND ?? 'cpu';
if (name !== 'cpu') {
  if (!isFastTestBackend(name)) throw new Error(`NABLA_TEST_BACKEND=${name}: not a test backend`);
  // NO_THRESHOLDS: even the tests' small tensors run the C kernels. The same options (in the same
  // order) as the conformance files, so loadFastBackends shares one load with them.
  const loaded = await loadFastBackends({ thresholds: NO_THRESHOLDS, threads: 2, quiet: true });
  if (name === 'webgpu') {
    // a missing package or adapter throws here and fails the file
    await loadWebgpuBackend({ quiet: true });
  } else if (loaded[name] === null) {
    throw new Error(
      `NABLA_TEST_BACKEND=${name}: the backend did not load (${loaded.errors[name] ?? 'unknown'})`,
    );
  }
  setBackend(name);
}

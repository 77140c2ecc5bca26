// A fast CPU backend (native or wasm): the cpu backend's typed arrays and kernels, with the C kernels
// of kernels/ overriding the ones they implement when the dtypes fit and the work is large enough.
import type { Backend, KernelTable } from '../backend.js';
import { cpuBackend } from '../cpu/index.js';
import { elementwiseKernels } from './elementwise.js';
import type { FastEngine } from './engine.js';
import { indexKernels } from './indexing.js';
import { linalgKernels } from './linalg.js';
import { fusion } from './fusion.js';
import { normKernels } from './norm.js';
import { fusedOps } from './optim.js';
import { reduceKernels } from './reduce.js';
import { makeContext, type Buf, type FastThresholds } from './shared.js';
import { windowKernels } from './window.js';

export { NO_THRESHOLDS, type FastThresholds } from './shared.js';

export interface FastBackend extends Backend<Buf> {
  readonly engine: FastEngine;
  /** Mutable: tests set them to 0, benchmarks tune them. */
  readonly thresholds: FastThresholds;
}

/**
 * The cpu backend with each family's C kernels over its JavaScript ones (elementwise.ts,
 * reduce.ts, linalg.ts, window.ts, indexing.ts, norm.ts) and fused optimizer updates (optim.ts). Every
 * kernel reads `thresholds` at each call and falls back to the cpu kernel when the C kernel
 * cannot take the call.
 */
export function makeFastBackend(
  name: string,
  version: string,
  engine: FastEngine,
  thresholds: FastThresholds,
): FastBackend {
  const ctx = makeContext(engine, thresholds);
  const kernels: KernelTable<Buf> = {
    ...cpuBackend.kernels,
    ...elementwiseKernels(ctx),
    ...reduceKernels(ctx),
    ...linalgKernels(ctx),
    ...windowKernels(ctx),
    ...indexKernels(ctx),
    ...normKernels(ctx),
  };
  return {
    ...cpuBackend,
    name,
    version,
    kernels,
    fused: fusedOps(ctx),
    fusion: fusion(ctx),
    engine,
    thresholds,
  };
}

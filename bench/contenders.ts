// The JavaScript contenders: nabla on each backend that loads, and TensorFlow.js's cpu and wasm backends.
import { dirname } from 'node:path';
import { createRequire } from 'node:module';
import {
  getBackend,
  getNumThreads,
  listBackends,
  loadFastBackends,
  setBackend,
  setNumThreads,
} from '../src/node.js';
import { measureRunner, type Measurement, type MeasureOptions } from './harness.js';
import type * as TfjsWasmModule from '@tensorflow/tfjs-backend-wasm';
import type { Tfjs, Workload } from './workloads/index.js';

type TfjsWasm = typeof TfjsWasmModule;

export interface Contender {
  /** 'nabla-native', 'nabla-wasm', 'nabla-cpu', 'tfjs-wasm', 'tfjs-cpu'. */
  readonly id: string;
  readonly family: 'nabla' | 'tfjs';
  /** The backend's own description (ISA, build, threads). */
  readonly detail: string;
  run(w: Workload, opts: MeasureOptions): Promise<Measurement>;
}

/**
 * nabla's backends in 'auto' order (native, wasm, cpu), those that load. The fast backends get
 * `threads` threads (PyTorch is measured on 1 or 2 threads, so nabla gets at most the same).
 */
export async function nablaContenders(
  threads: number,
): Promise<{ contenders: Contender[]; errors: Record<string, string> }> {
  const fast = await loadFastBackends({ threads, quiet: true });
  const names = new Set(listBackends().map((b) => b.name));
  const contenders: Contender[] = [];
  const counts = getNumThreads();
  for (const name of ['native', 'wasm', 'cpu']) {
    if (!names.has(name)) continue;
    const b = getBackend(name);
    const t = counts[name];
    contenders.push({
      id: `nabla-${name}`,
      family: 'nabla',
      detail:
        name === 'cpu'
          ? 'TypeScript reference kernels'
          : `${b.version}${t !== undefined ? `, ${t} thread${t > 1 ? 's' : ''}` : ''}`,
      run: (w, opts) => {
        setBackend(name);
        try {
          return Promise.resolve(measureRunner(() => w.nabla(), opts));
        } finally {
          setBackend('cpu');
        }
      },
    });
  }
  return { contenders, errors: { ...fast.errors } };
}

/** Sets the fast backends' threads (the FMA-peak fallback times a single thread). */
export { setNumThreads };

export interface TfjsLoad {
  readonly tf: Tfjs;
  readonly version: string;
  readonly contenders: Contender[];
  readonly errors: Record<string, string>;
}

/**
 * Loads @tensorflow/tfjs and @tensorflow/tfjs-backend-wasm, pointing the latter at the .wasm files
 * inside its package. Null when tfjs is not installed.
 */
export async function tfjsContenders(): Promise<TfjsLoad | null> {
  let tf: Tfjs;
  let wasm: TfjsWasm;
  try {
    tf = await import('@tensorflow/tfjs');
    wasm = await import('@tensorflow/tfjs-backend-wasm');
  } catch {
    return null;
  }
  const require = createRequire(import.meta.url);
  const dir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
  wasm.setWasmPaths(`${dir}/`);
  const contenders: Contender[] = [];
  const errors: Record<string, string> = {};
  for (const name of ['wasm', 'cpu']) {
    let ok = false;
    try {
      ok = await tf.setBackend(name);
      await tf.ready();
    } catch (e) {
      errors[name] = e instanceof Error ? e.message : String(e);
    }
    if (!ok) {
      errors[name] ??= 'setBackend returned false';
      continue;
    }
    // The cpu backend's first tensor prints an advert for tfjs-node; the table says what ran.
    const warn = console.warn;
    console.warn = () => undefined;
    try {
      tf.tidy(() => void tf.scalar(1).dataSync());
    } finally {
      console.warn = warn;
    }
    const detail =
      name === 'wasm'
        ? `SIMD ${tf.env().getBool('WASM_HAS_SIMD_SUPPORT') ? 'on' : 'off'}, threads ${tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT') ? 'on' : 'off'}`
        : 'JavaScript';
    contenders.push({
      id: `tfjs-${name}`,
      family: 'tfjs',
      detail,
      run: async (w, opts) => {
        await tf.setBackend(name);
        const m = measureRunner(() => w.tfjs(tf), opts);
        // A step that threw may leave tensors behind; none survive into the next contender.
        tf.disposeVariables();
        return m;
      },
    });
  }
  return { tf, version: tf.version.tfjs, contenders, errors };
}

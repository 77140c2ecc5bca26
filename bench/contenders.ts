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
import type { NablaStyle } from './workloads/types.js';
import { setDefaultBackend } from '../src/backend/registry.js';
import { resolveBackend } from '../src/backend/select.js';
import { backendFromEnv } from '../src/node/default_backend.js';

type TfjsWasm = typeof TfjsWasmModule;

export interface Contender {
  /** 'nabla-native', 'nabla-wasm', 'nabla-cpu', 'tfjs-wasm', 'tfjs-cpu'. */
  readonly id: string;
  readonly family: 'nabla' | 'tfjs';
  /** The default-backend contenders ('nabla', 'nabla-tidy'): the only ones that run the sweep. */
  readonly asShipped?: boolean;
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
  contenders.push(...defaultContenders(resolveBackend(backendFromEnv()), counts));
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
          return Promise.resolve(measureRunner(() => w.nabla('as-written'), opts));
        } finally {
          setBackend('cpu');
        }
      },
    });
  }
  return { contenders, errors: { ...fast.errors } };
}

/**
 * nabla as a user gets it: the backend `import 'nabla/node'` makes the default, no backend call,
 * the step as written ('nabla') or inside tidy() ('nabla-tidy'). Run in a fresh process (the
 * default), the worker imports the package entry and nothing else chooses a backend.
 */
function defaultContenders(name: string, threads: Record<string, number>): Contender[] {
  const t = threads[name];
  const detail = `the default backend, ${name}${t !== undefined ? ` (${t} thread${t > 1 ? 's' : ''})` : ''}`;
  const run = (style: NablaStyle) => async (w: Workload, opts: MeasureOptions) => {
    await import('../src/entry/node.js');
    // In --shared-process runs other contenders chose backends: give the choice back to the entry's.
    setDefaultBackend(name, true);
    return measureRunner(() => w.nabla(style), opts);
  };
  return [
    {
      id: 'nabla',
      family: 'nabla',
      asShipped: true,
      detail: `as written: ${detail}`,
      run: run('as-written'),
    },
    {
      id: 'nabla-tidy',
      family: 'nabla',
      asShipped: true,
      detail: `in tidy(): ${detail}`,
      run: run('tidy'),
    },
  ];
}

/** The default contenders in a process of their own: the package entry alone chooses the backend. */
export async function shippedContenders(): Promise<Contender[]> {
  const entry = await import('../src/entry/node.js');
  return defaultContenders(entry.getBackend().name, entry.getNumThreads());
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

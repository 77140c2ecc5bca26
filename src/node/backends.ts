// Loads the fast CPU backends in Node: 'native' (the addon) and 'wasm', registering those that load.
// Native being unavailable (no compiler at install time, an unsupported platform) is said once.
import { defineOptions } from '../options.js';
import type { Backend } from '../backend/backend.js';
import type { FastBackend, FastThresholds } from '../backend/fast/backend.js';
import { registerBackend } from '../backend/registry.js';
import { createNativeBackend } from './native.js';
import { createNodeWasmBackend } from './wasm.js';

const LOAD_FAST_BACKENDS = defineOptions<FastBackendsOptions>('loadFastBackends', {
  native: 'boolean',
  wasm: 'boolean',
  threads: 'integer',
  thresholds: 'object',
  quiet: 'boolean',
});

export interface FastBackendsOptions {
  /** Try the native addon (default true). */
  readonly native?: boolean;
  /** Load the wasm backend (default true). */
  readonly wasm?: boolean;
  /** Threads for both (default: the number of CPUs). */
  readonly threads?: number;
  /** Per-kernel size thresholds for both (tests pass NO_THRESHOLDS to run every kernel in C). */
  readonly thresholds?: Partial<FastThresholds>;
  /** Do not warn when native is unavailable. */
  readonly quiet?: boolean;
}

export interface FastBackends {
  readonly native: FastBackend | null;
  readonly wasm: FastBackend | null;
  /** Why a backend did not load. */
  readonly errors: { readonly native?: string; readonly wasm?: string };
}

let warned = false;
const loads = new Map<string, Promise<FastBackends>>();

/**
 * Loads and registers 'native' and 'wasm' (each that loads); never throws. Calls with the same
 * options share one load.
 */
export function loadFastBackends(options: FastBackendsOptions = {}): Promise<FastBackends> {
  LOAD_FAST_BACKENDS.checkGiven(options);
  const key = JSON.stringify(options);
  let p = loads.get(key);
  if (p === undefined) {
    p = load(options);
    loads.set(key, p);
  }
  return p;
}

async function load(options: FastBackendsOptions): Promise<FastBackends> {
  const errors: { native?: string; wasm?: string } = {};
  const common = {
    ...(options.threads !== undefined ? { threads: options.threads } : {}),
    ...(options.thresholds !== undefined ? { thresholds: options.thresholds } : {}),
  };
  let native: FastBackend | null = null;
  let wasm: FastBackend | null = null;
  if (options.native ?? true) {
    try {
      native = createNativeBackend(common);
      registerBackend(native as unknown as Backend);
    } catch (e) {
      errors.native = e instanceof Error ? e.message.split('\n')[0]! : String(e);
    }
  }
  if (options.wasm ?? true) {
    try {
      wasm = await createNodeWasmBackend(common);
      registerBackend(wasm as unknown as Backend);
    } catch (e) {
      errors.wasm = e instanceof Error ? e.message : String(e);
    }
  }
  if (errors.native !== undefined && !warned && !(options.quiet ?? false)) {
    warned = true;
    console.warn(
      `nabla: the native backend is unavailable (${errors.native}); using ${wasm ? 'wasm' : 'cpu'}. Build it with: npm run build:native`,
    );
  }
  return { native, wasm, errors };
}

// The 'nabla' package entry in browsers: the API, with the wasm kernels loading at import; a page
// awaits ready() (or uses top-level await) before building its model, and gets wasm as the default.
import { setDefaultBackend } from '../backend/registry.js';
import { setReadyPromise } from '../backend/select.js';
import { loadWasmBackend } from '../backend/wasm/index.js';

export * from '../index.js';

const page = globalThis as {
  crossOriginIsolated?: boolean;
  navigator?: { hardwareConcurrency?: number };
};
// Threads need a cross-origin isolated page (SharedArrayBuffer); otherwise one thread.
const threads =
  page.crossOriginIsolated === true ? Math.min(page.navigator?.hardwareConcurrency ?? 1, 8) : 1;

setReadyPromise(
  loadWasmBackend(undefined, { threads }).then(
    (wasm) => {
      console.info(
        `nabla: using the wasm backend (${wasm.version}, ${wasm.engine.numThreads} thread(s))`,
      );
      return setDefaultBackend('wasm');
    },
    (e: unknown) => {
      console.warn(
        `nabla: the wasm backend could not load (${e instanceof Error ? e.message : String(e)}); using cpu`,
      );
      return setDefaultBackend('cpu');
    },
  ),
);

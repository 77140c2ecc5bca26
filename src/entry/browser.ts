// The 'nabla' package entry in browsers: the API, with the wasm kernels loading at import; a page
// awaits ready() (or uses top-level await) before building its model, and gets wasm as the default.
import { setDefaultBackend } from '../backend/registry.js';
import { setReadyPromise } from '../backend/select.js';
import { loadWasm } from '../backend/wasm/index.js';

export * from '../index.js';

// Threads when the page is cross-origin isolated (and the threaded build's URL resolves), else the
// single-threaded build; one console notice says which build runs, from where, and why.
setReadyPromise(
  loadWasm().then(
    ({ backend, source, notes }) => {
      const n = backend.engine.numThreads;
      const why = notes.length > 0 ? `; ${notes.join('; ')}` : '';
      console.info(
        `nabla: using the wasm backend (${backend.version}, ${n} thread${n === 1 ? '' : 's'}) from ${source}${why}`,
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

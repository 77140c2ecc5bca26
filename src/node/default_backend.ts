// Node's default backend, chosen at import by the package entries: NABLA_BACKEND when set, else
// native, then wasm, then cpu; why native could not load is said once (src/node/backends.ts).
import { DeviceError } from '../errors.js';
import { setDefaultBackend } from '../backend/registry.js';
import { resolveBackend, setReadyPromise } from '../backend/select.js';
import { loadFastBackends } from './backends.js';
import { loadWebgpuBackend } from './webgpu.js';

const CHOICES = ['auto', 'native', 'wasm', 'cpu', 'webgpu'] as const;

/** NABLA_BACKEND's value ('auto' when unset or empty); anything else is an error. */
export function backendFromEnv(): string {
  const env = process.env.NABLA_BACKEND;
  if (env === undefined || env === '') return 'auto';
  if (!(CHOICES as readonly string[]).includes(env)) {
    throw new DeviceError(
      `NABLA_BACKEND=${env} is not a backend nabla knows (expected one of ${CHOICES.join(', ')})`,
    );
  }
  return env;
}

/**
 * Loads the fast backends (unless NABLA_BACKEND=cpu) and makes the chosen one the default for new
 * tensors, unless the program already chose one. A named backend that cannot load is an error.
 */
export async function useDefaultBackend(): Promise<string> {
  const choice = backendFromEnv();
  const work = (async () => {
    if (choice === 'webgpu') {
      await loadWebgpuBackend();
    } else if (choice !== 'cpu') {
      const loaded = await loadFastBackends({ quiet: choice === 'wasm' });
      const why = loaded.errors[choice as 'native' | 'wasm'];
      if (why !== undefined)
        throw new DeviceError(
          `NABLA_BACKEND=${choice}, but the ${choice} backend failed to load: ${why}`,
        );
    }
    return setDefaultBackend(resolveBackend(choice));
  })();
  setReadyPromise(work);
  return work;
}

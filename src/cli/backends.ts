// Backend choice for the command line: 'auto' is NABLA_BACKEND when set, else native, then wasm, then cpu.
import { resolveBackend } from '../backend/select.js';
import { loadFastBackends } from '../node/backends.js';
import { backendFromEnv } from '../node/default_backend.js';
import { loadWebgpuBackend } from '../node/webgpu.js';

/** Loads what `name` needs and returns the backend to use; unknown names throw DeviceError. */
export async function chooseBackend(name: string): Promise<string> {
  const choice = name === 'auto' ? backendFromEnv() : name;
  if (choice === 'webgpu') {
    await loadWebgpuBackend();
    return 'webgpu';
  }
  if (choice !== 'cpu') await loadFastBackends({ quiet: choice !== 'auto' && choice !== 'native' });
  return resolveBackend(choice);
}

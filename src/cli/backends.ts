// Backend choice for the command line: 'auto' loads the fast backends and takes native, then wasm, then cpu.
import { resolveBackend } from '../backend/select.js';
import { loadFastBackends } from '../node/backends.js';

/** Loads what `name` needs and returns the backend to use; unknown names throw DeviceError. */
export async function chooseBackend(name: string): Promise<string> {
  if (name !== 'cpu') await loadFastBackends({ quiet: name !== 'auto' && name !== 'native' });
  return resolveBackend(name);
}

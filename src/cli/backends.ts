// Backend choice for the command line: 'auto' loads the fast backends and takes native, then wasm, then cpu.
import { getBackend, listBackends } from '../backend/registry.js';
import { loadFastBackends } from '../node/backends.js';

/** Loads what `name` needs and returns the backend to use; unknown names throw DeviceError. */
export async function chooseBackend(name: string): Promise<string> {
  if (name !== 'cpu') await loadFastBackends({ quiet: name !== 'auto' && name !== 'native' });
  if (name !== 'auto') return getBackend(name).name;
  const names = listBackends().map((b) => b.name);
  return names.includes('native') ? 'native' : names.includes('wasm') ? 'wasm' : 'cpu';
}

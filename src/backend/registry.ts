// The backend registry: which backends exist, which is the default, and lookup by name.
import { DeviceError } from '../errors.js';
import type { Backend } from './backend.js';
import { cpuBackend } from './cpu/index.js';

const backends = new Map<string, Backend>([['cpu', cpuBackend as Backend]]);
let current: Backend = cpuBackend as Backend;
/** The user chose the default (setBackend/selectBackend): the entry points' own choice stands back. */
let chosenByUser = false;

/** Makes a backend available under its name (the fast backends register themselves when loaded). */
export function registerBackend(backend: Backend): void {
  backends.set(backend.name, backend);
}

export function getBackend(name?: string): Backend {
  if (name === undefined) return current;
  const b = backends.get(name);
  if (b === undefined) {
    throw new DeviceError(
      `backend '${name}' is not available (available: ${[...backends.keys()].join(', ')})`,
    );
  }
  return b;
}

/** Sets the backend new tensors are created on. */
export function setBackend(name: string): void {
  current = getBackend(name);
  chosenByUser = true;
}

/**
 * @internal The entry points' choice of default (the fastest backend that loaded); a choice the
 * user already made with setBackend or selectBackend(name) is kept, unless `auto` (the user asked
 * for the fastest: selectBackend('auto')). Returns the default in force.
 */
export function setDefaultBackend(name: string, auto = false): string {
  if (auto) chosenByUser = false;
  if (!chosenByUser) current = getBackend(name);
  return current.name;
}

export function listBackends(): { name: string; version: string }[] {
  return [...backends.values()].map((b) => ({ name: b.name, version: b.version }));
}

/** @internal The registered backends themselves (memory() reads their caches). */
export function registeredBackends(): IterableIterator<Backend> {
  return backends.values();
}

// Backend selection: 'auto' takes the fastest registered CPU backend (native, then wasm, then cpu).
import type { FastBackend } from './fast/backend.js';
import { getBackend, listBackends, setBackend, setDefaultBackend } from './registry.js';

export type BackendChoice = 'auto' | (string & {});

/** The order 'auto' tries. */
export const AUTO_ORDER: readonly string[] = ['native', 'wasm', 'cpu'];

/** The backend name `choice` resolves to among the registered ones (throws for an unknown name). */
export function resolveBackend(choice: BackendChoice = 'auto'): string {
  if (choice !== 'auto') return getBackend(choice).name;
  const names = new Set(listBackends().map((b) => b.name));
  return AUTO_ORDER.find((n) => names.has(n)) ?? 'cpu';
}

let readyPromise: Promise<string> = Promise.resolve('cpu');

/**
 * Resolves, with the default backend's name, once the backend nabla chose at import is loaded:
 * at once in Node (the entry points load it before they finish importing), when the wasm kernels
 * are compiled in a browser. Await it before building a model in a page.
 */
export function ready(): Promise<string> {
  return readyPromise;
}

/** @internal The entry points' loading of the default backend (see ready()). */
export function setReadyPromise(p: Promise<string>): void {
  readyPromise = p;
}

/** Makes `choice` the default backend for new tensors; returns the name chosen. */
export function selectBackend(choice: BackendChoice = 'auto'): string {
  const name = resolveBackend(choice);
  // 'auto' pins nothing: a faster backend that finishes loading later (wasm in a page) takes over.
  if (choice === 'auto') setDefaultBackend(name, true);
  else setBackend(name);
  return name;
}

function fastBackends(name?: string): FastBackend[] {
  const names = name === undefined ? listBackends().map((b) => b.name) : [name];
  return names
    .map((n) => getBackend(n) as unknown as Partial<FastBackend>)
    .filter((b): b is FastBackend => b.engine !== undefined);
}

/** Sets the threads of the fast CPU backends (or of backend `name`); returns what each got. */
export function setNumThreads(n: number, name?: string): Record<string, number> {
  return Object.fromEntries(fastBackends(name).map((b) => [b.name, b.engine.setNumThreads(n)]));
}

/** Threads per fast CPU backend. */
export function getNumThreads(): Record<string, number> {
  return Object.fromEntries(fastBackends().map((b) => [b.name, b.engine.numThreads]));
}

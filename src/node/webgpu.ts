// The webgpu backend in Node: Dawn from the optional `webgpu` package, SwiftShader when there is no
// GPU, synchronous reads by driving Dawn's event processing in place, and a process that exits.
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { DeviceError } from '../errors.js';
import { defineOptions } from '../options.js';
import { registerBackend } from '../backend/registry.js';
import type { Backend } from '../backend/backend.js';
import {
  createWebgpuBackend,
  type Gpu,
  type SyncWaiter,
  type WebgpuBackend,
} from '../backend/webgpu/index.js';

export interface WebgpuLoadOptions {
  /** 'high-performance' (default) or 'low-power'. */
  readonly powerPreference?: 'high-performance' | 'low-power';
  /** Use SwiftShader (Vulkan on the CPU, from Debian's chromium) when there is no GPU (default true). */
  readonly swiftshader?: boolean;
  /** Say nothing when SwiftShader stands in for a GPU. */
  readonly quiet?: boolean;
  /**
   * Let item(), tolist() and dataSync() wait for the GPU in place (default true). false behaves
   * as a browser does: only `await t.data()` / `await t.itemAsync()` read (for testing portable code).
   */
  readonly syncReads?: boolean;
}

const LOAD_WEBGPU = defineOptions<WebgpuLoadOptions>('node.loadWebgpuBackend', {
  powerPreference: 'string',
  swiftshader: 'boolean',
  quiet: 'boolean',
  syncReads: 'boolean',
});

/** Where SwiftShader's Vulkan driver manifest is found (Debian's chromium ships it). */
export const SWIFTSHADER_ICDS = [
  '/usr/lib/chromium/vk_swiftshader_icd.json',
  '/usr/lib/chromium-browser/vk_swiftshader_icd.json',
];

interface DawnModule {
  create(flags: string[]): Gpu;
  globals: Record<string, unknown>;
}

let loading: Promise<WebgpuBackend> | null = null;

/**
 * Loads and registers the 'webgpu' backend (once; later calls share the first load). Throws a
 * DeviceError saying what is missing when there is no adapter or no `webgpu` package.
 */
export function loadWebgpuBackend(options: WebgpuLoadOptions = {}): Promise<WebgpuBackend> {
  LOAD_WEBGPU.checkGiven(options);
  loading ??= load(options).catch((e: unknown) => {
    loading = null;
    throw e;
  });
  return loading;
}

async function load(options: WebgpuLoadOptions): Promise<WebgpuBackend> {
  let dawn: DawnModule;
  try {
    dawn = (await import('webgpu' as string)) as DawnModule;
  } catch (e) {
    throw new DeviceError(
      `webgpu: the optional package 'webgpu' (Dawn for Node) is not installed or did not load: npm install webgpu (${(e as Error).message.split('\n')[0]})`,
    );
  }
  installTickCapture();
  for (const [k, v] of Object.entries(dawn.globals)) {
    if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
  }
  process.env.XDG_RUNTIME_DIR ??= tmpdir();
  const tryLoad = () =>
    keepAlive(
      createWebgpuBackend({
        gpu: dawn.create([]),
        waiter: (options.syncReads ?? true) ? waitInPlace : null,
        ...(options.powerPreference !== undefined
          ? { powerPreference: options.powerPreference }
          : {}),
      }),
    );
  let backend: WebgpuBackend;
  try {
    backend = await tryLoad();
  } catch (e) {
    const icd = SWIFTSHADER_ICDS.find((p) => existsSync(p));
    if (
      !(options.swiftshader ?? true) ||
      icd === undefined ||
      process.env.VK_ICD_FILENAMES === icd
    ) {
      throw e instanceof DeviceError
        ? new DeviceError(
            `${e.message}; no Vulkan GPU driver answered${icd === undefined ? ' and SwiftShader (Debian: apt-get install chromium libvulkan1) is not installed' : ''}`,
          )
        : e;
    }
    process.env.VK_ICD_FILENAMES = icd;
    backend = await tryLoad();
    if (!(options.quiet ?? false)) {
      console.warn(`nabla: no GPU adapter found; webgpu runs on SwiftShader (the CPU) from ${icd}`);
    }
  }
  backend.runtime.holdWhile = keepAlive;
  registerBackend(backend as unknown as Backend);
  return backend;
}

/** Keeps the event loop alive while `p` settles (Dawn's own ticks are unref'd, see below). */
function keepAlive<T>(p: Promise<T>): Promise<T> {
  holds++;
  // Dawn's next tick, scheduled unref'd before this hold, would not wake the loop: one ref'd one
  if (lastTick !== null && live === 0) schedule(lastTick);
  const timer = setInterval(() => {}, 1 << 30);
  return p.finally(() => {
    holds--;
    clearInterval(timer);
  });
}

/*
 * Dawn for Node processes GPU events (buffer mappings, device loss) in a callback that it
 * schedules with the global setImmediate while any promise of its is pending. Two consequences:
 * - the device's `lost` promise is always pending, so that chain would keep the process alive for
 *   ever: the wrapper below unrefs Dawn's callbacks, and nabla's own async work holds the loop
 *   (keepAlive, and reads wait in place);
 * - calling that callback ourselves is how a read waits for the GPU without returning to the event
 *   loop: waitInPlace runs the callbacks Dawn schedules until the mapping is done.
 * Dawn's callbacks are told apart by being anonymous native functions of no parameters.
 */
const pendingTicks: (() => void)[] = [];
let lastTick: (() => void) | null = null;
/** Dawn callbacks scheduled on the real queue and not yet run (one chain is enough). */
let live = 0;
let waiting = false;
let captured = false;
let realSetImmediate: typeof setImmediate = setImmediate;
let idleHandle: NodeJS.Immediate | null = null;

/** Pending async work of nabla's (keepAlive): while there is some, Dawn's ticks hold the loop. */
let holds = 0;

function schedule(tick: () => void): NodeJS.Immediate {
  live++;
  const h = realSetImmediate(() => {
    live--;
    tick();
  });
  return holds > 0 ? h : h.unref();
}

/**
 * Dawn's tick: an anonymous native function of no parameters (a promise's resolve, which code
 * also hands to setImmediate, takes one).
 */
function isDawnTick(fn: unknown): boolean {
  return (
    typeof fn === 'function' &&
    fn.length === 0 &&
    fn.name === '' &&
    Function.prototype.toString.call(fn).includes('[native code]')
  );
}

function installTickCapture(): void {
  if (captured) return;
  captured = true;
  const real = globalThis.setImmediate;
  realSetImmediate = real;
  const wrapped = function (fn: (...args: unknown[]) => void, ...args: unknown[]) {
    if (isDawnTick(fn)) {
      const tick = () => fn(...args);
      lastTick = tick;
      if (!waiting) return schedule(tick);
      pendingTicks.push(tick);
      // NOTE: no new Immediate per capture: a long wait captures thousands of ticks
      return (idleHandle ??= real(() => {}).unref());
    }
    return real(fn, ...args);
  } as typeof setImmediate;
  Object.assign(wrapped, real);
  globalThis.setImmediate = wrapped;
}

/** Runs Dawn's event processing until `done()` (or gives up after 10 minutes). */
const waitInPlace: SyncWaiter = (done) => {
  if (done()) return true;
  waiting = true;
  const deadline = Date.now() + 600_000;
  try {
    let spins = 0;
    while (!done()) {
      const ticks = pendingTicks.length > 0 ? pendingTicks.splice(0) : lastTick ? [lastTick] : [];
      if (ticks.length === 0) return false;
      for (const t of ticks) t();
      if ((++spins & 1023) === 0 && Date.now() > deadline) return false;
    }
    return true;
  } finally {
    waiting = false;
    // keep one of Dawn's chains going for the promises still pending
    const next = pendingTicks.splice(0)[0];
    if (next !== undefined && live === 0) schedule(next);
  }
};

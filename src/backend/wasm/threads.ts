// Threads for the wasm backend: workers that instantiate the threaded module over one shared memory
// and run kernel shares on request. The protocol lives in a small control block in that memory:
//   [0] generation (workers wait on it)      [1] claim word: (generation & 0x7fff) << 16 | next share
//   [2] shares done    [3] kernel index (-1: stop)    [4] shares    [5] threads that may take part
//   [6] argument count [7..] arguments
// The caller and the workers claim shares with compare-and-swap on the claim word, so the caller
// never waits for a worker that has not been scheduled yet: it takes the unclaimed shares itself.
// Publishing a job closes the claim word under the new generation, writes the job, then opens it;
// a claim checks the generation, so nobody runs a share of a job whose fields it did not read.
// Platform code (src/node/wasm.ts, or Web Workers in ./index.ts) spawns the workers from WORKER_BODY.
import {
  KERNEL_NAMES,
  type KernelName,
  type WasmKernelExports,
  type WasmThreadPool,
} from './engine.js';
import type { WasmApi, WasmGlobal, WasmMemory, WasmModule } from './webassembly.js';

export const CTRL_INTS = 16;
/** Each worker's stack in the shared memory. */
export const WORKER_STACK_BYTES = 256 * 1024;

/** What a worker receives when it starts. */
export interface WorkerInit {
  readonly module: WasmModule;
  readonly memory: WasmMemory;
  readonly ctrl: number;
  readonly stackTop: number;
  readonly tid: number;
  readonly names: readonly string[];
}

/**
 * Claims and runs shares of the job whose generation tag is `tag` until none are left. Shared by
 * the caller and (as source text) the workers, so it refers to nothing outside itself.
 */
function claimShares(
  ctrl: Int32Array,
  tag: number,
  n: number,
  run: (share: number, n: number) => void,
): void {
  for (;;) {
    const c = Atomics.load(ctrl, 1);
    if ((c & 0x7fff0000) !== tag) return;
    const s = c & 0xffff;
    if (s >= n) return;
    if (Atomics.compareExchange(ctrl, 1, c, c + 1) !== c) continue;
    run(s, n);
    Atomics.add(ctrl, 2, 1);
  }
}

/**
 * The worker's whole program. It is shipped as source text (Function.prototype.toString), so it
 * must not refer to anything outside itself but `claim` (claimShares, passed in).
 */
function wasmWorker(init: WorkerInit, ready: () => void, claim: typeof claimShares): void {
  const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
  const inst = new WA.Instance(init.module, { env: { memory: init.memory } });
  const x = inst.exports;
  (x.__stack_pointer as WasmGlobal).value = init.stackTop;
  const ctrl = new Int32Array(init.memory.buffer, init.ctrl, 16);
  const fns = init.names.map((n) => x[n] as (...a: number[]) => void);
  const args: number[] = [];
  let seen = Atomics.load(ctrl, 0);
  ready();
  for (;;) {
    // Spin for up to 2 ms (the kernels of a training step come back to back, and waking a
    // sleeping thread can take longer than that), then sleep.
    const start = performance.now();
    let spins = 0;
    while (Atomics.load(ctrl, 0) === seen) {
      if ((++spins & 1023) === 0 && performance.now() - start > 2) break;
    }
    if (Atomics.load(ctrl, 0) === seen) Atomics.wait(ctrl, 0, seen);
    const g = Atomics.load(ctrl, 0);
    if (g === seen) continue;
    seen = g;
    const tag = (g & 0x7fff) << 16;
    const fn = ctrl[3]!;
    const n = ctrl[4]!;
    const active = ctrl[5]!;
    args.length = 0;
    for (let i = 0; i < ctrl[6]!; i++) args.push(ctrl[7 + i]!);
    if (Atomics.load(ctrl, 0) !== g) continue; // replaced while we read it
    if (fn < 0) return;
    if (init.tid >= active) continue;
    const f = fns[fn]!;
    claim(ctrl, tag, n, (s, count) => f(...args, s, count));
    Atomics.notify(ctrl, 2);
  }
}

/** The worker body as source: `(init, ready) => void`. */
export const WORKER_BODY = `((init, ready) => (${wasmWorker.toString()})(init, ready, ${claimShares.toString()}))`;

/** Runs kernels on the calling thread and `workers` worker threads. */
export class SharedPool implements WasmThreadPool {
  readonly #ctrl: Int32Array;
  readonly #x: WasmKernelExports;
  readonly #workers: number;
  /** Atomics.wait is allowed here (Node's main thread, or a worker); browsers' main thread spins. */
  readonly #canWait: boolean;

  constructor(
    x: WasmKernelExports,
    memory: WasmMemory,
    ctrl: number,
    workers: number,
    canWait: boolean,
  ) {
    this.#x = x;
    this.#ctrl = new Int32Array(memory.buffer, ctrl, CTRL_INTS);
    this.#workers = workers;
    this.#canWait = canWait;
  }

  get size(): number {
    return this.#workers + 1;
  }

  /** Publishes a job: close the claim word under the new generation, write, open, wake. */
  #publish(fn: number, args: readonly number[], n: number, active: number): number {
    const c = this.#ctrl;
    const g = (c[0]! + 1) | 0;
    const tag = (g & 0x7fff) << 16;
    Atomics.store(c, 1, tag | 0xffff);
    c[3] = fn;
    c[4] = n;
    c[5] = active;
    c[6] = args.length;
    for (let i = 0; i < args.length; i++) c[7 + i] = args[i]!;
    Atomics.store(c, 2, 0);
    Atomics.store(c, 1, tag);
    Atomics.store(c, 0, g);
    Atomics.notify(c, 0);
    return tag;
  }

  run(name: KernelName, args: readonly number[], n: number, nt: number): void {
    const c = this.#ctrl;
    const tag = this.#publish(KERNEL_NAMES.indexOf(name), args, n, nt);
    const f = this.#x[name] as (...a: number[]) => void;
    claimShares(c, tag, n, (s, count) => f(...args, s, count));
    let spins = 0;
    for (;;) {
      const d = Atomics.load(c, 2);
      if (d >= n) break;
      if (this.#canWait && ++spins > 2000) Atomics.wait(c, 2, d, 1);
    }
  }

  /** Asks the workers to return (they exit their loop). */
  stop(): void {
    this.#publish(-1, [], 0, 0);
  }
}

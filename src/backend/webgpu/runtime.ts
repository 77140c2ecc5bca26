// The webgpu backend's runtime: one device, a buffer pool keyed by size class, pooled per-dispatch
// parameters, dispatches batched into one command encoder, and readback (async, or synchronous
// where the host can wait for the GPU).
import { DeviceError, OutOfMemoryError } from '../../errors.js';
import {
  MAP_READ,
  USAGE,
  type GpuAdapterInfo,
  type GpuBuffer,
  type GpuCommandEncoder,
  type GpuComputePass,
  type GpuComputePipeline,
  type GpuDevice,
} from './gpu.js';

/** Workgroup size of the one-thread-per-element kernels. */
export const WORKGROUP = 256;
/** Dispatches recorded before the encoder is submitted without being asked to. */
const SUBMIT_EVERY = 128;
/** Bytes of the per-dispatch parameter block (a multiple of the 256-byte offset alignment). */
const PARAMS_BYTES = 64 * 1024;
/** Bytes of free buffers the pool keeps before it destroys the oldest. */
const POOL_LIMIT = 1024 * 1024 * 1024;

/**
 * Waits, without returning to the event loop, until `done()` is true, driving the WebGPU
 * implementation's event processing; false when it cannot (then only async reads work).
 */
export type SyncWaiter = (done: () => boolean) => boolean;

/** The size class of `bytes`: at least 256, then powers of two up to 1 MiB, then MiB multiples. */
export function sizeClass(bytes: number): number {
  if (bytes <= 256) return 256;
  if (bytes <= 1 << 20) return 2 ** Math.ceil(Math.log2(bytes));
  return Math.ceil(bytes / (1 << 20)) * (1 << 20);
}

/** One compute dispatch: its pipeline, its storage buffers (binding 1…) and its u32 parameters. */
export interface Dispatch {
  readonly pipeline: GpuComputePipeline;
  readonly buffers: readonly GpuBuffer[];
  /** Written at binding 0 as array<u32> (floats as their bits, see Params). */
  readonly params: Params;
  readonly workgroups: readonly [number, number, number];
}

/** A dispatch's parameter words; f32 values are stored as their bit patterns. */
export class Params {
  readonly words: number[] = [];
  u32(...values: number[]): this {
    for (const v of values) this.words.push(v >>> 0);
    return this;
  }
  i32(...values: number[]): this {
    for (const v of values) this.words.push(v | 0);
    return this;
  }
  f32(...values: number[]): this {
    for (const v of values) {
      F32[0] = v;
      this.words.push(U32[0]!);
    }
    return this;
  }
}
const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);

export class GpuRuntime {
  readonly device: GpuDevice;
  readonly adapterName: string;
  readonly #waiter: SyncWaiter | null;
  readonly #pipelines = new Map<string, GpuComputePipeline>();
  readonly #free = new Map<number, GpuBuffer[]>();
  #freeBytes = 0;
  #encoder: GpuCommandEncoder | null = null;
  #pass: GpuComputePass | null = null;
  #recorded = 0;
  readonly #paramsHost = new Uint32Array(PARAMS_BYTES / 4);
  #paramsUsed = 0;
  readonly #paramsBuffer: GpuBuffer;
  readonly #alignWords: number;
  #error: string | null = null;
  #lost: string | null = null;
  /** Pending reads, so that a synchronous wait can tell when its own mapping is done. */
  readonly #staging: GpuBuffer[] = [];

  /**
   * Keeps the host alive while a GPU promise is pending (Node: Dawn's own event callbacks do not
   * hold the event loop, see src/node/webgpu.ts); null in browsers.
   */
  holdWhile: (<T>(p: Promise<T>) => Promise<T>) | null = null;
  /** Objects that must live as long as the device (the GPU object and the adapter). */
  readonly owners: readonly unknown[];

  constructor(
    device: GpuDevice,
    info: GpuAdapterInfo | undefined,
    waiter: SyncWaiter | null,
    owners: readonly unknown[] = [],
  ) {
    this.device = device;
    this.owners = owners;
    this.adapterName = adapterLabel(info);
    this.#waiter = waiter;
    this.#alignWords = Math.max(256, device.limits.minStorageBufferOffsetAlignment) / 4;
    this.#paramsBuffer = device.createBuffer({
      size: PARAMS_BYTES,
      usage: USAGE.STORAGE | USAGE.COPY_DST,
      label: 'nabla params',
    });
    device.onuncapturederror = (e) => {
      this.#error ??= e.error.message;
    };
    void device.lost.then((info) => {
      if (info.reason !== 'destroyed') this.#lost = info.message || info.reason;
      else this.#lost = 'the device was destroyed';
    });
  }

  /** True when reads can be synchronous (Node with a waiter). */
  get canReadSync(): boolean {
    return this.#waiter !== null;
  }

  /** Throws the device's loss or the first uncaptured error, once. */
  check(): void {
    if (this.#lost !== null)
      throw new DeviceError(`webgpu: the GPU device was lost: ${this.#lost}`);
    if (this.#error !== null) {
      const e = this.#error;
      this.#error = null;
      throw new DeviceError(`webgpu: ${e}`);
    }
  }

  pipeline(key: string, code: () => string): GpuComputePipeline {
    let p = this.#pipelines.get(key);
    if (p === undefined) {
      const module = this.device.createShaderModule({ code: code(), label: key });
      p = this.device.createComputePipeline({
        layout: 'auto',
        compute: { module, entryPoint: 'main' },
        label: key,
      });
      this.#pipelines.set(key, p);
    }
    return p;
  }

  /** A storage buffer of at least `bytes` bytes (contents undefined), from the pool when it can. */
  take(bytes: number): GpuBuffer {
    this.check();
    const size = sizeClass(bytes);
    const list = this.#free.get(size);
    const hit = list?.pop();
    if (hit !== undefined) {
      this.#freeBytes -= size;
      return hit;
    }
    const limits = this.device.limits;
    const max = Math.min(limits.maxBufferSize, limits.maxStorageBufferBindingSize);
    if (size > max) {
      throw new OutOfMemoryError(
        `can't allocate memory: you tried to allocate ${bytes} bytes on webgpu, more than this GPU allows in one buffer (${max} bytes)`,
      );
    }
    return this.device.createBuffer({
      size,
      usage: USAGE.STORAGE | USAGE.COPY_SRC | USAGE.COPY_DST,
    });
  }

  /** Returns a buffer to the pool (it may be reused by the very next dispatch: queue order holds). */
  give(buffer: GpuBuffer): void {
    const size = buffer.size;
    let list = this.#free.get(size);
    if (list === undefined) this.#free.set(size, (list = []));
    list.push(buffer);
    this.#freeBytes += size;
    if (this.#freeBytes > POOL_LIMIT) this.emptyPool();
  }

  poolStats(): { buffers: number; bytes: number } {
    let buffers = 0;
    for (const l of this.#free.values()) buffers += l.length;
    return { buffers, bytes: this.#freeBytes };
  }

  /** Destroys the pooled buffers (after submitting the work that may still use them). */
  emptyPool(): void {
    this.flush();
    for (const l of this.#free.values()) for (const b of l) b.destroy();
    this.#free.clear();
    this.#freeBytes = 0;
  }

  /** Records a dispatch into the open compute pass. */
  dispatch(d: Dispatch): void {
    this.check();
    const words = d.params.words;
    const slot = Math.max(
      this.#alignWords,
      Math.ceil(words.length / this.#alignWords) * this.#alignWords,
    );
    if (this.#paramsUsed + slot > this.#paramsHost.length) this.flush();
    const offset = this.#paramsUsed;
    this.#paramsHost.set(words, offset);
    this.#paramsUsed += slot;
    const entries = [
      { binding: 0, resource: { buffer: this.#paramsBuffer, offset: offset * 4, size: slot * 4 } },
      ...d.buffers.map((buffer, i) => ({ binding: i + 1, resource: { buffer } })),
    ];
    const group = this.device.createBindGroup({
      layout: d.pipeline.getBindGroupLayout(0),
      entries,
    });
    const pass = this.#openPass();
    pass.setPipeline(d.pipeline);
    pass.setBindGroup(0, group);
    pass.dispatchWorkgroups(d.workgroups[0], d.workgroups[1], d.workgroups[2]);
    if (++this.#recorded >= SUBMIT_EVERY) this.flush();
  }

  /** Records a buffer-to-buffer copy (bytes, multiples of 4). */
  copy(src: GpuBuffer, srcOffset: number, dst: GpuBuffer, dstOffset: number, bytes: number): void {
    if (bytes === 0) return;
    this.#closePass();
    this.#openEncoder().copyBufferToBuffer(src, srcOffset, dst, dstOffset, bytes);
  }

  /** Records a zero fill of a whole buffer. */
  clear(buffer: GpuBuffer): void {
    this.#closePass();
    this.#openEncoder().clearBuffer(buffer);
  }

  /** Writes host bytes into a buffer, after the work recorded so far (queue order). */
  write(buffer: GpuBuffer, byteOffset: number, data: ArrayBufferView): void {
    this.check();
    this.flush();
    this.device.queue.writeBuffer(buffer, byteOffset, data);
  }

  /** Submits what has been recorded. */
  flush(): void {
    this.#closePass();
    if (this.#encoder === null) return;
    if (this.#paramsUsed > 0) {
      this.device.queue.writeBuffer(this.#paramsBuffer, 0, this.#paramsHost, 0, this.#paramsUsed);
    }
    this.device.queue.submit([this.#encoder.finish()]);
    this.#encoder = null;
    this.#paramsUsed = 0;
    this.#recorded = 0;
  }

  /** Copies `bytes` bytes from `src` at `byteOffset` to the host, asynchronously. */
  async read(src: GpuBuffer, byteOffset: number, bytes: number): Promise<ArrayBuffer> {
    const staging = this.#stage(src, byteOffset, bytes);
    try {
      const mapped = staging.mapAsync(MAP_READ, 0, staging.size);
      await (this.holdWhile === null ? mapped : this.holdWhile(mapped));
    } catch (e) {
      this.check();
      throw new DeviceError(`webgpu: reading a tensor failed: ${(e as Error).message}`);
    }
    return this.#unstage(staging, bytes);
  }

  /** As read(), waiting in place; only where canReadSync. */
  readSync(src: GpuBuffer, byteOffset: number, bytes: number): ArrayBuffer {
    const staging = this.#stage(src, byteOffset, bytes);
    let failed: unknown = null;
    staging.mapAsync(MAP_READ, 0, staging.size).catch((e: unknown) => {
      failed = e;
    });
    const ok = this.#waiter!(
      () => staging.mapState === 'mapped' || failed !== null || this.#lost !== null,
    );
    this.check();
    if (!ok || staging.mapState !== 'mapped') {
      staging.destroy();
      throw new DeviceError(
        `webgpu: could not wait for the GPU synchronously${failed !== null ? ` (${String(failed)})` : ''}; use await tensor.data()`,
      );
    }
    return this.#unstage(staging, bytes);
  }

  #stage(src: GpuBuffer, byteOffset: number, bytes: number): GpuBuffer {
    this.check();
    const size = Math.max(4, Math.ceil(bytes / 4) * 4);
    const i = this.#staging.findIndex((b) => b.size >= size && b.size <= 4 * size + 256);
    const buf =
      i >= 0
        ? this.#staging.splice(i, 1)[0]!
        : this.device.createBuffer({
            size: sizeClass(size),
            usage: USAGE.MAP_READ | USAGE.COPY_DST,
          });
    this.copy(src, byteOffset, buf, 0, size);
    this.flush();
    return buf;
  }

  #unstage(staging: GpuBuffer, bytes: number): ArrayBuffer {
    const out = staging.getMappedRange(0, staging.size).slice(0, bytes);
    staging.unmap();
    if (this.#staging.length < 4) this.#staging.push(staging);
    else staging.destroy();
    return out;
  }

  #openEncoder(): GpuCommandEncoder {
    return (this.#encoder ??= this.device.createCommandEncoder());
  }

  #openPass(): GpuComputePass {
    return (this.#pass ??= this.#openEncoder().beginComputePass());
  }

  #closePass(): void {
    if (this.#pass !== null) {
      this.#pass.end();
      this.#pass = null;
    }
  }

  /** Submits the remaining work and releases the device (the process can then exit). */
  destroy(): void {
    if (this.#lost !== null) return;
    this.flush();
    this.emptyPool();
    this.device.destroy();
    this.#lost = 'the device was destroyed (backend.destroy())';
  }
}

function adapterLabel(info: GpuAdapterInfo | undefined): string {
  if (info === undefined) return 'unknown adapter';
  const parts = [info.description, info.vendor, info.architecture, info.device].filter(
    (s) => s !== undefined && s !== '',
  );
  return parts.length > 0 ? parts.join(' / ') : 'unknown adapter';
}

/** Workgroup counts for `n` threads of WORKGROUP each, spread over y when x would pass the limit. */
export function grid(n: number, perGroup = WORKGROUP, maxX = 65535): [number, number, number] {
  const groups = Math.max(1, Math.ceil(n / perGroup));
  if (groups <= maxX) return [groups, 1, 1];
  const y = Math.ceil(groups / maxX);
  return [Math.ceil(groups / y), y, 1];
}

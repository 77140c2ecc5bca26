// The webgpu backend: tensors in GPU buffers, one WGSL kernel (or a stated host route) per
// primitive, float64 on the host. Created from a GPU object: navigator.gpu, or Node's `webgpu`.
import { DeviceError, NablaError } from '../../errors.js';
import { defineOptions } from '../../options.js';
import { registerBackend } from '../registry.js';
import { allocArray, type DType, type TypedArray } from '../../dtype.js';
import {
  BINARY_PRIMITIVES,
  UNARY_PRIMITIVES,
  type KernelPrimitive,
  type ParamsOf,
} from '../../primitives.js';
import type { Backend, Kernel, KernelInput, KernelOutput, KernelTable } from '../backend.js';
import { cpuBackend } from '../cpu/index.js';
import { denseStrides, isDense } from '../cpu/strided.js';
import { WebgpuBuffer, fromWords, gpuBytes, onGpu, toWords } from './buffer.js';
import { binaryGpu, clampGpu, copyGpu, unaryGpu, whereGpu } from './elementwise.js';
import type { Gpu } from './gpu.js';
import { webgpuFused } from './optim.js';
import { GpuRuntime, type SyncWaiter } from './runtime.js';
import { WGSL_KERNELS_MORE } from './kernels.js';

export { WebgpuBuffer } from './buffer.js';
export type { Gpu } from './gpu.js';
export type { SyncWaiter } from './runtime.js';

type Buf = WebgpuBuffer;
type In = KernelInput<Buf>;
type Out = KernelOutput<Buf>;

/**
 * A primitive's GPU kernel: records its dispatches and returns true, or returns false when it does
 * not take these dtypes or parameters (then the primitive runs on the host, see hostRoute).
 */
export type GpuKernel<P extends KernelPrimitive> = (
  rt: GpuRuntime,
  out: Out,
  inputs: readonly In[],
  params: ParamsOf<P>,
) => boolean;

/** Why a primitive has no WGSL kernel: it always runs on the host (cpu kernels). */
export interface HostOnly {
  readonly host: string;
}

/** Every primitive: a WGSL kernel, or the reason it runs on the host. Missing one does not compile. */
export type WgslTable = { readonly [P in KernelPrimitive]: GpuKernel<P> | HostOnly };

const fromFamily = <P extends string, K>(names: readonly P[], make: (p: P) => K) =>
  Object.fromEntries(names.map((n) => [n, make(n)])) as { [Q in P]: K };

/** The elementwise family (elementwise.ts). */
const ELEMENTWISE = {
  ...fromFamily(
    UNARY_PRIMITIVES,
    (op) => ((rt, out, [x]) => unaryGpu(rt, op, out, x!)) as GpuKernel<typeof op>,
  ),
  ...fromFamily(
    BINARY_PRIMITIVES,
    (op) => ((rt, out, [x, y]) => binaryGpu(rt, op, out, x!, y!)) as GpuKernel<typeof op>,
  ),
  cast: ((rt, out, [x]) => {
    copyGpu(rt, out, { offset: 0, strides: denseStrides(out.shape) }, x!);
    return true;
  }) as GpuKernel<'cast'>,
  clamp: ((rt, out, [x], p) => clampGpu(rt, out, x!, p.min, p.max)) as GpuKernel<'clamp'>,
  where: ((rt, out, [c, a, b]) => whereGpu(rt, out, c!, a!, b!)) as GpuKernel<'where'>,
};

export const WGSL_KERNELS: WgslTable = { ...ELEMENTWISE, ...WGSL_KERNELS_MORE };

export interface WebgpuBackend extends Backend<Buf> {
  readonly runtime: GpuRuntime;
  /** Calls that ran on the host, by primitive and dtypes (tests check the GPU paths are taken). */
  readonly hostCalls: Map<string, number>;
  /** Releases the device (the process can exit; tensors on it become unusable). */
  destroy(): void;
}

export interface WebgpuBackendOptions {
  /** The GPU object: navigator.gpu in a browser, `create([])` of Node's `webgpu` package. */
  readonly gpu: Gpu;
  /** Lets reads be synchronous (Node only, see src/node/webgpu.ts). */
  readonly waiter?: SyncWaiter | null;
  readonly powerPreference?: 'high-performance' | 'low-power';
}

/** Requests an adapter and a device from `gpu` and builds the backend on them. */
export async function createWebgpuBackend(options: WebgpuBackendOptions): Promise<WebgpuBackend> {
  const adapter = await options.gpu.requestAdapter({
    powerPreference: options.powerPreference ?? 'high-performance',
  });
  if (adapter === null) {
    throw new DeviceError(
      'webgpu: no GPU adapter was found (navigator.gpu.requestAdapter() gave null)',
    );
  }
  const want = adapter.limits;
  const device = await adapter.requestDevice({
    requiredLimits: {
      maxBufferSize: want.maxBufferSize,
      maxStorageBufferBindingSize: want.maxStorageBufferBindingSize,
      maxStorageBuffersPerShaderStage: want.maxStorageBuffersPerShaderStage,
      maxComputeWorkgroupStorageSize: want.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: want.maxComputeInvocationsPerWorkgroup,
    },
  });
  // NOTE: the runtime holds the GPU object and the adapter: Dawn for Node tears its instance down
  // when they are garbage collected, and a device used after that aborts the process.
  return makeWebgpuBackend(
    new GpuRuntime(device, adapter.info, options.waiter ?? null, [options.gpu, adapter]),
  );
}

export function makeWebgpuBackend(rt: GpuRuntime): WebgpuBackend {
  const hostCalls = new Map<string, number>();

  /** A GPU buffer's whole contents on the host (synchronous: Node only). */
  function hostCopy(b: Buf, what: string): TypedArray {
    if (b.host !== null) return b.host;
    if (!rt.canReadSync) {
      throw new DeviceError(
        `webgpu: ${what} runs on the host, which needs a synchronous read of GPU memory; browsers cannot do that (move the tensors with await t.to('cpu') first, or use float32 ops that have GPU kernels)`,
      );
    }
    if (b.length === 0) return allocArray(b.dtype, 0);
    return fromWords(b.dtype, rt.readSync(b.device, 0, b.length * 4));
  }

  /** Runs primitive `p` with the cpu kernel on host copies of the operands. */
  function hostRoute<P extends KernelPrimitive>(
    p: P,
    out: Out,
    inputs: readonly In[],
    params: ParamsOf<P>,
  ): void {
    const key = `${p}(${inputs.map((x) => x.dtype).join(',')})`;
    hostCalls.set(key, (hostCalls.get(key) ?? 0) + 1);
    const ins = inputs.map((x) => ({ ...x, buffer: hostCopy(x.buffer, `${p} on ${x.dtype}`) }));
    const host = out.buffer.host ?? allocArray(out.dtype, out.buffer.length);
    (cpuBackend.kernels[p] as Kernel<TypedArray, P>)(
      { buffer: host, dtype: out.dtype, shape: out.shape },
      ins,
      params,
    );
    if (out.buffer.gpu !== null && out.buffer.length > 0) {
      rt.write(out.buffer.gpu, 0, toWords(out.dtype, host));
    }
  }

  const kernels = Object.fromEntries(
    (Object.keys(cpuBackend.kernels) as KernelPrimitive[]).map((p) => {
      const entry = WGSL_KERNELS[p] as GpuKernel<typeof p> | HostOnly;
      const run: Kernel<Buf, typeof p> = (out, inputs, params) => {
        if (
          typeof entry === 'function' &&
          out.buffer.gpu !== null &&
          inputs.every((x) => x.buffer.gpu !== null) &&
          entry(rt, out, inputs, params)
        ) {
          return;
        }
        hostRoute(p, out, inputs, params);
      };
      return [p, run];
    }),
  ) as unknown as KernelTable<Buf>;

  function alloc(dtype: DType, size: number, overwrite = false): Buf {
    if (!onGpu(dtype)) return new WebgpuBuffer(dtype, size, null, allocArray(dtype, size));
    const gpu = rt.take(gpuBytes(size));
    if (!overwrite) rt.clear(gpu);
    return new WebgpuBuffer(dtype, size, gpu, null);
  }

  /** A contiguous GPU copy of a strided GPU view (the caller gives it back). */
  function contiguous(view: In): { buffer: Buf; offset: number } {
    if (isDense(view.shape, view.strides)) return { buffer: view.buffer, offset: view.offset };
    const n = view.shape.reduce((a, b) => a * b, 1);
    const tmp = alloc(view.dtype, n, true);
    copyGpu(
      rt,
      { buffer: tmp, dtype: view.dtype, shape: view.shape },
      { offset: 0, strides: denseStrides(view.shape) },
      view,
    );
    return { buffer: tmp, offset: 0 };
  }

  function readSync(view: In): TypedArray {
    if (view.buffer.host !== null)
      return cpuBackend.readSync!({ ...view, buffer: view.buffer.host });
    const n = view.shape.reduce((a, b) => a * b, 1);
    if (n === 0) return allocArray(view.dtype, 0);
    if (!rt.canReadSync) {
      throw new NablaError(
        `the webgpu backend reads asynchronously here: use await tensor.data() (or await tensor.itemAsync())`,
      );
    }
    const c = contiguous(view);
    try {
      return fromWords(view.dtype, rt.readSync(c.buffer.device, c.offset * 4, n * 4));
    } finally {
      if (c.buffer !== view.buffer) free(c.buffer);
    }
  }

  async function read(view: In): Promise<TypedArray> {
    if (view.buffer.host !== null) return cpuBackend.read({ ...view, buffer: view.buffer.host });
    const n = view.shape.reduce((a, b) => a * b, 1);
    if (n === 0) return allocArray(view.dtype, 0);
    const c = contiguous(view);
    try {
      return fromWords(view.dtype, await rt.read(c.buffer.device, c.offset * 4, n * 4));
    } finally {
      if (c.buffer !== view.buffer) free(c.buffer);
    }
  }

  function free(b: Buf): void {
    if (b.gpu !== null) rt.give(b.gpu);
  }

  function assign(dst: In, src: In): void {
    if (dst.buffer.gpu === null) {
      const host = src.buffer.host ?? hostCopy(src.buffer, 'a write into a float64 tensor');
      cpuBackend.assign({ ...dst, buffer: dst.buffer.host! }, { ...src, buffer: host });
      return;
    }
    let from = src;
    let tmp: Buf | null = null;
    if (src.buffer.gpu === null) {
      // float64 source: convert on the host to the destination's dtype, then copy on the GPU
      const dense = cpuBackend.readSync!({ ...src, buffer: src.buffer.host! });
      const n = dense.length;
      const conv = allocArray(dst.dtype, n);
      if (dst.dtype === 'bool') for (let i = 0; i < n; i++) conv[i] = dense[i] !== 0 ? 1 : 0;
      else conv.set(dense);
      tmp = alloc(dst.dtype, n, true);
      if (n > 0) rt.write(tmp.device, 0, toWords(dst.dtype, conv));
      from = {
        buffer: tmp,
        dtype: dst.dtype,
        shape: src.shape,
        strides: denseStrides(src.shape),
        offset: 0,
      };
    }
    if (from.buffer.gpu === dst.buffer.gpu) {
      // one buffer cannot be bound for reading and writing in one dispatch: copy the source first
      const c = alloc(
        from.dtype,
        from.shape.reduce((a, b) => a * b, 1),
        true,
      );
      const dense = { offset: 0, strides: denseStrides(from.shape) };
      copyGpu(rt, { buffer: c, dtype: from.dtype, shape: from.shape }, dense, from);
      if (tmp !== null) free(tmp);
      tmp = c;
      from = { buffer: c, dtype: from.dtype, shape: from.shape, ...dense };
    }
    copyGpu(rt, { buffer: dst.buffer, dtype: dst.dtype, shape: dst.shape }, dst, from);
    if (tmp !== null) free(tmp);
  }

  const backend: WebgpuBackend = {
    name: 'webgpu',
    version: `webgpu (${rt.adapterName})`,
    gcManaged: false,
    alloc,
    free,
    write: (buffer, data, offset) => {
      if (buffer.host !== null) buffer.host.set(data, offset);
      else if (data.length > 0) rt.write(buffer.device, offset * 4, toWords(buffer.dtype, data));
    },
    read,
    assign,
    kernels,
    fused: webgpuFused(rt),
    cacheStats: () => rt.poolStats(),
    emptyCache: () => rt.emptyPool(),
    runtime: rt,
    hostCalls,
    destroy: () => rt.destroy(),
  };
  if (rt.canReadSync) (backend as { readSync?: (v: In) => TypedArray }).readSync = readSync;
  return backend;
}

/** Options of loadWebgpuBackend in a browser (Node's takes its own, see nabla/node). */
export interface BrowserWebgpuOptions {
  /** The GPU object (default: navigator.gpu). */
  readonly gpu?: Gpu;
  readonly powerPreference?: 'high-performance' | 'low-power';
}

const LOAD_BROWSER_WEBGPU = defineOptions<BrowserWebgpuOptions>('loadWebgpuBackend', {
  gpu: 'object',
  powerPreference: 'string',
});

/**
 * Loads the 'webgpu' backend on navigator.gpu and registers it; then `selectBackend('webgpu')`
 * or `model.to('webgpu')` use it. Reads are asynchronous in a browser: `await t.data()`,
 * `await t.itemAsync()`.
 */
export async function loadWebgpuBackend(
  options: BrowserWebgpuOptions = {},
): Promise<WebgpuBackend> {
  LOAD_BROWSER_WEBGPU.checkGiven(options);
  const gpu = options.gpu ?? (globalThis as { navigator?: { gpu?: Gpu } }).navigator?.gpu;
  if (gpu === undefined) {
    throw new DeviceError(
      'webgpu: this environment has no WebGPU (navigator.gpu is undefined); in Node import loadWebgpuBackend from nabla/node',
    );
  }
  const backend = await createWebgpuBackend({
    gpu,
    ...(options.powerPreference !== undefined ? { powerPreference: options.powerPreference } : {}),
  });
  registerBackend(backend as unknown as Backend);
  return backend;
}

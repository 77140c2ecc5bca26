// The webgpu backend's storage: a GPU buffer for float32, int32 and bool (one u32 per bool), and a
// host typed array for float64, which WGSL cannot compute in (it runs on the cpu kernels).
import { allocArray, type DType, type TypedArray } from '../../dtype.js';
import type { GpuBuffer } from './gpu.js';

export class WebgpuBuffer {
  constructor(
    readonly dtype: DType,
    /** Elements. */
    readonly length: number,
    /** The GPU buffer (null for float64). */
    readonly gpu: GpuBuffer | null,
    /** The host array (float64 only). */
    readonly host: TypedArray | null,
  ) {}

  get onGpu(): boolean {
    return this.gpu !== null;
  }

  /** The GPU buffer; only for dtypes that live on the GPU. */
  get device(): GpuBuffer {
    return this.gpu!;
  }
}

/** Whether tensors of `dtype` live on the GPU (every dtype but float64). */
export function onGpu(dtype: DType): boolean {
  return dtype !== 'float64';
}

/** Bytes a GPU tensor of `length` elements takes (4 per element, at least 4). */
export function gpuBytes(length: number): number {
  return Math.max(4, length * 4);
}

/** The host typed array of `dtype` holding `words` read from a GPU buffer (bools as u32 words). */
export function fromWords(dtype: DType, bytes: ArrayBuffer): TypedArray {
  if (dtype === 'float32') return new Float32Array(bytes);
  if (dtype === 'int32') return new Int32Array(bytes);
  const words = new Uint32Array(bytes);
  const out = allocArray('bool', words.length);
  for (let i = 0; i < words.length; i++) out[i] = words[i] !== 0 ? 1 : 0;
  return out;
}

/** The words to write to a GPU buffer for host data of `dtype` (bools widened to u32). */
export function toWords(dtype: DType, data: TypedArray): ArrayBufferView {
  if (dtype !== 'bool') return data;
  const words = new Uint32Array(data.length);
  for (let i = 0; i < data.length; i++) words[i] = data[i] !== 0 ? 1 : 0;
  return words;
}

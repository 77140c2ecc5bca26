// safetensors in memory (browser-safe): serialize tensors to bytes, deserialize them, or read one tensor at a time.
import { defineOptions, type Spec } from '../options.js';
import type { DType, TypedArray } from '../dtype.js';
import { fromArray } from '../functions/creation.js';
import { Tensor } from '../tensor.js';
import {
  canWrite,
  decodeData,
  defaultTarget,
  dtypeRank,
  dtypeSize,
  encodeData,
  isSafetensorsDType,
  readsAs,
  type SafetensorsDType,
} from './safetensors_dtypes.js';
import {
  fail,
  isWellFormed,
  MAX_HEADER_SIZE,
  parseHeader,
  type SafetensorsHeader,
  type TensorInfo,
} from './safetensors_header.js';

export {
  MAX_HEADER_SIZE,
  parseHeader,
  parseHeaderJson,
  readHeaderLength,
  type SafetensorsHeader,
  type TensorInfo,
} from './safetensors_header.js';
export {
  SAFETENSORS_DTYPES,
  bfloat16BitsToFloat,
  floatToBFloat16Bits,
  floatToHalfBits,
  halfBitsToFloat,
  type SafetensorsDType,
} from './safetensors_dtypes.js';

const SERIALIZE_SPEC: Spec<SerializeOptions> = {
  metadata: 'object',
  dtypes: ['object', 'function'],
};
const SERIALIZE = defineOptions<SerializeOptions>('io.serialize', SERIALIZE_SPEC);
const SERIALIZE_ASYNC = defineOptions<SerializeOptions>('io.serializeAsync', SERIALIZE_SPEC);
const PLAN_SERIALIZE = defineOptions<SerializeOptions>('io.planSerialize', SERIALIZE_SPEC);
type DeviceOptions = { device?: string };
const DECODE_TENSOR = defineOptions<DeviceOptions>('io.decodeTensor', { device: 'string' });
const DESERIALIZE = defineOptions<DeviceOptions>('io.deserialize', { device: 'string' });
const GET_TENSOR = defineOptions<DeviceOptions>('SafetensorsSource.getTensor', {
  device: 'string',
});
const READ_ALL = defineOptions<DeviceOptions>('SafetensorsSource.readAll', { device: 'string' });

/** Tensors by name: a plain record (a state dict) or a Map. */
export type NamedTensors = Readonly<Record<string, Tensor>> | ReadonlyMap<string, Tensor>;

export interface SerializeOptions {
  /** Written as `__metadata__` (string values only). */
  readonly metadata?: Readonly<Record<string, string>>;
  /**
   * The dtype to write each tensor as, by name or by a function (undefined: the default). Defaults:
   * float32 → F32, float64 → F64, bool → BOOL and int32 → I64 (nabla's int32 stands in for
   * PyTorch's int64). Floats may be written as F16 or BF16 (rounded to nearest, ties to even).
   */
  readonly dtypes?:
    | Readonly<Record<string, SafetensorsDType>>
    | ((name: string, tensor: Tensor) => SafetensorsDType | undefined);
}

/** What a file holds once read: tensors by name (a null-prototype object) and its metadata. */
export interface Safetensors {
  readonly tensors: Record<string, Tensor>;
  readonly metadata: Readonly<Record<string, string>> | null;
}

/** One tensor of a serialization plan. */
export interface PlannedTensor {
  readonly name: string;
  readonly tensor: Tensor;
  readonly dtype: SafetensorsDType;
  readonly byteLength: number;
}

/** A file laid out but not yet encoded: the header bytes, then each tensor in order. */
export interface SerializePlan {
  readonly header: Uint8Array;
  readonly tensors: readonly PlannedTensor[];
  readonly byteLength: number;
}

function entriesOf(tensors: NamedTensors): [string, unknown][] {
  if (tensors instanceof Map) return [...(tensors as ReadonlyMap<string, unknown>).entries()];
  if (typeof tensors !== 'object' || tensors === null)
    fail('invalid_argument', 'expected tensors by name (an object or a Map)');
  return Object.entries(tensors);
}

/** Orders strings by code point (= UTF-8 byte order, as the reference writer compares names). */
function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x - y;
    if (x > 0xffff) i++;
  }
  return a.length - b.length;
}

function targetOf(name: string, t: Tensor, opts: SerializeOptions | undefined): SafetensorsDType {
  const d = opts?.dtypes;
  let target: unknown;
  if (typeof d === 'function') target = d(name, t);
  else if (d !== undefined && Object.prototype.hasOwnProperty.call(d, name)) target = d[name];
  if (target === undefined) return defaultTarget(t.dtype);
  if (!isSafetensorsDType(target))
    fail('invalid_argument', `tensor "${name}": cannot write dtype ${JSON.stringify(target)}`);
  const st = target as SafetensorsDType;
  if (!canWrite(t.dtype, st))
    fail('invalid_argument', `tensor "${name}": cannot write a ${t.dtype} tensor as ${st}`);
  return st;
}

/**
 * Lays a file out as the reference writer does: tensors sorted by dtype alignment (largest first)
 * and then by name, `__metadata__` first in the header, the header padded with spaces to a
 * multiple of 8 bytes.
 */
export function planSerialize(tensors: NamedTensors, opts?: SerializeOptions): SerializePlan {
  PLAN_SERIALIZE.check(opts);
  const planned: PlannedTensor[] = [];
  for (const [name, t] of entriesOf(tensors)) {
    if (typeof name !== 'string' || !isWellFormed(name))
      fail('invalid_argument', `tensor name ${JSON.stringify(name)} is not a well-formed string`);
    if (name === '__metadata__')
      fail('invalid_argument', 'a tensor cannot be named "__metadata__"');
    if (!(t instanceof Tensor)) fail('invalid_argument', `"${name}" is not a Tensor`);
    const tensor = t as Tensor;
    tensor._assertLive();
    const dtype = targetOf(name, tensor, opts);
    planned.push({ name, tensor, dtype, byteLength: tensor.numel() * dtypeSize(dtype) });
  }
  planned.sort(
    (a, b) => dtypeRank(b.dtype) - dtypeRank(a.dtype) || compareCodePoints(a.name, b.name),
  );
  const parts: string[] = [];
  if (opts?.metadata !== undefined) {
    const meta = opts.metadata as unknown;
    if (typeof meta !== 'object' || meta === null || Array.isArray(meta))
      fail('invalid_argument', 'metadata must be an object of strings');
    const items = Object.entries(meta as Record<string, unknown>).map(([k, v]) => {
      if (typeof v !== 'string' || !isWellFormed(k) || !isWellFormed(v))
        fail('invalid_argument', `metadata ${JSON.stringify(k)} must map to a well-formed string`);
      return `${JSON.stringify(k)}:${JSON.stringify(v)}`;
    });
    parts.push(`"__metadata__":{${items.join(',')}}`);
  }
  let offset = 0;
  for (const p of planned) {
    const end = offset + p.byteLength;
    parts.push(
      `${JSON.stringify(p.name)}:{"dtype":"${p.dtype}","shape":[${p.tensor.shape.join(',')}],"data_offsets":[${offset},${end}]}`,
    );
    offset = end;
  }
  const json = new TextEncoder().encode(`{${parts.join(',')}}`);
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded > MAX_HEADER_SIZE)
    fail('header_too_large', `the header would be ${padded} bytes, over ${MAX_HEADER_SIZE}`);
  const header = new Uint8Array(8 + padded).fill(0x20, 8 + json.length);
  new DataView(header.buffer).setUint32(0, padded, true);
  header.set(json, 8);
  return { header, tensors: planned, byteLength: header.length + offset };
}

/** The bytes of one planned tensor, from its (contiguous) data. */
export function encodeTensor(p: PlannedTensor, data?: TypedArray): Uint8Array {
  return encodeData(p.dtype, data ?? p.tensor.dataSync(), p.name);
}

function assemble(plan: SerializePlan, datas: readonly TypedArray[]): Uint8Array {
  const out = new Uint8Array(plan.byteLength);
  out.set(plan.header, 0);
  let at = plan.header.length;
  plan.tensors.forEach((p, i) => {
    out.set(encodeTensor(p, datas[i]), at);
    at += p.byteLength;
  });
  return out;
}

/** The bytes of a safetensors file holding `tensors` (synchronous backends). */
export function serialize(tensors: NamedTensors, opts?: SerializeOptions): Uint8Array {
  SERIALIZE.check(opts);
  const plan = planSerialize(tensors, opts);
  return assemble(
    plan,
    plan.tensors.map((p) => p.tensor.dataSync()),
  );
}

/** serialize for every backend, reading tensor data asynchronously (WebGPU). */
export async function serializeAsync(
  tensors: NamedTensors,
  opts?: SerializeOptions,
): Promise<Uint8Array> {
  SERIALIZE_ASYNC.check(opts);
  const plan = planSerialize(tensors, opts);
  const datas = await Promise.all(plan.tensors.map((p) => p.tensor.data()));
  return assemble(plan, datas);
}

/** The number of elements of a (validated) tensor entry. */
export function numelOf(info: TensorInfo): number {
  return info.shape.reduce((a, b) => a * b, 1);
}

/** The nabla dtype a tensor entry is read into (F16/BF16 → float32, I64/U8 → int32). */
export function nablaDType(info: TensorInfo): DType {
  return readsAs(info.dtype);
}

/**
 * Makes a tensor from the bytes of one entry (exactly its data_offsets' length). Throws
 * value_out_of_range for I64 values outside int32.
 */
export function decodeTensor(
  name: string,
  info: TensorInfo,
  bytes: Uint8Array,
  opts?: { device?: string },
): Tensor {
  DECODE_TENSOR.check(opts);
  const [b, e] = info.dataOffsets;
  if (bytes.length < e - b)
    fail('truncated', `tensor "${name}": expected ${e - b} bytes, got ${bytes.length}`);
  const data = decodeData(info.dtype, bytes, numelOf(info), name);
  return fromArray(
    data,
    info.shape,
    readsAs(info.dtype),
    opts?.device ? { device: opts.device } : {},
  );
}

function toBytes(bytes: Uint8Array | ArrayBuffer): Uint8Array {
  if (bytes instanceof ArrayBuffer) return new Uint8Array(bytes);
  if (!(bytes instanceof Uint8Array))
    fail('invalid_argument', 'expected a Uint8Array or ArrayBuffer');
  // Drop subclass behaviour (Node's Buffer.slice shares memory).
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * What the in-memory reader and the file reader (nabla/node's SafetensorsFile) share: the
 * validated header, lookups by name, and decoding of a tensor from its stored bytes, which each
 * reader fetches its own way (`raw`).
 */
export abstract class SafetensorsSource {
  /** Names the source in errors ("the file", or its path). */
  readonly #where: string;

  constructor(
    readonly header: SafetensorsHeader,
    where: string,
  ) {
    this.#where = where;
  }

  /** Tensor names, in data order. */
  keys(): string[] {
    return [...this.header.tensors.keys()];
  }

  has(name: string): boolean {
    return this.header.tensors.has(name);
  }

  /** dtype, shape and offsets of one tensor, without reading it. */
  info(name: string): TensorInfo {
    const info = this.header.tensors.get(name);
    if (info === undefined)
      return fail('tensor_not_found', `no tensor named "${name}" in ${this.#where}`);
    return info;
  }

  metadata(): Readonly<Record<string, string>> | null {
    return this.header.metadata;
  }

  /** A tensor's bytes as stored (little-endian, undecoded). */
  abstract raw(name: string): Uint8Array;

  getTensor(name: string, opts?: { device?: string }): Tensor {
    GET_TENSOR.check(opts);
    return decodeTensor(name, this.info(name), this.raw(name), opts);
  }

  /** Every tensor, or none (see readAll). */
  readAll(opts?: { device?: string }): Safetensors {
    READ_ALL.check(opts);
    return readAll(this.header, (name) => this.getTensor(name, opts));
  }
}

/**
 * A file held in memory, validated up front, whose tensors are decoded one at a time on demand:
 * safetensors' `safe_open` for an ArrayBuffer.
 */
export class SafetensorsReader extends SafetensorsSource {
  readonly #bytes: Uint8Array;

  constructor(bytes: Uint8Array | ArrayBuffer) {
    const b = toBytes(bytes);
    super(parseHeader(b), 'the file');
    this.#bytes = b;
  }

  /** A tensor's bytes as stored: a view into the file's buffer. */
  raw(name: string): Uint8Array {
    const [b, e] = this.info(name).dataOffsets;
    const start = this.header.dataStart;
    return this.#bytes.subarray(start + b, start + e);
  }
}

/**
 * Reads every tensor of a file, or none: any failure (a malformed file, an I64 out of range)
 * throws SafetensorsError and frees what was already decoded.
 */
export function readAll(header: SafetensorsHeader, get: (name: string) => Tensor): Safetensors {
  const tensors = Object.create(null) as Record<string, Tensor>;
  const made: Tensor[] = [];
  try {
    for (const name of header.tensors.keys()) {
      const t = get(name);
      made.push(t);
      tensors[name] = t;
    }
  } catch (e) {
    for (const t of made) t.dispose();
    throw e;
  }
  return { tensors, metadata: header.metadata };
}

/** Parses a whole safetensors file from memory (validated before any tensor is made). */
export function deserialize(
  bytes: Uint8Array | ArrayBuffer,
  opts?: { device?: string },
): Safetensors {
  DESERIALIZE.check(opts);
  return new SafetensorsReader(bytes).readAll(opts);
}

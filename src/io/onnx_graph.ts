// ONNX export, step 2's tools: the graph being built (nodes, initializers, unique names) and attribute helpers.
import type { DType, TypedArray } from '../dtype.js';
import type { Tensor } from '../tensor.js';
import type { OnnxAttr, OnnxElemType, OnnxNode, OnnxTensor } from './onnx_proto.js';

/**
 * Where the dynamic batch lives in a value: dim `dim`, of size outer·B·inner for a batch of B
 * (outer and inner are static factors a reshape merged into it, as attention's [L, B·heads, d]).
 */
export interface Batch {
  readonly dim: number;
  readonly outer: number;
  readonly inner: number;
}

/** A value of the graph being built: its ONNX name, shape at trace time, dtype, and batch dim. */
export interface Val {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: DType;
  /** null: no dim depends on the batch size (or dynamicBatch is off). */
  readonly batch: Batch | null;
}

/** What a mapping returns: the output value's name and where its batch dim went. */
export interface Emitted {
  readonly name: string;
  readonly batch: Batch | null;
}

/** The batch moved to `dim` (null: gone). */
export function batchAt(b: Batch | null, dim: number | null): Batch | null {
  return b === null || dim === null || dim < 0 ? null : { ...b, dim };
}

export const ONNX_TYPE: { readonly [D in DType]: OnnxElemType } = {
  float32: 'float32',
  float64: 'float64',
  int32: 'int32',
  bool: 'bool',
};

/** TensorProto.DataType codes, for Cast's `to`. */
export const CAST_TO: { readonly [D in DType]: number } = {
  float32: 1,
  float64: 11,
  int32: 6,
  bool: 9,
};

export const attr = {
  int: (name: string, value: number): OnnxAttr => ({ name, kind: 'int', value }),
  ints: (name: string, value: readonly number[]): OnnxAttr => ({ name, kind: 'ints', value }),
  float: (name: string, value: number): OnnxAttr => ({ name, kind: 'float', value }),
  string: (name: string, value: string): OnnxAttr => ({ name, kind: 'string', value }),
};

function bytesOf(a: TypedArray | BigInt64Array): Uint8Array {
  // NOTE: ONNX raw_data is little-endian, as typed arrays are on every platform JavaScript runs on.
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function scalarArray(value: number, dtype: DType): TypedArray {
  switch (dtype) {
    case 'float32':
      return Float32Array.of(value);
    case 'float64':
      return Float64Array.of(value);
    case 'int32':
      return Int32Array.of(value);
    case 'bool':
      return Uint8Array.of(value ? 1 : 0);
  }
}

/** The nodes and initializers of the graph under construction, with unique, readable names. */
export class GraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxTensor[] = [];
  /** The module path new nodes are named under ('' for the model itself). */
  scope = '';
  readonly #used = new Set<string>();
  readonly #tensors = new Map<Tensor, string>();

  constructor(
    readonly opset: number,
    readonly dynamic: boolean,
    /** State-dict names of the model's parameters and buffers: their initializers keep them. */
    readonly stateNames: ReadonlyMap<Tensor, string>,
  ) {}

  /** `base`, or `base_1`, `base_2`, ... whichever is still free; reserves it. */
  unique(base: string): string {
    let name = base;
    for (let i = 1; this.#used.has(name); i++) name = `${base}_${i}`;
    this.#used.add(name);
    return name;
  }

  #prefix(): string {
    return this.scope === '' ? '' : `/${this.scope}`;
  }

  /** Adds a node; returns its output names. */
  node(
    opType: string,
    inputs: readonly string[],
    attrs: readonly OnnxAttr[] = [],
    outputs = 1,
  ): string[] {
    const name = this.unique(`${this.#prefix()}/${opType}`);
    const outs = Array.from({ length: outputs }, (_, i) => this.unique(`${name}_output_${i}`));
    this.nodes.push({ opType, name, inputs, outputs: outs, attrs });
    return outs;
  }

  /** Adds a one-output node; returns the output's name. */
  op(opType: string, inputs: readonly string[], attrs: readonly OnnxAttr[] = []): string {
    return this.node(opType, inputs, attrs)[0]!;
  }

  #init(name: string, type: OnnxElemType, dims: readonly number[], raw: Uint8Array): string {
    this.initializers.push({ name, type, dims: [...dims], raw });
    return name;
  }

  /** An int64 initializer (shapes, axes, pads): 1-d, or 0-d with `scalar`. */
  ints(values: readonly number[], scalar = false): string {
    const data = BigInt64Array.from(values, (v) => BigInt(v));
    const name = this.unique(`${this.#prefix()}/const_i64`);
    return this.#init(name, 'int64', scalar ? [] : [values.length], bytesOf(data));
  }

  /** A 0-d initializer of `dtype`. */
  scalar(value: number, dtype: DType): string {
    const name = this.unique(`${this.#prefix()}/const`);
    return this.#init(name, ONNX_TYPE[dtype], [], bytesOf(scalarArray(value, dtype)));
  }

  /** A tensor of `dtype` filled with `value` (for absent affine weights). */
  filled(value: number, shape: readonly number[], dtype: DType): string {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
    data.fill(value);
    const name = this.unique(`${this.#prefix()}/const`);
    return this.#init(name, ONNX_TYPE[dtype], shape, bytesOf(data));
  }

  /** The initializer holding a tensor's current data: a parameter or buffer by its state-dict name. */
  tensor(t: Tensor): string {
    const known = this.#tensors.get(t);
    if (known !== undefined) return known;
    const stateName = this.stateNames.get(t);
    const name = this.unique(stateName ?? `${this.#prefix()}/const`);
    this.#init(name, ONNX_TYPE[t.dtype], t.shape, bytesOf(t.dataSync()));
    this.#tensors.set(t, name);
    return name;
  }

  /** Claims a name given by the user (graph inputs and outputs); false when it is taken. */
  reserve(name: string): boolean {
    if (this.#used.has(name)) return false;
    this.#used.add(name);
    return true;
  }

  /** Renames a node output everywhere it appears (to a name reserved beforehand). */
  rename(from: string, to: string): void {
    const swap = (xs: readonly string[]) => xs.map((x) => (x === from ? to : x));
    for (let i = 0; i < this.nodes.length; i++) {
      const n = this.nodes[i]!;
      this.nodes[i] = { ...n, inputs: swap(n.inputs), outputs: swap(n.outputs) };
    }
  }
}

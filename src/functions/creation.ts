// Tensor creation: from data, constant fills, ranges, identity and random draws from the library generator.
import {
  DEFAULT_FLOAT,
  allocArray,
  assertDType,
  castScalar,
  checkedScalar,
  isFloating,
  type DType,
} from '../dtype.js';
import { ArgumentError, DTypeError, ShapeError } from '../errors.js';
import {
  defaultGenerator,
  fillNormal,
  fillUniform,
  permutation,
  type Generator,
} from '../random.js';
import { numel } from '../shape.js';
import type { Tensor } from '../tensor.js';
import {
  CREATE_SPEC,
  checkShape,
  fromArray,
  full,
  scalarTensor,
  type CreateOptions,
} from '../ops/create.js';
import { defineOptions, type OptionSchema, type Spec } from '../options.js';

export { full, scalarTensor, type CreateOptions };
/** @internal Wraps host data in a tensor (for nn, data and the CLI; not in the shipped types). */
export { fromArray } from '../ops/create.js';

/** Nested arrays of numbers or booleans, as torch.tensor accepts nested lists. */
export type NestedArray = number | boolean | readonly NestedArray[];

export interface RandomOptions extends CreateOptions {
  readonly generator?: Generator;
}

const RANDOM_SPEC: Spec<RandomOptions> = { ...CREATE_SPEC, generator: 'object' };
const create = (name: string) => defineOptions<CreateOptions>(name, CREATE_SPEC);
const random = (name: string) => defineOptions<RandomOptions>(name, RANDOM_SPEC);
const TENSOR = create('tensor');
const ZEROS = create('zeros');
const ONES = create('ones');
const ZEROS_LIKE = create('zerosLike');
const ONES_LIKE = create('onesLike');
const FULL_LIKE = create('fullLike');
const ARANGE = create('arange');
const LINSPACE = create('linspace');
const EYE = create('eye');
const RAND = random('rand');
const RANDN = random('randn');
const RANDINT = random('randint');
const RANDPERM = random('randperm');
const RAND_LIKE = random('randLike');
const RANDN_LIKE = random('randnLike');
const RANDINT_LIKE = random('randintLike');

function shapeFromArgs(args: readonly unknown[]): number[] {
  const first = args[0];
  return checkShape(Array.isArray(first) ? (first as number[]) : (args as number[]));
}

function splitOptions<O>(
  schema: OptionSchema<O>,
  args: readonly unknown[],
): [unknown[], O | undefined] {
  const last = args[args.length - 1];
  if (last !== null && typeof last === 'object' && !Array.isArray(last)) {
    return [args.slice(0, -1), schema.checkGiven(last)];
  }
  return [[...args], undefined];
}

function inferNested(data: NestedArray): {
  shape: number[];
  flat: (number | boolean)[];
  allBool: boolean;
} {
  const shape: number[] = [];
  let probe: NestedArray = data;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    if (probe.length === 0) break;
    probe = (probe as readonly NestedArray[])[0]!;
  }
  const flat: (number | boolean)[] = [];
  let allBool = true;
  const walk = (x: NestedArray, depth: number) => {
    if (depth === shape.length) {
      if (Array.isArray(x)) {
        throw new ShapeError(
          `expected sequence of length ${shape[depth - 1] ?? 0} at dim ${depth - 1} (got ${(x as unknown[]).length})`,
        );
      }
      if (typeof x === 'number') allBool = false;
      else if (typeof x !== 'boolean') {
        throw new ArgumentError(`Could not infer dtype of ${typeof x}`);
      }
      flat.push(x as number | boolean);
      return;
    }
    if (!Array.isArray(x)) {
      throw new ShapeError(
        `expected sequence of length ${shape[depth]} at dim ${depth} (got a scalar)`,
      );
    }
    const arr = x as readonly NestedArray[];
    if (arr.length !== shape[depth]) {
      throw new ShapeError(
        `expected sequence of length ${shape[depth]} at dim ${depth} (got ${arr.length})`,
      );
    }
    for (const v of arr) walk(v, depth + 1);
  };
  walk(data, 0);
  if (flat.length === 0) allBool = false;
  return { shape, flat, allBool };
}

/** The JavaScript typed arrays `tensor()` accepts (BigInt arrays excepted). */
export type HostArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Uint8ClampedArray
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array;

export function isHostArray(x: unknown): x is HostArray {
  return (
    ArrayBuffer.isView(x) &&
    !(x instanceof DataView) &&
    !(x instanceof BigInt64Array) &&
    !(x instanceof BigUint64Array)
  );
}

/**
 * torch.tensor: a new tensor from nested arrays or a typed array (always copied). Numbers become
 * float32 (JavaScript cannot tell 1 from 1.0), booleans bool; Float64Array gives float64 and the
 * integer arrays int32. Pass `dtype` to choose.
 */
export function tensor(data: NestedArray | HostArray, opts?: CreateOptions): Tensor {
  TENSOR.check(opts);
  let shape: number[];
  let dtype: DType;
  let values: ArrayLike<number | boolean>;
  if (isHostArray(data)) {
    shape = [data.length];
    dtype =
      data instanceof Float32Array ? 'float32' : data instanceof Float64Array ? 'float64' : 'int32';
    values = data;
  } else {
    const parsed = inferNested(data);
    shape = parsed.shape;
    dtype = parsed.allBool ? 'bool' : DEFAULT_FLOAT;
    values = parsed.flat;
  }
  if (opts?.dtype !== undefined) dtype = assertDType(opts.dtype);
  const arr = allocArray(dtype, values.length);
  for (let i = 0; i < values.length; i++) arr[i] = checkedScalar(Number(values[i]), dtype);
  return fromArray(arr, shape, dtype, opts);
}

export function zeros(...args: readonly (number | readonly number[] | CreateOptions)[]): Tensor {
  const [rest, opts] = splitOptions<CreateOptions>(ZEROS, args);
  return full(shapeFromArgs(rest), 0, opts);
}

export function ones(...args: readonly (number | readonly number[] | CreateOptions)[]): Tensor {
  const [rest, opts] = splitOptions<CreateOptions>(ONES, args);
  return full(shapeFromArgs(rest), 1, opts);
}

/** empty: PyTorch leaves memory uninitialised; here it is zero-filled. */
export const empty = zeros;

/** The options a *Like function inherits from its model tensor. */
function likeOptions(
  schema: OptionSchema<CreateOptions>,
  t: Tensor,
  opts?: CreateOptions,
): CreateOptions {
  schema.check(opts);
  return {
    dtype: opts?.dtype ?? t.dtype,
    device: opts?.device ?? t.device,
    requiresGrad: opts?.requiresGrad ?? false,
  };
}

export function zerosLike(t: Tensor, opts?: CreateOptions): Tensor {
  return full(t.shape, 0, likeOptions(ZEROS_LIKE, t, opts));
}

export function onesLike(t: Tensor, opts?: CreateOptions): Tensor {
  return full(t.shape, 1, likeOptions(ONES_LIKE, t, opts));
}

export function fullLike(t: Tensor, value: number | boolean, opts?: CreateOptions): Tensor {
  return full(t.shape, value, likeOptions(FULL_LIKE, t, opts));
}

export const emptyLike = zerosLike;

/**
 * arange(end), arange(start, end, step?): int32 when every argument is an integer (as PyTorch
 * gives int64 for ints), float32 otherwise.
 */
export function arange(...args: readonly (number | CreateOptions)[]): Tensor {
  const [nums, opts] = splitOptions<CreateOptions>(ARANGE, args) as [
    number[],
    CreateOptions | undefined,
  ];
  const [start, end, step] =
    nums.length === 1 ? [0, nums[0]!, 1] : [nums[0]!, nums[1]!, nums[2] ?? 1];
  if (step === 0) throw new ArgumentError('step must be nonzero');
  if (![start, end, step].every(Number.isFinite))
    throw new ArgumentError('unsupported range: non-finite bound');
  if ((step > 0 && end < start) || (step < 0 && end > start)) {
    throw new ArgumentError('upper bound and larger bound inconsistent with step sign');
  }
  const integral = [start, end, step].every(Number.isInteger);
  const dtype = opts?.dtype ?? (integral ? 'int32' : DEFAULT_FLOAT);
  const n = Math.max(0, Math.ceil((end - start) / step));
  const arr = allocArray(dtype, n);
  for (let i = 0; i < n; i++) arr[i] = castScalar(start + i * step, dtype);
  return fromArray(arr, [n], dtype, opts);
}

/** linspace(start, end, steps): evenly spaced, both ends included, computed from both ends as PyTorch does. */
export function linspace(start: number, end: number, steps: number, opts?: CreateOptions): Tensor {
  LINSPACE.check(opts);
  if (!Number.isInteger(steps) || steps < 0)
    throw new ArgumentError('number of steps must be non-negative');
  const dtype = opts?.dtype ?? DEFAULT_FLOAT;
  if (dtype === 'bool') throw new DTypeError(`"linspace_cpu" not implemented for 'Bool'`);
  // An integer dtype takes integer ends first, as PyTorch converts the scalars (checked).
  const [a, b] =
    dtype === 'int32' ? [checkedScalar(start, dtype), checkedScalar(end, dtype)] : [start, end];
  const arr = allocArray(dtype, steps);
  const step = steps > 1 ? (b - a) / (steps - 1) : 0;
  const half = Math.floor(steps / 2);
  // (one step is the start, as PyTorch fills it)
  if (steps === 1) arr[0] = castScalar(a, dtype);
  else {
    for (let i = 0; i < steps; i++) {
      arr[i] = castScalar(i < half ? a + step * i : b - step * (steps - i - 1), dtype);
    }
  }
  return fromArray(arr, [steps], dtype, opts);
}

/** eye(n, m?): the identity matrix. */
export function eye(n: number, m?: number | CreateOptions, opts?: CreateOptions): Tensor {
  const cols = typeof m === 'number' ? m : n;
  const o = EYE.check(typeof m === 'object' ? m : opts);
  const dtype = o?.dtype ?? DEFAULT_FLOAT;
  const shape = checkShape([n, cols]);
  const arr = allocArray(dtype, n * cols);
  for (let i = 0; i < Math.min(n, cols); i++) arr[i * cols + i] = 1;
  return fromArray(arr, shape, dtype, o);
}

function floatDType(opts: CreateOptions | undefined, fn: string): DType {
  const dtype = opts?.dtype ?? DEFAULT_FLOAT;
  if (!isFloating(dtype))
    throw new DTypeError(`${fn}: expected a floating point dtype, got ${dtype}`);
  return dtype;
}

/** rand(shape): uniform on [0, 1), drawn as torch.rand draws with the same seed. */
export function rand(...args: readonly (number | readonly number[] | RandomOptions)[]): Tensor {
  const [rest, opts] = splitOptions<RandomOptions>(RAND, args);
  const shape = shapeFromArgs(rest);
  const dtype = floatDType(opts, 'rand');
  const arr = allocArray(dtype, numel(shape)) as Float32Array | Float64Array;
  fillUniform(arr, 0, 1, opts?.generator ?? defaultGenerator);
  return fromArray(arr, shape, dtype, opts);
}

/** randn(shape): standard normal, drawn as torch.randn draws with the same seed. */
export function randn(...args: readonly (number | readonly number[] | RandomOptions)[]): Tensor {
  const [rest, opts] = splitOptions<RandomOptions>(RANDN, args);
  const shape = shapeFromArgs(rest);
  const dtype = floatDType(opts, 'randn');
  const arr = allocArray(dtype, numel(shape)) as Float32Array | Float64Array;
  fillNormal(arr, 0, 1, opts?.generator ?? defaultGenerator);
  return fromArray(arr, shape, dtype, opts);
}

/** randint(low, high, shape) or randint(high, shape): integers in [low, high), int32 by default. */
export function randint(
  a: number,
  b: number | readonly number[],
  c?: readonly number[] | RandomOptions,
  d?: RandomOptions,
): Tensor {
  const [low, high, shapeArg, opts] =
    typeof b === 'number'
      ? [a, b, c as readonly number[], d]
      : [0, a, b, c as RandomOptions | undefined];
  RANDINT.check(opts);
  const shape = checkShape(shapeArg);
  if (!(high > low))
    throw new ArgumentError(
      `random_ expects 'from' to be less than 'to', but got from=${low} >= to=${high}`,
    );
  const dtype = opts?.dtype ?? 'int32';
  const gen = opts?.generator ?? defaultGenerator;
  const arr = allocArray(dtype, numel(shape));
  const range = high - low;
  for (let i = 0; i < arr.length; i++) arr[i] = castScalar(gen.below(range) + low, dtype);
  return fromArray(arr, shape, dtype, opts);
}

/** randperm(n): a random permutation of 0..n-1 (int32), as torch.randperm draws it. */
export function randperm(n: number, opts?: RandomOptions): Tensor {
  RANDPERM.check(opts);
  if (!Number.isInteger(n) || n < 0) throw new ArgumentError(`n must be non-negative, got ${n}`);
  const perm = permutation(n, opts?.generator ?? defaultGenerator);
  const dtype = opts?.dtype ?? 'int32';
  const arr = allocArray(dtype, n);
  arr.set(perm);
  return fromArray(arr, [n], dtype, opts);
}

export function randLike(t: Tensor, opts?: RandomOptions): Tensor {
  return rand(t.shape, {
    ...likeOptions(RAND_LIKE as OptionSchema<CreateOptions>, t, opts),
    ...(opts?.generator ? { generator: opts.generator } : {}),
  });
}

export function randnLike(t: Tensor, opts?: RandomOptions): Tensor {
  return randn(t.shape, {
    ...likeOptions(RANDN_LIKE as OptionSchema<CreateOptions>, t, opts),
    ...(opts?.generator ? { generator: opts.generator } : {}),
  });
}

export function randintLike(
  t: Tensor,
  low: number,
  high?: number | RandomOptions,
  opts?: RandomOptions,
): Tensor {
  const [lo, hi, o] = typeof high === 'number' ? [low, high, opts] : [0, low, high];
  RANDINT_LIKE.check(o);
  return randint(lo, hi, t.shape, {
    dtype: o?.dtype ?? t.dtype,
    device: o?.device ?? t.device,
    ...(o?.generator ? { generator: o.generator } : {}),
  });
}

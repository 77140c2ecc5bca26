// Rearranging: roll and repeatInterleave (copies), Tensor.unfold's sliding windows and meshgrid (views).
import { ArgumentError, DTypeError, DeviceError, ShapeError } from '../errors.js';
import { apply } from '../ops/apply.js';
import { normalizeDim, shapeStr } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { isTensor } from '../tensor_class.js';
import { argsAfterOptions, defineOptions, isOptionsObject } from '../options.js';
import { arange, fromArray } from './creation.js';
import { cat, expand, flatten, indexSelect, narrow, reshape } from './shape_ops.js';

/**
 * roll(x, shifts, dims?): elements shifted along each dim, wrapping around; without dims the
 * tensor is rolled as if flattened, and keeps its shape.
 */
export function roll(
  x: Tensor,
  shifts: number | readonly number[],
  dims?: number | readonly number[] | null,
): Tensor {
  const s = typeof shifts === 'number' ? [shifts] : [...shifts];
  if (dims === undefined || dims === null) {
    if (s.length !== 1)
      throw new ArgumentError(`shifts and dimensions must align. shifts: ${s.length}, dims:0`);
    return reshape(roll(flatten(x), s[0]!, 0), x.shape);
  }
  const d = typeof dims === 'number' ? [dims] : [...dims];
  if (s.length !== d.length) {
    throw new ArgumentError(
      `shifts and dimensions must align. shifts: ${s.length}, dims:${d.length}`,
    );
  }
  let y = x;
  s.forEach((shift, i) => {
    if (!Number.isInteger(shift)) throw new ArgumentError('roll(): shifts must be integers');
    const dim = normalizeDim(d[i]!, x.ndim);
    const n = x.ndim === 0 ? 1 : x.shape[dim]!;
    const k = n === 0 ? 0 : ((shift % n) + n) % n;
    if (k === 0) return;
    y = cat([narrow(y, dim, n - k, k), narrow(y, dim, 0, n - k)], dim);
  });
  return y;
}

/** The repeat counts: one for every slice (`single`), or one per slice along the dim. */
function repeatCounts(
  repeats: Tensor | number,
  size: number,
): { single: number | null; counts: number[] } {
  let counts: number[];
  if (typeof repeats === 'number') {
    if (!Number.isInteger(repeats)) throw new ArgumentError('repeats must be an integer');
    counts = [repeats];
  } else {
    if (repeats.dtype !== 'int32')
      throw new DTypeError(`repeats has to be Long or Int tensor, got ${repeats.dtype}`);
    if (repeats.ndim > 1) throw new ShapeError('repeats must be 0-dim or 1-dim tensor');
    counts = Array.from(repeats.dataSync());
  }
  if (counts.some((c) => c < 0)) throw new ArgumentError('repeats can not be negative');
  if (counts.length === 1) return { single: counts[0]!, counts };
  if (counts.length !== size)
    throw new ShapeError('repeats must have the same size as input along dim');
  return { single: null, counts };
}

export interface RepeatInterleaveOptions {
  /** The output's length along dim (PyTorch's output_size): an error unless the counts give it. */
  readonly outputSize?: number;
}

const REPEAT_INTERLEAVE = defineOptions<RepeatInterleaveOptions>('repeatInterleave', {
  outputSize: 'integer',
});

/** Checks PyTorch's output_size against the length the counts give. */
function checkOutputSize(outputSize: number | undefined, total: number): void {
  if (outputSize === undefined) return;
  if (outputSize < 0) {
    throw new ShapeError(
      `Trying to create tensor with negative dimension ${outputSize}: [${outputSize}]`,
    );
  }
  if (outputSize !== total) throw new ShapeError('allocated size does not match required size');
}

/**
 * repeatInterleave(x, repeats, dim?, { outputSize }?): each element (each slice along dim) repeated
 * `repeats` times in place, where repeats is a count or an int32 tensor of one count per element;
 * without dim the input is flattened. repeatInterleave(repeats, { outputSize }?) alone repeats the
 * indices 0, 1, ... (as PyTorch). outputSize, when given, must be the output's length along dim.
 */
export function repeatInterleave(
  x: Tensor,
  repeats?: Tensor | number | RepeatInterleaveOptions,
  dim?: number | null | RepeatInterleaveOptions,
  opts?: RepeatInterleaveOptions,
): Tensor {
  if (repeats === undefined || isOptionsObject(repeats)) {
    if (dim !== undefined || opts !== undefined) throw argsAfterOptions(REPEAT_INTERLEAVE.name);
    const indicesOpts = REPEAT_INTERLEAVE.check(repeats);
    if (x.ndim > 1) throw new ShapeError('repeats must be 0-dim or 1-dim tensor');
    return repeatInterleave(arange(x.numel(), { device: x.device }), x, 0, indicesOpts);
  }
  if (isOptionsObject(dim) && opts !== undefined) throw argsAfterOptions(REPEAT_INTERLEAVE.name);
  const o = REPEAT_INTERLEAVE.check(isOptionsObject(dim) ? dim : opts);
  const dimArg = isOptionsObject(dim) ? undefined : dim;
  const input = dimArg === undefined || dimArg === null ? flatten(x) : x;
  const d = dimArg === undefined || dimArg === null ? 0 : normalizeDim(dimArg, x.ndim);
  if (input.ndim === 0) return repeatInterleave(reshape(input, [1]), repeats, 0, o);
  const size = input.shape[d]!;
  const { single, counts } = repeatCounts(repeats, size);
  const total = single !== null ? single * size : counts.reduce((a, b) => a + b, 0);
  checkOutputSize(o?.outputSize, total);
  if (single !== null) {
    // one count for every slice: a broadcast copy, [..., n, 1, ...] → [..., n, r, ...] → merged
    const inner = input.shape.slice(d + 1);
    const lead = input.shape.slice(0, d);
    const spread = expand(reshape(input, [...lead, size, 1, ...inner]), [
      ...lead,
      size,
      single,
      ...inner,
    ]);
    return reshape(spread, [...lead, total, ...inner]);
  }
  const index = new Int32Array(total);
  let at = 0;
  counts.forEach((c, i) => {
    index.fill(i, at, at + c);
    at += c;
  });
  return indexSelect(input, d, fromArray(index, [total], 'int32', { device: x.device }));
}

/**
 * x.unfold(dimension, size, step): the windows x[..., i·step : i·step + size, ...] along dimension,
 * stacked along it, each window's elements in a new last dim: a view of x, as PyTorch.
 */
export function unfoldDim(x: Tensor, dimension: number, size: number, step: number): Tensor {
  const d = normalizeDim(dimension, x.ndim);
  const n = x.ndim === 0 ? 1 : x.shape[d]!;
  if (!Number.isInteger(size) || !Number.isInteger(step))
    throw new ArgumentError('unfold(): size and step must be integers');
  if (size > n)
    throw new ShapeError(`maximum size for tensor at dimension ${d} is ${n} but size is ${size}`);
  if (size < 0) throw new ArgumentError(`size is ${size} but must be >= 0`);
  if (step <= 0) throw new ArgumentError(`step is ${step} but must be > 0`);
  if (x.ndim === 0) return reshape(x, [size]);
  return apply('windows', [x], { dim: d, size, step });
}

export type MeshgridIndexing = 'ij' | 'xy';

export interface MeshgridOptions {
  /** 'ij' (default): output i varies along dim i; 'xy': the first two dims swapped (as NumPy). */
  readonly indexing?: MeshgridIndexing;
}

// NOTE: indexing is checked below, with PyTorch's message, not by the schema.
const MESHGRID = defineOptions<MeshgridOptions>('meshgrid', { indexing: 'string' });

/**
 * meshgrid(tensors, { indexing }) or meshgrid(a, b, ..., { indexing }): 0-d and 1-d tensors
 * broadcast to the grid of all their sizes (views, as PyTorch).
 */
export function meshgrid(
  ...args: readonly (Tensor | readonly Tensor[] | MeshgridOptions)[]
): Tensor[] {
  const last = args[args.length - 1];
  const hasOpts = last !== undefined && !isTensor(last) && !Array.isArray(last);
  const opts = hasOpts ? (last as MeshgridOptions) : undefined;
  MESHGRID.check(opts);
  const rest = hasOpts ? args.slice(0, -1) : args;
  const tensors = (
    rest.length === 1 && Array.isArray(rest[0]) ? rest[0] : rest
  ) as readonly Tensor[];
  const indexing = opts?.indexing ?? 'ij';
  if (indexing !== 'ij' && indexing !== 'xy') {
    throw new ArgumentError(
      `torch.meshgrid: indexing must be one of "xy" or "ij", but received: ${String(indexing)}`,
    );
  }
  if (tensors.length === 0) throw new ArgumentError('meshgrid expects a non-empty TensorList');
  tensors.forEach((t) => {
    if (t.ndim > 1) {
      throw new ShapeError(
        `torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got a tensor of shape ${shapeStr(t.shape)}`,
      );
    }
    if (t.dtype !== tensors[0]!.dtype)
      throw new DTypeError('meshgrid expects all tensors to have the same dtype');
    if (t.device !== tensors[0]!.device)
      throw new DeviceError('meshgrid expects all tensors to have the same device');
  });
  // 'xy' swaps the first two positions of the grid
  const position = (i: number) => (indexing === 'xy' && tensors.length >= 2 && i < 2 ? 1 - i : i);
  const grid = new Array<number>(tensors.length);
  tensors.forEach((t, i) => (grid[position(i)] = t.numel()));
  return tensors.map((t, i) => {
    const shape = grid.map((_, k) => (k === position(i) ? t.numel() : 1));
    return expand(reshape(t, shape), grid);
  });
}

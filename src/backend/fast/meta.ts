// The meta block of the C kernels (kernels/nabla.h): shapes, strides and scalars that one call needs.
import type { Epilogue, WindowParams } from '../../primitives.js';
import type { KernelInput, KernelOutput } from '../backend.js';
import { coalesce, denseStrides } from '../cpu/strided.js';

/** Mirrors nabla.h's layout; src/backend/fast/contract.ts checks the parts a build exports. */
export const MAXDIM = 8;
export const META_INTS = 128;
export const META_DOUBLES = 16;
export const META_BYTES = META_INTS * 4 + META_DOUBLES * 8;
/** Sizes, strides and offsets are int32 in C: larger tensors stay on the JavaScript path. */
export const INT32_LIMIT = 2 ** 31 - 1;

// walks
const W_OP = 0;
const W_NDIM = 1;
const W_NOPS = 2;
const W_SHAPE = 4;
const W_STRIDES = W_SHAPE + MAXDIM;
const W_OFFSETS = W_STRIDES + 4 * MAXDIM;
// reductions
const R_OP = 0;
const R_NKEPT = 1;
const R_NRED = 2;
const R_OFFSET = 3;
const R_KSHAPE = 4;
const R_KSTRIDES = R_KSHAPE + MAXDIM;
const R_RSHAPE = R_KSTRIDES + MAXDIM;
const R_RSTRIDES = R_RSHAPE + MAXDIM;
// gemm
const G_M = 0;
const G_N = 1;
const G_K = 2;
const G_SAM = 3;
const G_SAK = 4;
const G_SBK = 5;
const G_SBN = 6;
const G_OFFA = 7;
const G_OFFB = 8;
const G_NBATCH = 9;
const G_BSHAPE = 10;
const G_BSTRA = G_BSHAPE + MAXDIM;
const G_BSTRB = G_BSTRA + MAXDIM;
const G_BIAS = G_BSTRB + MAXDIM;
const G_OFFBIAS = G_BIAS + 1;
const G_ACT = G_OFFBIAS + 1;
// windows
const U_N = 0;
const U_STRIDES = 4;
const U_OFFSET = 8;
const U_KH = 9;
/** The grid of window positions: the last two of the ten window values from U_KH. */
const U_OH = U_KH + 8;
const U_OW = U_KH + 9;
// convolution (after the window fields)
const CV_O = 20;
const CV_WOFF = 21;
const CV_BOFF = 22;
const CV_BIAS = 23;
const CV_GOFF = 24;
const CV_ACT = 25;
// gather / scatter
const X_OP = 0;
const X_NDIM = 1;
const X_DIM = 2;
const X_SIZE = 3;
const X_SEL = 4;
const X_SHAPE = 8;
const X_STRIDES = X_SHAPE + MAXDIM;
const X_OFFSETS = X_STRIDES + 3 * MAXDIM;
/** Where scatter's copy walk (x into out) starts in the block, in int32s. */
export const X_COPY = 64;

// fused programs (nabla.h NB_F_*)
const F_N = 0;
const F_NLEAVES = 1;
const F_NINSTR = 2;
const F_LEAF = 4;
export const FUSED_MAX_LEAVES = 8;
export const FUSED_PROG = 20;
export const FUSED_MAX_INSTRUCTIONS = 16;
/** A binary op's code in a program: FUSED_BINARY + its binary kernel code. */
export const FUSED_BINARY = 32;
// log_softmax
const LS_OUTER = 0;
const LS_LEN = 1;
const LS_INNER = 2;
const LS_OFFSET = 3;
// batch norm
const BN_N = 0;
const BN_C = 1;
const BN_S = 2;
const BN_XOFF = 3;
const BN_GOFF = 4;
// maxpool_backward
const MB_PLANES = 0;
const MB_L = 1;
const MB_SIZE = 2;
const MB_GS0 = 3;
const MB_IS0 = 5;
const MB_GOFF = 7;
const MB_IOFF = 8;
// fused optimizers
const O_N = 0;
const O_FLAGS = 1;

/** The element range [lo, hi) of a buffer that a strided view touches (hi = lo when empty). */
export interface Extent {
  readonly lo: number;
  readonly hi: number;
}

export function extentOf(
  shape: readonly number[],
  strides: readonly number[],
  offset: number,
): Extent {
  let lo = offset;
  let hi = offset;
  for (let d = 0; d < shape.length; d++) {
    const n = shape[d]!;
    if (n === 0) return { lo: offset, hi: offset };
    const span = (n - 1) * strides[d]!;
    if (span < 0) lo += span;
    else hi += span;
  }
  return { lo, hi: hi + 1 };
}

/**
 * Finishes a coalesced walk's dims, which were collected innermost first: reverses the shape row
 * at `shapeAt` and the `nops` stride rows at `stridesAt` into row-major order. A walk left with no
 * dims becomes one dim of 1. Returns the dim count.
 */
function rowMajor(
  m: Int32Array,
  nd: number,
  shapeAt: number,
  stridesAt: number,
  nops: number,
): number {
  if (nd === 0) {
    m[shapeAt] = 1;
    for (let k = 0; k < nops; k++) m[stridesAt + k * MAXDIM] = 0;
    return 1;
  }
  for (let i = 0, j = nd - 1; i < j; i++, j--) {
    for (let k = -1; k < nops; k++) {
      const base = k < 0 ? shapeAt : stridesAt + k * MAXDIM;
      const t = m[base + i]!;
      m[base + i] = m[base + j]!;
      m[base + j] = t;
    }
  }
  return nd;
}

/** One meta block, viewed as int32 and float64; the native addon reads this very memory. */
/** A fused activation's code in the C meta (nabla.h NB_ACT_*). */
function epilogueCode(activation: Epilogue | undefined): number {
  return activation === undefined ? 0 : activation === 'relu' ? 1 : 2;
}

export class Meta {
  readonly buffer = new ArrayBuffer(META_BYTES);
  /** The whole block as int32 (what the native addon is given once). */
  readonly all = new Int32Array(this.buffer);
  readonly ints = new Int32Array(this.buffer, 0, META_INTS);
  readonly doubles = new Float64Array(this.buffer, META_INTS * 4, META_DOUBLES);

  /**
   * An elementwise walk over `out` (contiguous) and `inputs`, coalesced (size-1 dims dropped,
   * neighbours merged where every operand is contiguous across them) and written straight into
   * the block; input k's offset is relative to `bases[k]` (where its data starts in the buffer the
   * kernel sees). False when the walk needs more than MAXDIM dims. `at` places the walk further
   * into the block (scatter's copy walk sits at X_COPY).
   */
  walk(
    op: number,
    out: KernelOutput<unknown>,
    inputs: readonly KernelInput<unknown>[],
    bases: ArrayLike<number>,
    at = 0,
  ): boolean {
    const m = at === 0 ? this.ints : this.ints.subarray(at);
    const shape = out.shape;
    const nin = inputs.length;
    let nd = 0;
    let dense = 1; // the output's stride of dim d (row-major), walking from the last dim
    // Walk dims from the innermost out, merging dim d into the current (outer) run when every
    // operand satisfies stride[d] = stride[inner] * size[inner].
    for (let d = shape.length - 1; d >= 0; d--) {
      const size = shape[d]!;
      if (size === 1) continue;
      const last = nd - 1;
      let merge = last >= 0;
      if (merge) {
        const inner = m[W_SHAPE + last]!;
        if (m[W_STRIDES + last]! * inner !== dense) merge = false;
        for (let k = 0; merge && k < nin; k++) {
          const at = W_STRIDES + (k + 1) * MAXDIM + last;
          if (m[at]! * inner !== inputs[k]!.strides[d]) merge = false;
        }
      }
      if (merge) {
        m[W_SHAPE + last] = m[W_SHAPE + last]! * size;
      } else {
        if (nd === MAXDIM) return false;
        m[W_SHAPE + nd] = size;
        m[W_STRIDES + nd] = dense;
        for (let k = 0; k < nin; k++) m[W_STRIDES + (k + 1) * MAXDIM + nd] = inputs[k]!.strides[d]!;
        nd++;
      }
      dense *= size;
    }
    nd = rowMajor(m, nd, W_SHAPE, W_STRIDES, nin + 1);
    m[W_OP] = op;
    m[W_NDIM] = nd;
    m[W_NOPS] = nin + 1;
    m[W_OFFSETS] = 0;
    for (let k = 0; k < nin; k++) m[W_OFFSETS + k + 1] = inputs[k]!.offset - bases[k]!;
    return true;
  }

  /**
   * A gather/scatter walk over the positions of an index of `shape` (at least 1 dim), row-major.
   * Operand 0 is the index, 1 the target (its stride along `dim` is taken as 0: the index value
   * picks the slot at stride `sel`, of `size` slots), 2 the value; `offsets` are the operands'
   * element offsets relative to where the kernel sees their data start. Coalesced like walk(),
   * except that the indexed dim is never merged with a neighbour (scatter's shares are cut around
   * it). False when the walk needs more than MAXDIM dims.
   */
  indexed(
    op: number,
    shape: readonly number[],
    dim: number,
    size: number,
    sel: number,
    strides: readonly [readonly number[], readonly number[], readonly number[]],
    offsets: readonly [number, number, number],
  ): boolean {
    const m = this.ints;
    const str = (k: number, d: number) => (k === 1 && d === dim ? 0 : strides[k]![d]!);
    let nd = 0;
    let wd = -1;
    for (let d = shape.length - 1; d >= 0; d--) {
      const n = shape[d]!;
      if (n === 1) continue;
      const last = nd - 1;
      let merge = last >= 0 && d !== dim && wd !== last;
      for (let k = 0; merge && k < 3; k++) {
        const at = X_STRIDES + k * MAXDIM + last;
        if (m[at]! * m[X_SHAPE + last]! !== str(k, d)) merge = false;
      }
      if (merge) {
        m[X_SHAPE + last] = m[X_SHAPE + last]! * n;
      } else {
        if (nd === MAXDIM) return false;
        if (d === dim) wd = nd;
        m[X_SHAPE + nd] = n;
        for (let k = 0; k < 3; k++) m[X_STRIDES + k * MAXDIM + nd] = str(k, d);
        nd++;
      }
    }
    nd = rowMajor(m, nd, X_SHAPE, X_STRIDES, 3);
    m[X_OP] = op;
    m[X_NDIM] = nd;
    m[X_DIM] = wd < 0 ? -1 : nd - 1 - wd;
    m[X_SIZE] = size;
    m[X_SEL] = sel;
    for (let k = 0; k < 3; k++) m[X_OFFSETS + k] = offsets[k]!;
    return true;
  }

  /** The number of positions of the gather/scatter walk last written by indexed(). */
  indexedPositions(): number {
    let n = 1;
    for (let d = 0; d < this.ints[X_NDIM]!; d++) n *= this.ints[X_SHAPE + d]!;
    return n;
  }

  /** A reduction of `x` over sorted `dims`; false when kept or reduced dims exceed MAXDIM. */
  reduce(op: number, x: KernelInput<unknown>, dims: readonly number[], base: number): boolean {
    const ks: number[] = [];
    const kt: number[] = [];
    const rs: number[] = [];
    const rt: number[] = [];
    for (let d = 0; d < x.shape.length; d++) {
      if (dims.includes(d)) {
        rs.push(x.shape[d]!);
        rt.push(x.strides[d]!);
      } else {
        ks.push(x.shape[d]!);
        kt.push(x.strides[d]!);
      }
    }
    const kept = coalesce(ks, [kt]);
    const red = coalesce(rs, [rt]);
    if (kept.shape.length > MAXDIM || red.shape.length > MAXDIM) return false;
    const m = this.ints;
    m[R_OP] = op;
    m[R_NKEPT] = kept.shape.length;
    m[R_NRED] = red.shape.length;
    m[R_OFFSET] = x.offset - base;
    for (let d = 0; d < kept.shape.length; d++) {
      m[R_KSHAPE + d] = kept.shape[d]!;
      m[R_KSTRIDES + d] = kept.strides[0]![d]!;
    }
    for (let d = 0; d < red.shape.length; d++) {
      m[R_RSHAPE + d] = red.shape[d]!;
      m[R_RSTRIDES + d] = red.strides[0]![d]!;
    }
    return true;
  }

  /**
   * A batched matrix product out = a @ b (batch dims already broadcast by the op), starting from the
   * bias row at `biasOffset` (relative to the bias operand's base) when one is given, with the
   * activation applied as C is stored.
   */
  gemm(
    out: KernelOutput<unknown>,
    a: KernelInput<unknown>,
    b: KernelInput<unknown>,
    baseA: number,
    baseB: number,
    biasOffset: number | null = null,
    activation?: Epilogue,
  ): boolean {
    const nd = out.shape.length;
    const batch = out.shape.slice(0, nd - 2);
    const w = coalesce(batch, [
      denseStrides(batch),
      a.strides.slice(0, nd - 2),
      b.strides.slice(0, nd - 2),
    ]);
    if (w.shape.length > MAXDIM) return false;
    const m = this.ints;
    m[G_M] = out.shape[nd - 2]!;
    m[G_N] = out.shape[nd - 1]!;
    m[G_K] = a.shape[nd - 1]!;
    m[G_SAM] = a.strides[nd - 2]!;
    m[G_SAK] = a.strides[nd - 1]!;
    m[G_SBK] = b.strides[nd - 2]!;
    m[G_SBN] = b.strides[nd - 1]!;
    m[G_OFFA] = a.offset - baseA;
    m[G_OFFB] = b.offset - baseB;
    m[G_BIAS] = biasOffset === null ? 0 : 1;
    m[G_OFFBIAS] = biasOffset ?? 0;
    m[G_ACT] = epilogueCode(activation);
    // Batches are contiguous in the output: the coalesced walk keeps row-major batch order.
    m[G_NBATCH] = w.shape.length;
    for (let d = 0; d < w.shape.length; d++) {
      m[G_BSHAPE + d] = w.shape[d]!;
      m[G_BSTRA + d] = w.strides[1]![d]!;
      m[G_BSTRB + d] = w.strides[2]![d]!;
    }
    return true;
  }

  /**
   * An unfold (image = the input) or fold (image = the output, columns = the input) geometry:
   * image dims [n, c, h, w], the input's strides over its 4 dims (image) or 3 dims (columns) and
   * offset, the window parameters and the grid of window positions.
   */
  window(
    image: readonly [number, number, number, number],
    strides: readonly number[],
    offset: number,
    p: WindowParams,
    grid: readonly [number, number],
  ): void {
    const m = this.ints;
    for (let i = 0; i < 4; i++) {
      m[U_N + i] = image[i]!;
      m[U_STRIDES + i] = strides[i] ?? 0;
    }
    m[U_OFFSET] = offset;
    const vals = [
      p.kernelSize[0],
      p.kernelSize[1],
      p.dilation[0],
      p.dilation[1],
      p.padding[0],
      p.padding[1],
      p.stride[0],
      p.stride[1],
      grid[0],
      grid[1],
    ];
    for (let i = 0; i < vals.length; i++) m[U_KH + i] = vals[i]!;
  }

  /**
   * A convolution: the input image's window geometry (as `window`), the output channels, the
   * element offsets of the weight, the bias (null: none) and the output gradient, and the
   * forward's activation (applied as the output is stored).
   */
  conv(
    image: readonly [number, number, number, number],
    strides: readonly number[],
    offset: number,
    p: WindowParams,
    grid: readonly [number, number],
    channels: number,
    offsets: { weight: number; bias: number | null; grad: number },
    activation?: Epilogue,
  ): void {
    this.window(image, strides, offset, p, grid);
    const m = this.ints;
    m[CV_O] = channels;
    m[CV_WOFF] = offsets.weight;
    m[CV_BOFF] = offsets.bias ?? 0;
    m[CV_BIAS] = offsets.bias === null ? 0 : 1;
    m[CV_GOFF] = offsets.grad;
    m[CV_ACT] = epilogueCode(activation);
  }

  /** The multiply-adds of the convolution just written (what decides its thread count). */
  convWork(): number {
    const m = this.ints;
    const image = m[U_N]! * m[U_N + 1]!;
    return image * m[CV_O]! * m[U_KH]! * m[U_KH + 1]! * m[U_OH]! * m[U_OW]!;
  }

  /** log_softmax of a contiguous [outer, len, inner] read from element `offset` (nabla.h NB_LS_*). */
  logSoftmax(outer: number, len: number, inner: number, offset: number): void {
    const m = this.ints;
    m[LS_OUTER] = outer;
    m[LS_LEN] = len;
    m[LS_INNER] = inner;
    m[LS_OFFSET] = offset;
  }

  /** Batch norm over a contiguous [n, c, s], x and g read from their offsets (nabla.h NB_BN_*). */
  batchNorm(n: number, c: number, s: number, xOffset: number, gOffset: number): void {
    const m = this.ints;
    m[BN_N] = n;
    m[BN_C] = c;
    m[BN_S] = s;
    m[BN_XOFF] = xOffset;
    m[BN_GOFF] = gOffset;
  }

  /**
   * maxpool_backward (nabla.h NB_MB_*): `planes` rows of L gradients and indices into rows of
   * `size`; g and index at element strides [plane, l] from their offsets.
   */
  maxPoolBackward(
    planes: number,
    l: number,
    size: number,
    g: readonly [number, number, number],
    index: readonly [number, number, number],
  ): void {
    const m = this.ints;
    m[MB_PLANES] = planes;
    m[MB_L] = l;
    m[MB_SIZE] = size;
    m[MB_GS0] = g[0];
    m[MB_GS0 + 1] = g[1];
    m[MB_IS0] = index[0];
    m[MB_IS0 + 1] = index[1];
    m[MB_GOFF] = g[2];
    m[MB_IOFF] = index[2];
  }

  /**
   * A fused program (nabla.h NB_F_*) over n elements: leaf k's element offset (relative to where
   * its data starts for the kernel) and whether it is a broadcast scalar; the instructions as
   * Fusion.run takes them (leaf operands -k - 1, renumbered here to the C numbering).
   */
  fused(
    n: number,
    offsets: readonly number[],
    scalars: readonly boolean[],
    program: readonly number[],
  ): void {
    const m = this.ints;
    const nl = offsets.length;
    m[F_N] = n;
    m[F_NLEAVES] = nl;
    m[F_NINSTR] = program.length / 3;
    for (let k = 0; k < nl; k++) {
      m[F_LEAF + 2 * k] = offsets[k]!;
      m[F_LEAF + 2 * k + 1] = scalars[k]! ? 0 : 1;
    }
    for (let i = 0; i < program.length; i += 3) {
      m[FUSED_PROG + i] = program[i]!;
      for (let j = 1; j < 3; j++) {
        const v = program[i + j]!;
        m[FUSED_PROG + i + j] =
          j === 2 && program[i]! < FUSED_BINARY ? -1 : v < 0 ? -v - 1 : nl + v;
      }
    }
  }

  /** A fused optimizer update over n elements: the flags word (its scalars: scalars()). */
  optim(n: number, flags: number): void {
    this.ints[O_N] = n;
    this.ints[O_FLAGS] = flags;
  }

  /**
   * Named scalar arguments into the doubles, each at its position in `layout` (contract.ts's
   * SCALARS, nabla.h's NB_*_SCALARS).
   */
  scalars<F extends string>(layout: readonly F[], values: { readonly [K in F]: number }): void {
    for (let i = 0; i < layout.length; i++) this.doubles[i] = values[layout[i]!];
  }
}

// Issue 13's leftovers through the public API: scaled dot-product attention's masks and dropout, repeatInterleave's outputSize and the dtype option, with errors in PyTorch's words.
import { describe, expect, it } from 'vitest';
import * as nb from '../../src/index.js';
import {
  ArgumentError,
  DTypeError,
  OptionError,
  ShapeError,
  manualSeed,
  nn,
  ones,
  randn,
  tensor,
  zeros,
} from '../../src/index.js';

const F = nn.functional;
const sdpa = F.scaledDotProductAttention;
const ints = (data: number[]) => tensor(data, { dtype: 'int32' });

describe('scaledDotProductAttention: masks', () => {
  it('a bool mask is the float mask of 0 (true) and −inf (false)', () => {
    const [q, k, v] = [randn([2, 3, 4]), randn([2, 5, 4]), randn([2, 5, 6])];
    const keep = randn([3, 5])
      .gt(0)
      .logicalOr(tensor([true, false, false, false, false]));
    const additive = zeros([3, 5]).maskedFill(keep.logicalNot(), -Infinity);
    expect(sdpa(q, k, v, { attnMask: keep }).tolist()).toEqual(
      sdpa(q, k, v, { attnMask: additive }).tolist(),
    );
  });

  it('isCausal is the lower-triangular bool mask of [L, S], and does not look ahead', () => {
    const [q, k, v] = [randn([2, 3, 4]), randn([2, 5, 4]), randn([2, 5, 2])];
    const tril = ones([3, 5], { dtype: 'bool' }).tril();
    const causal = sdpa(q, k, v, { isCausal: true });
    expect(causal.tolist()).toEqual(sdpa(q, k, v, { attnMask: tril }).tolist());
    // other keys and values after position 0 leave query 0's output as it was
    const later = (t: nb.Tensor) => nb.cat([t.narrow(1, 0, 1), randn([2, 4, t.shape[2]!])], 1);
    const out = sdpa(q, later(k), later(v), { isCausal: true });
    expect(out.select(1, 0).tolist()).toEqual(causal.select(1, 0).tolist());
    expect(out.select(1, 1).tolist()).not.toEqual(causal.select(1, 1).tolist());
  });

  it('scale defaults to 1/√E', () => {
    const [q, k, v] = [randn([3, 4]), randn([5, 4]), randn([5, 2])];
    expect(sdpa(q, k, v).tolist()).toEqual(sdpa(q, k, v, { scale: 1 / Math.sqrt(4) }).tolist());
    expect(sdpa(q, k, v, { scale: 0 }).allclose(v.mean(0).expand(3, 2), { atol: 1e-6 })).toBe(true);
  });

  it('a row with every key masked is NaN, as the documented math', () => {
    const keep = tensor([
      [true, true, false],
      [false, false, false],
    ]);
    const out = sdpa(randn([2, 4]), randn([3, 4]), randn([3, 2]), { attnMask: keep });
    expect(out.isnan().tolist()).toEqual([
      [false, false],
      [true, true],
    ]);
  });
});

describe('scaledDotProductAttention: dropout', () => {
  // value = the identity, so the output is the attention weights themselves
  const [L, S] = [32, 16];
  const q = randn([64, L, 8]);
  const k = randn([64, S, 8]);
  const eye = nb.eye(S).expand(64, S, S);

  it('drops a share p of the weights and scales the rest by 1/(1 − p)', () => {
    const p = 0.3;
    const weights = sdpa(q, k, eye);
    manualSeed(2024);
    const dropped = sdpa(q, k, eye, { dropoutP: p });
    const w = weights.dataSync();
    const d = dropped.dataSync();
    let zerosSeen = 0;
    for (let i = 0; i < w.length; i++) {
      if (d[i] === 0) zerosSeen++;
      else expect(Math.abs(d[i]! - w[i]! / (1 - p))).toBeLessThanOrEqual(1e-6);
    }
    // 32768 weights: the share dropped is within 6 standard deviations (0.0025) of p
    expect(Math.abs(zerosSeen / w.length - p)).toBeLessThan(0.015);
  });

  it("follows nabla's RNG: the same seed gives the same output, another seed another", () => {
    manualSeed(5);
    const a = sdpa(q, k, eye, { dropoutP: 0.5 });
    manualSeed(5);
    const b = sdpa(q, k, eye, { dropoutP: 0.5 });
    manualSeed(6);
    const c = sdpa(q, k, eye, { dropoutP: 0.5 });
    expect(a.tolist()).toEqual(b.tolist());
    expect(c.tolist()).not.toEqual(a.tolist());
  });

  it('dropoutP 1 gives zeros; 0 and negative values (as PyTorch) do nothing; above 1 is refused', () => {
    expect(sdpa(q, k, eye, { dropoutP: 1 }).abs().sum().item()).toBe(0);
    const weights = sdpa(q, k, eye).tolist();
    expect(sdpa(q, k, eye, { dropoutP: 0 }).tolist()).toEqual(weights);
    expect(sdpa(q, k, eye, { dropoutP: -0.5 }).tolist()).toEqual(weights);
    expect(() => sdpa(q, k, eye, { dropoutP: 1.5 })).toThrow(
      new ArgumentError('dropout probability has to be between 0 and 1, but got 1.5'),
    );
  });
});

describe('scaledDotProductAttention: errors', () => {
  const [q, k, v] = [randn([3, 4]), randn([5, 4]), randn([5, 2])];

  it('in PyTorch 2.1 words', () => {
    expect(() =>
      sdpa(q, k, v, { isCausal: true, attnMask: ones([3, 5], { dtype: 'bool' }) }),
    ).toThrow(
      new ArgumentError(
        '_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True',
      ),
    );
    expect(() => sdpa(q, k.double(), v)).toThrow(
      new DTypeError(
        'Expected query, key, and value to have the same dtype, but got query.dtype: float key.dtype: double and value.dtype: float instead.',
      ),
    );
    expect(() => sdpa(q, k, v, { attnMask: zeros([3, 5], { dtype: 'float64' }) })).toThrow(
      new DTypeError(
        'Expected attn_mask dtype to be bool or to match query dtype, but got attn_mask.dtype: double and  query.dtype: float instead.',
      ),
    );
    expect(() => sdpa(randn([4]), k, v)).toThrow(
      new ShapeError(
        'Expected query, key, and value to all be  at least 2 dimensional, but got query.dim: 1 key.dim: 2 and value.dim: 2 instead.',
      ),
    );
    const i = ones([3, 4], { dtype: 'int32' });
    expect(() => sdpa(i, i, i)).toThrow(
      new DTypeError('expected m1 and m2 to have the same dtype, but got: float != long int'),
    );
    expect(() => sdpa(q, k, randn([4, 2]))).toThrow(
      'mat1 and mat2 shapes cannot be multiplied (3x5 and 4x2)',
    );
    expect(() => sdpa(q, k, v, { attnMask: ones([3, 4]) })).toThrow(ShapeError);
    expect(() => sdpa(q, k, v, { is_causal: true } as never)).toThrow(
      "nn.functional.scaledDotProductAttention(): unknown option 'is_causal'; did you mean 'isCausal'?",
    );
    expect(() => sdpa(q, k, v, { dropoutP: '0.1' } as never)).toThrow(OptionError);
  });
});

describe('repeatInterleave outputSize', () => {
  const x = randn([3, 2]);

  it('gives the same result when it matches, in every form', () => {
    const r = ints([1, 0, 3]);
    expect(nb.repeatInterleave(x, r, 0, { outputSize: 4 }).tolist()).toEqual(
      nb.repeatInterleave(x, r, 0).tolist(),
    );
    expect(x.repeatInterleave(2, { outputSize: 12 }).tolist()).toEqual(
      x.repeatInterleave(2).tolist(),
    );
    expect(nb.repeatInterleave(ints([2, 0, 3]), { outputSize: 5 }).tolist()).toEqual([
      0, 0, 2, 2, 2,
    ]);
  });

  it('is refused when it does not match, in PyTorch words', () => {
    const mismatch = new ShapeError('allocated size does not match required size');
    expect(() => nb.repeatInterleave(x, ints([1, 0, 3]), 0, { outputSize: 5 })).toThrow(mismatch);
    expect(() => x.repeatInterleave(ints([1, 0, 3]), 0, { outputSize: 3 })).toThrow(mismatch);
    expect(() => x.repeatInterleave(2, 0, { outputSize: 5 })).toThrow(mismatch);
    expect(() => nb.repeatInterleave(ints([2, 0, 3]), { outputSize: 4 })).toThrow(mismatch);
    expect(() => x.repeatInterleave(2, 0, { outputSize: -1 })).toThrow(
      new ShapeError('Trying to create tensor with negative dimension -1: [-1]'),
    );
    expect(() => x.repeatInterleave(2, 0, { outputSize: 2.5 })).toThrow(
      new OptionError("repeatInterleave(): option 'outputSize' must be an integer, got number 2.5"),
    );
    expect(() => x.repeatInterleave(2, 0, { output_size: 6 } as never)).toThrow(
      "repeatInterleave(): unknown option 'output_size'; did you mean 'outputSize'?",
    );
    expect(() => x.repeatInterleave(2, { outputSize: 12 }, {} as never)).toThrow(OptionError);
  });
});

describe('dtype option', () => {
  it('casts the input first', () => {
    const i = ints([1, 2, 3]);
    const c = i.cumsum(0, { dtype: 'float64' });
    expect([c.dtype, c.tolist()]).toEqual(['float64', [1, 3, 6]]);
    expect(nb.cumprod(tensor([1.5, -2.5, 2]), 0, { dtype: 'int32' }).tolist()).toEqual([1, -2, -4]);
    expect(nb.softmax(i, 0, { dtype: 'float64' }).dtype).toBe('float64');
    expect(tensor([1, 2]).logSoftmax(0, { dtype: 'float64' }).dtype).toBe('float64');
    expect(F.softmin(i, 0, { dtype: 'float64' }).dtype).toBe('float64');
  });

  it("takes dim as PyTorch's keyword too", () => {
    const x = randn([2, 3]);
    const pairs: [nb.Tensor, nb.Tensor][] = [
      [nb.cumsum(x, { dim: 1, dtype: 'float64' }), x.cumsum(1, { dtype: 'float64' })],
      [x.cumprod({ dim: 0 }), x.cumprod(0)],
      [x.softmax({ dim: 1, dtype: 'float64' }), nb.softmax(x, 1, { dtype: 'float64' })],
      [F.logSoftmax(x, { dim: 0 }), x.logSoftmax(0)],
      [F.softmin(x, { dim: 1, dtype: 'float64' }), F.softmin(x, 1, { dtype: 'float64' })],
    ];
    for (const [a, b] of pairs) expect([a.dtype, a.tolist()]).toEqual([b.dtype, b.tolist()]);
    expect(() => x.softmax(1, { dim: 0 })).toThrow(
      new OptionError("softmax() got multiple values for argument 'dim'"),
    );
    expect(() => x.cumsum({ dim: 0 }, {})).toThrow(OptionError);
    expect(() => F.softmin(x, { dtype: 'float64' })).toThrow(
      "nn.functional.softmin(): missing option 'dim'",
    );
    expect(() => x.cumprod({ dtype: 'float64' })).toThrow("cumprod(): missing option 'dim'");
  });

  it('refuses what PyTorch refuses, in its words', () => {
    const b = tensor([true, false]);
    expect(() => nb.cumsum(b, 0, { dtype: 'bool' })).toThrow(
      new DTypeError(`"cumsum_out_cpu" not implemented for 'Bool'`),
    );
    expect(() => b.cumprod(0, { dtype: 'bool' })).toThrow(
      new DTypeError(`"cumprod_out_cpu" not implemented for 'Bool'`),
    );
    const x = randn([2, 3]);
    expect(() => x.softmax(1, { dtype: 'int32' })).toThrow(
      new DTypeError(`"softmax_lastdim_kernel_impl" not implemented for 'Int'`),
    );
    expect(() => x.logSoftmax(-1, { dtype: 'int32' })).toThrow(
      new DTypeError(`"log_softmax_lastdim_kernel_impl" not implemented for 'Int'`),
    );
    expect(() => F.logSoftmax(x, 0, { dtype: 'int32' })).toThrow(
      new DTypeError(`"softmax_kernel_impl" not implemented for 'Int'`),
    );
    expect(() => F.softmin(b, 0, { dtype: 'float32' })).toThrow(DTypeError);
    expect(() => x.cumsum(0, { type: 'float64' } as never)).toThrow(
      "cumsum(): unknown option 'type'; did you mean 'dtype'?",
    );
    expect(() => F.softmin(x, 0, { type: 'float64' } as never)).toThrow(OptionError);
    expect(() => x.softmax(0, { dtype: 'float16' } as never)).toThrow(
      "softmax(): option 'dtype' must be one of",
    );
  });
});

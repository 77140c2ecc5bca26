// safetensors: round trips of every dtype, F16/BF16 rounding against PyTorch, integers, lazy reads and the writer's checks.
import { describe, expect, it } from 'vitest';
import {
  bfloat16BitsToFloat,
  deserialize,
  floatToBFloat16Bits,
  floatToHalfBits,
  halfBitsToFloat,
  parseHeader,
  SafetensorsReader,
  serialize,
  type SafetensorsDType,
} from '../../src/io/safetensors.js';
import { tensor, zeros, type Tensor } from '../../src/index.js';
import { codeOf, file, fixture, u16, values } from './helpers.js';

describe('safetensors round trips', () => {
  it('writes and reads every dtype, 0-d and empty tensors, and metadata', () => {
    const tensors = {
      f32: tensor([
        [1.5, -2],
        [3, 4],
      ]),
      f64: tensor([1e300, -5e-324, 0.1], { dtype: 'float64' }),
      i32: tensor([0, -1, 2147483647, -2147483648], { dtype: 'int32' }),
      i64: tensor([0, -1, 2147483647, -2147483648, 7], { dtype: 'int32' }),
      u8: tensor([0, 1, 200, 255], { dtype: 'int32' }),
      bool: tensor([true, false, true]),
      f16: tensor([1, -2.5, 65504, 2 ** -24, 0.1]),
      bf16: tensor([1, -2.5, 3e38, 1e-40, 0.1], { dtype: 'float64' }),
      scalar: tensor(7, { dtype: 'float32' }),
      empty: zeros([0, 3]),
      empty_i: zeros([2, 0], { dtype: 'int32' }),
    };
    const dtypes: Record<string, SafetensorsDType> = {
      i32: 'I32',
      u8: 'U8',
      f16: 'F16',
      bf16: 'BF16',
    };
    const bytes = serialize(tensors, { metadata: { a: 'b', empty: '' }, dtypes });
    expect(bytes.length % 8).toBe(parseHeader(bytes).dataLength % 8);
    const h = parseHeader(bytes);
    expect((h.headerLength + 8) % 8).toBe(0);
    expect(Object.fromEntries([...h.tensors].map(([k, v]) => [k, v.dtype]))).toEqual({
      f32: 'F32',
      f64: 'F64',
      i32: 'I32',
      i64: 'I64',
      u8: 'U8',
      bool: 'BOOL',
      f16: 'F16',
      bf16: 'BF16',
      scalar: 'F32',
      empty: 'F32',
      empty_i: 'I64',
    });
    const { tensors: back, metadata } = deserialize(bytes);
    expect({ ...metadata }).toEqual({ a: 'b', empty: '' });
    expect(back.f32!.dtype).toBe('float32');
    expect(back.f32!.tolist()).toEqual([
      [1.5, -2],
      [3, 4],
    ]);
    expect(back.f64!.dtype).toBe('float64');
    expect(back.f64!.tolist()).toEqual([1e300, -5e-324, 0.1]);
    for (const k of ['i32', 'i64', 'u8'] as const) {
      expect(back[k]!.dtype).toBe('int32');
      expect(back[k]!.tolist()).toEqual(tensors[k].tolist());
    }
    expect(back.bool!.tolist()).toEqual([true, false, true]);
    expect(back.f16!.tolist()).toEqual([1, -2.5, 65504, 2 ** -24, halfBitsToFloat(0x2e66)]);
    expect(back.bf16!.dtype).toBe('float32');
    expect(values(back.bf16!)).toEqual(
      [1, -2.5, 3e38, 1e-40, 0.1].map((v) => bfloat16BitsToFloat(floatToBFloat16Bits(v))),
    );
    expect(back.scalar!.shape).toEqual([]);
    expect(back.scalar!.item()).toBe(7);
    expect(back.empty!.shape).toEqual([0, 3]);
    expect(back.empty_i!.shape).toEqual([2, 0]);
    expect(back.empty_i!.dtype).toBe('int32');
  });

  it('lays the file out as the reference writer does (dtype alignment, then name; space padding)', () => {
    const bytes = serialize({
      b: tensor([1]),
      a: tensor([true]),
      c: tensor([1], { dtype: 'float64' }),
      A: tensor([1]),
      n: tensor([3], { dtype: 'int32' }),
    });
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    const text = new TextDecoder().decode(bytes.subarray(8, 8 + n));
    expect(text).toBe(
      '{"n":{"dtype":"I64","shape":[1],"data_offsets":[0,8]},"c":{"dtype":"F64","shape":[1],"data_offsets":[8,16]},' +
        '"A":{"dtype":"F32","shape":[1],"data_offsets":[16,20]},"b":{"dtype":"F32","shape":[1],"data_offsets":[20,24]},' +
        '"a":{"dtype":"BOOL","shape":[1],"data_offsets":[24,25]}}' +
        ' '.repeat(n - text.trimEnd().length),
    );
    expect(n % 8).toBe(0);
  });

  it('reads strided and non-contiguous tensors as their values', () => {
    const t = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]).t();
    const back = deserialize(serialize({ t })).tensors.t!;
    expect(back.tolist()).toEqual([
      [1, 4],
      [2, 5],
      [3, 6],
    ]);
  });

  it('re-writes PyTorch-written files byte for byte', () => {
    for (const name of ['mlp', 'cnn', 'lstm', 'mlp_io', 'cnn_io', 'dtypes']) {
      const bytes = fixture(`${name}.safetensors`);
      const reader = new SafetensorsReader(bytes);
      const { tensors, metadata } = deserialize(bytes);
      const out = serialize(tensors, {
        ...(metadata ? { metadata } : {}),
        dtypes: (n) => reader.info(n).dtype,
      });
      expect(Buffer.from(out).equals(Buffer.from(bytes)), name).toBe(true);
    }
  });
});

describe('F16 and BF16', () => {
  it('round to nearest even exactly as PyTorch does (bits written by PyTorch)', () => {
    const r = new SafetensorsReader(fixture('dtypes.safetensors'));
    const x = r.getTensor('x');
    const want16 = u16(r.raw('x_f16'));
    const wantB = u16(r.raw('x_bf16'));
    const xs = Array.from(x.dataSync());
    expect(xs.length).toBeGreaterThan(200);
    xs.forEach((v, i) => {
      expect(floatToHalfBits(v), `F16 of ${v}`).toBe(want16[i]);
      expect(floatToBFloat16Bits(v), `BF16 of ${v}`).toBe(wantB[i]);
    });
    // Decoding: PyTorch's half and bfloat16 values, widened exactly.
    expect(values(r.getTensor('x_f16'))).toEqual(Array.from(want16, halfBitsToFloat));
    expect(values(r.getTensor('x_bf16'))).toEqual(Array.from(wantB, bfloat16BitsToFloat));
    // Writing a float32 tensor as F16/BF16 gives PyTorch's bytes.
    const out = new SafetensorsReader(
      serialize({ h: x, b: x }, { dtypes: { h: 'F16', b: 'BF16' } }),
    );
    expect(values(out.getTensor('h'))).toEqual(values(r.getTensor('x_f16')));
    expect(values(out.getTensor('b'))).toEqual(values(r.getTensor('x_bf16')));
  });

  it('handles ties, subnormals, overflow, signed zero and NaN', () => {
    expect(floatToHalfBits(1 + 2 ** -11)).toBe(0x3c00); // tie, to even
    expect(floatToHalfBits(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie, to even (up)
    expect(floatToHalfBits(2 ** -25)).toBe(0); // tie with the smallest subnormal
    expect(floatToHalfBits(3 * 2 ** -26)).toBe(1);
    expect(floatToHalfBits(2 ** -14 - 2 ** -25)).toBe(0x0400); // rounds up into the normals
    expect(floatToHalfBits(65519)).toBe(0x7bff);
    expect(floatToHalfBits(65520)).toBe(0x7c00);
    expect(floatToHalfBits(-0)).toBe(0x8000);
    expect(floatToHalfBits(-Infinity)).toBe(0xfc00);
    expect(floatToHalfBits(NaN) & 0x7fff).toBe(0x7e00);
    // Directly from the double, without rounding through float32 first.
    expect(floatToHalfBits(1 + 2 ** -11 + 2 ** -40)).toBe(0x3c01);
    expect(floatToBFloat16Bits(1 + 2 ** -8)).toBe(0x3f80);
    expect(floatToBFloat16Bits(1 + 3 * 2 ** -8)).toBe(0x3f82);
    expect(floatToBFloat16Bits(3.4e38)).toBe(0x7f80);
    expect(floatToBFloat16Bits(NaN)).toBe(0x7fc0);
    expect(floatToBFloat16Bits(2 ** -133)).toBe(1);
    expect(halfBitsToFloat(0x0001)).toBe(2 ** -24);
    expect(halfBitsToFloat(0x7bff)).toBe(65504);
    expect(Number.isNaN(halfBitsToFloat(0x7e00))).toBe(true);
    // The bitwise float32 path of the writer agrees with the reference conversions.
    const bits = new Uint32Array(1 << 16);
    for (let i = 0, z = 12345; i < bits.length; i++)
      bits[i] = z = (Math.imul(z, 1664525) + 1013904223) >>> 0;
    bits.set([0x477fefff, 0x477ff000, 0x387fffff, 0x38800000, 0x33000000, 0x33000001, 0x7f7fffff]);
    const x = tensor(new Float32Array(bits.buffer));
    const r = new SafetensorsReader(serialize({ h: x, b: x }, { dtypes: { h: 'F16', b: 'BF16' } }));
    const [h16, b16] = [u16(r.raw('h')), u16(r.raw('b'))];
    const xs = new Float32Array(bits.buffer);
    let bad = 0;
    for (let i = 0; i < xs.length; i++) {
      if (Number.isNaN(xs[i]!)) continue;
      if (h16[i] !== floatToHalfBits(xs[i]!) || b16[i] !== floatToBFloat16Bits(xs[i]!)) bad++;
    }
    expect(bad).toBe(0);
    // Every half survives decode → encode.
    let lost = 0;
    for (let h = 0; h < 0x10000; h++) {
      const v = halfBitsToFloat(h);
      if (!Number.isNaN(v) && floatToHalfBits(v) !== h) lost++;
    }
    expect(lost).toBe(0);
  });
});

describe('integers', () => {
  it('reads I64 into int32 and refuses values that do not fit, loading nothing', () => {
    const r = new SafetensorsReader(fixture('dtypes.safetensors'));
    expect(r.getTensor('i64').tolist()).toEqual([0, -1, 2147483647, -2147483648, 42]);
    expect(r.getTensor('u8').tolist()).toEqual([0, 1, 128, 255]);
    const bad = fixture('i64_out_of_range.safetensors');
    expect(codeOf(() => deserialize(bad))).toBe('value_out_of_range');
    expect(() => deserialize(bad)).toThrow(/2147483648 at index 0 does not fit in int32/);
    for (const v of [-(2n ** 31n) - 1n, 2n ** 40n, -(2n ** 63n)]) {
      const d = new Uint8Array(8);
      new DataView(d.buffer).setBigInt64(0, v, true);
      const f = file({ a: { dtype: 'I64', shape: [], data_offsets: [0, 8] } }, d);
      expect(codeOf(() => deserialize(f))).toBe('value_out_of_range');
    }
  });

  it('writes int32 as I64 by default, sign-extended, and checks U8 ranges', () => {
    const bytes = serialize({ a: tensor([-2, 3], { dtype: 'int32' }) });
    const h = parseHeader(bytes);
    const data = new DataView(bytes.buffer, h.dataStart);
    expect(data.getBigInt64(0, true)).toBe(-2n);
    expect(data.getBigInt64(8, true)).toBe(3n);
    const neg = { a: tensor([-1], { dtype: 'int32' }) };
    expect(codeOf(() => serialize(neg, { dtypes: { a: 'U8' } }))).toBe('value_out_of_range');
  });

  it('reads BOOL bytes other than 0 and 1 as true', () => {
    const f = file(
      { b: { dtype: 'BOOL', shape: [3], data_offsets: [0, 3] } },
      Uint8Array.of(0, 2, 255),
    );
    expect(deserialize(f).tensors.b!.tolist()).toEqual([false, true, true]);
  });
});

describe('lazy reads and the writer', () => {
  it('validates up front, then decodes one tensor at a time', () => {
    const bytes = fixture('cnn.safetensors');
    const r = new SafetensorsReader(
      bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length),
    );
    expect(r.keys()).toContain('1.num_batches_tracked');
    expect(r.info('0.weight')).toEqual({
      dtype: 'F32',
      shape: [8, 3, 3, 3],
      dataOffsets: expect.any(Array),
    });
    expect(r.info('1.num_batches_tracked').dtype).toBe('I64');
    const nbt = r.getTensor('1.num_batches_tracked');
    expect(nbt.dtype).toBe('int32');
    expect(nbt.item()).toBe(3);
    expect(r.metadata()).toEqual(expect.objectContaining({ arch: 'cnn' }));
    expect(codeOf(() => r.getTensor('nope'))).toBe('tensor_not_found');
    expect(codeOf(() => r.getTensor('__proto__'))).toBe('tensor_not_found');
  });

  it('refuses what it cannot write', () => {
    const t = tensor([1.5]);
    expect(codeOf(() => serialize({ __metadata__: t }))).toBe('invalid_argument');
    expect(codeOf(() => serialize({ a: [1] as unknown as Tensor }))).toBe('invalid_argument');
    expect(codeOf(() => serialize({ '\ud800': t }))).toBe('invalid_argument');
    expect(codeOf(() => serialize({ a: t }, { dtypes: { a: 'I64' } }))).toBe('invalid_argument');
    expect(codeOf(() => serialize({ a: t }, { dtypes: { a: 'X' as SafetensorsDType } }))).toBe(
      'invalid_argument',
    );
    const i = tensor([1], { dtype: 'int32' });
    expect(codeOf(() => serialize({ i }, { dtypes: { i: 'BOOL' } }))).toBe('invalid_argument');
    const meta = { a: 1 } as unknown as Record<string, string>;
    expect(codeOf(() => serialize({ a: t }, { metadata: meta }))).toBe('invalid_argument');
    const d = tensor([1]);
    d.dispose();
    expect(() => serialize({ d })).toThrow();
  });

  it('writes NaN and signed zero faithfully', () => {
    const x = tensor([NaN, -0, Infinity, -Infinity]);
    const back = deserialize(serialize({ x, h: x, b: x }, { dtypes: { h: 'F16', b: 'BF16' } }));
    for (const k of ['x', 'h', 'b']) {
      const v = values(back.tensors[k]!);
      expect(Number.isNaN(v[0])).toBe(true);
      expect(Object.is(v[1], -0)).toBe(true);
      expect(v.slice(2)).toEqual([Infinity, -Infinity]);
    }
  });
});

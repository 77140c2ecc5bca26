// safetensors: every malformed-file case with its typed error code, and prototype-pollution safety.
import { describe, expect, it } from 'vitest';
import { SafetensorsError } from '../../src/errors.js';
import {
  deserialize,
  parseHeader,
  SafetensorsReader,
  serialize,
  type SafetensorsDType,
} from '../../src/io/safetensors.js';
import { tensor } from '../../src/index.js';
import { codeOf, f32, file, fixture } from './helpers.js';

describe('malformed files get typed errors', () => {
  const ok = { a: f32([2], 0, 8) };
  const cases: [string, () => Uint8Array | ArrayBuffer, string][] = [
    ['empty file', () => new Uint8Array(0), 'too_short'],
    ['7 bytes', () => new Uint8Array(7), 'too_short'],
    ['header over 100 MB', () => file('{}', 0, { length: 100_000_001n }), 'header_too_large'],
    ['header length ≥ 2^32', () => file('{}', 0, { length: 2n ** 32n + 2n }), 'header_too_large'],
    ['header length 2^64 - 1', () => file('{}', 0, { length: 2n ** 64n - 1n }), 'header_too_large'],
    [
      'header past the end',
      () => file('{}', 0, { length: 3n }).subarray(0, 10),
      'header_out_of_bounds',
    ],
    [
      'header past the end (big)',
      () => file('{}', 0, { length: 99_999_999n }),
      'header_out_of_bounds',
    ],
    [
      'invalid UTF-8',
      () => file('{"\xff":1}'.replace('\xff', '\u00ff')).map((b, i) => (i === 10 ? 0xff : b)),
      'header_not_utf8',
    ],
    [
      'overlong UTF-8',
      () => {
        const f = file('{"ab":1}');
        f[10] = 0xc0;
        f[11] = 0xaf;
        return f;
      },
      'header_not_utf8',
    ],
    [
      'UTF-8 surrogate',
      () => {
        const f = file('{"abc":1}');
        f.set([0xed, 0xa0, 0x80], 10);
        return f;
      },
      'header_not_utf8',
    ],
    ['invalid JSON', () => file('{"a":'), 'invalid_json'],
    ['single quotes', () => file("{'a':1}"), 'invalid_json'],
    ['trailing comma', () => file('{"a":1,}'), 'invalid_json'],
    ['nested 129 deep', () => file(`{"a":${'['.repeat(128)}${']'.repeat(128)}}`), 'invalid_json'],
    [
      'nested 10^6 deep',
      () => file(`{"a":${'{"b":'.repeat(1e6)}1${'}'.repeat(1e6)}}`),
      'invalid_json',
    ],
    ['NUL padding', () => file(ok, 8, { pad: '\0\0\0' }), 'invalid_padding'],
    ['NUL then spaces', () => file(ok, 8, { pad: '\0  ' }), 'invalid_padding'],
    ['junk after the JSON', () => file(ok, 8, { pad: ' x' }), 'invalid_json'],
    ['leading space', () => file(' {}'), 'invalid_header'],
    ['byte-order mark', () => file('\ufeff{}'), 'invalid_header'],
    ['empty header', () => file(''), 'invalid_header'],
    ['header is an array', () => file('[]'), 'invalid_header'],
    ['entry not an object', () => file({ a: [1] }), 'invalid_header'],
    ['entry is null', () => file({ a: null }), 'invalid_header'],
    ['dtype missing', () => file({ a: { shape: [], data_offsets: [0, 4] } }, 4), 'invalid_header'],
    [
      'dtype inherited',
      () => file('{"a":{"__proto__":{"dtype":"F32"},"shape":[],"data_offsets":[0,4]}}', 4),
      'invalid_header',
    ],
    [
      'duplicate tensor',
      () =>
        file(
          '{"a":{"dtype":"F32","shape":[],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[],"data_offsets":[4,8]}}',
          8,
        ),
      'duplicate_key',
    ],
    [
      'duplicate via escape',
      () =>
        file(
          '{"a":{"dtype":"F32","shape":[],"data_offsets":[0,4]},"\\u0061":{"dtype":"F32","shape":[],"data_offsets":[4,8]}}',
          8,
        ),
      'duplicate_key',
    ],
    [
      'duplicate __proto__',
      () =>
        file(
          '{"__proto__":{"dtype":"F32","shape":[],"data_offsets":[0,4]},"__proto__":{"dtype":"F32","shape":[],"data_offsets":[4,8]}}',
          8,
        ),
      'duplicate_key',
    ],
    ['duplicate metadata', () => file('{"__metadata__":{},"__metadata__":{}}'), 'duplicate_key'],
    [
      'duplicate field',
      () => file('{"a":{"dtype":"F64","dtype":"F32","shape":[],"data_offsets":[0,4]}}', 4),
      'duplicate_key',
    ],
    ['duplicate metadata key', () => file('{"__metadata__":{"k":"1","k":"2"}}'), 'duplicate_key'],
    ['metadata number', () => file({ __metadata__: { a: 1 } }), 'invalid_metadata'],
    ['metadata nested', () => file({ __metadata__: { a: { b: 'c' } } }), 'invalid_metadata'],
    ['metadata array', () => file({ __metadata__: ['a'] }), 'invalid_metadata'],
    ['metadata null', () => file({ __metadata__: null }), 'invalid_metadata'],
    ['metadata string', () => file({ __metadata__: 'x' }), 'invalid_metadata'],
    ['metadata lone surrogate', () => file('{"__metadata__":{"a":"\\ud800"}}'), 'invalid_metadata'],
    [
      'name lone surrogate',
      () => file('{"\\udc00":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}', 4),
      'invalid_header',
    ],
    [
      'unknown dtype',
      () => file({ a: { ...f32([1], 0, 1), dtype: 'F8_E4M3' } }, 1),
      'unknown_dtype',
    ],
    ['lowercase dtype', () => file({ a: { ...f32([1], 0, 4), dtype: 'f32' } }, 4), 'unknown_dtype'],
    [
      'dtype "constructor"',
      () => file({ a: { ...f32([1], 0, 4), dtype: 'constructor' } }, 4),
      'unknown_dtype',
    ],
    [
      'dtype "__proto__"',
      () => file({ a: { ...f32([1], 0, 4), dtype: '__proto__' } }, 4),
      'unknown_dtype',
    ],
    ['negative shape', () => file({ a: f32([-1], 0, 0) }), 'invalid_shape'],
    ['fractional shape', () => file({ a: f32([1.5], 0, 6) }, 6), 'invalid_shape'],
    [
      'shape written 1.0',
      () => file('{"a":{"dtype":"F32","shape":[1.0],"data_offsets":[0,4]}}', 4),
      'invalid_shape',
    ],
    [
      'shape written 1e0',
      () => file('{"a":{"dtype":"F32","shape":[1e0],"data_offsets":[0,4]}}', 4),
      'invalid_shape',
    ],
    [
      'shape written -0',
      () => file('{"a":{"dtype":"F32","shape":[-0],"data_offsets":[0,0]}}'),
      'invalid_shape',
    ],
    ['shape 2^53', () => file({ a: f32([2 ** 53], 0, 0) }), 'invalid_shape'],
    ['shape as string', () => file({ a: { ...f32([], 0, 4), shape: '1' } }, 4), 'invalid_shape'],
    [
      'shape entry null',
      () => file({ a: { ...f32([], 0, 4), shape: [null] } }, 4),
      'invalid_shape',
    ],
    [
      'shape missing',
      () => file({ a: { dtype: 'F32', data_offsets: [0, 4] } }, 4),
      'invalid_shape',
    ],
    ['negative offset', () => file({ a: f32([0], -1, -1) }), 'invalid_offsets'],
    ['fractional offset', () => file({ a: f32([1], 0.5, 4.5) }, 5), 'invalid_offsets'],
    [
      'offset written 4.0',
      () => file('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4.0]}}', 4),
      'invalid_offsets',
    ],
    ['offset 2^53', () => file({ a: f32([1], 2 ** 53, 2 ** 53 + 4) }, 4), 'invalid_offsets'],
    [
      'one offset',
      () => file({ a: { ...f32([], 0, 4), data_offsets: [4] } }, 4),
      'invalid_offsets',
    ],
    [
      'three offsets',
      () => file({ a: { ...f32([], 0, 4), data_offsets: [0, 4, 8] } }, 4),
      'invalid_offsets',
    ],
    ['end before begin', () => file({ a: f32([0], 4, 0) }, 4), 'invalid_offsets'],
    ['offsets missing', () => file({ a: { dtype: 'F32', shape: [1] } }, 4), 'invalid_offsets'],
    [
      'element count overflow',
      () => file({ a: f32([2 ** 30, 2 ** 30, 2 ** 30, 0], 0, 0) }),
      'size_overflow',
    ],
    [
      'byte count overflow',
      () => file({ a: { dtype: 'F64', shape: [2 ** 51], data_offsets: [0, 0] } }),
      'size_overflow',
    ],
    ['too few bytes', () => file({ a: f32([2], 0, 4) }, 4), 'size_mismatch'],
    ['too many bytes', () => file({ a: f32([], 0, 8) }, 8), 'size_mismatch'],
    ['does not start at 0', () => file({ a: f32([1], 4, 8) }, 8), 'offsets_not_zero'],
    ['overlap', () => file({ a: f32([2], 0, 8), b: f32([2], 4, 12) }, 12), 'offsets_overlap'],
    [
      'same range twice',
      () => file({ a: f32([2], 0, 8), b: f32([2], 0, 8) }, 8),
      'offsets_overlap',
    ],
    [
      'empty tensor inside another',
      () => file({ a: f32([2], 0, 8), b: f32([0], 4, 4) }, 8),
      'offsets_overlap',
    ],
    ['gap', () => file({ a: f32([1], 0, 4), b: f32([1], 8, 12) }, 12), 'offsets_gap'],
    ['data truncated', () => file({ a: f32([4], 0, 16) }, 12), 'offsets_out_of_bounds'],
    [
      'offsets past the file',
      () => file({ a: f32([1], 0, 4), b: f32([1], 4, 8) }, 4),
      'offsets_out_of_bounds',
    ],
    ['trailing bytes (polyglot)', () => file(ok, 8 + 22), 'trailing_bytes'],
    ['data but no tensors', () => file({}, 1), 'trailing_bytes'],
  ];
  for (const [name, make, code] of cases) {
    it(`${name} → ${code}`, () => {
      const bytes = make();
      expect(codeOf(() => deserialize(bytes))).toBe(code);
      expect(codeOf(() => new SafetensorsReader(bytes))).toBe(code);
    });
  }

  it('accepts the smallest valid files', () => {
    expect(Object.keys(deserialize(file('{}')).tensors)).toEqual([]);
    expect(deserialize(file('{}', 0, { pad: '      ' })).metadata).toBe(null);
    expect(deserialize(file({ a: f32([0], 0, 0) })).tensors.a!.shape).toEqual([0]);
    // JSON whitespace other than spaces is accepted after the object, as the reference reader does.
    expect(Object.keys(deserialize(file('{}', 0, { pad: '\n\t\r ' })).tensors)).toEqual([]);
    // Unknown fields in an entry are ignored, as the reference reader does.
    const extra = file({ a: { ...f32([1], 0, 4), extra: [1.5] } }, 4);
    expect(deserialize(extra).tensors.a!.shape).toEqual([1]);
  });

  it('reports what is wrong in the message', () => {
    expect(() => deserialize(file({ a: f32([2], 0, 4) }, 4))).toThrow(
      'tensor "a": 4 bytes for shape [2] of F32, which needs 8',
    );
    expect(() => deserialize(file('{}', 0, { length: 2n ** 40n }))).toThrow(
      'header length 1099511627776 exceeds the limit of 100000000 bytes',
    );
    const err = (() => {
      try {
        deserialize(new Uint8Array(3));
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(err).toBeInstanceOf(SafetensorsError);
    expect((err as SafetensorsError).name).toBe('SafetensorsError');
  });
});

describe('prototype safety', () => {
  const names = [
    '__proto__',
    'constructor',
    'prototype',
    'hasOwnProperty',
    'toString',
    '__defineGetter__',
  ];

  it('round-trips names like __proto__ and constructor as ordinary tensors', () => {
    const input = new Map(names.map((n, i) => [n, tensor([i])] as const));
    const meta = JSON.parse('{"__proto__":"x","constructor":"y"}') as Record<string, string>;
    const bytes = serialize(input, { metadata: meta });
    const { tensors, metadata } = deserialize(bytes);
    expect(Object.getPrototypeOf(tensors)).toBe(null);
    expect(Object.getPrototypeOf(metadata)).toBe(null);
    expect(Object.keys(tensors).sort()).toEqual([...names].sort());
    names.forEach((n, i) => expect(tensors[n]!.tolist()).toEqual([i]));
    expect(Object.keys(metadata!).sort()).toEqual(['__proto__', 'constructor']);
    expect(metadata!['__proto__']).toBe('x');
    expect(Object.getPrototypeOf({})).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).dtype).toBeUndefined();
    expect(typeof Object.prototype.toString).toBe('function');
  });

  it('reads the PyTorch fixture with such names', () => {
    const { tensors, metadata } = deserialize(fixture('dtypes.safetensors'));
    expect(tensors['__proto__']!.tolist()).toEqual([1]);
    expect(tensors['constructor']!.tolist()).toEqual([2]);
    expect(tensors['ünïcödé.名前']!.tolist()).toEqual([3]);
    expect(metadata!['__proto__']).toBe('meta');
    expect(Object.getPrototypeOf(tensors)).toBe(null);
  });

  it('never consults the prototype for dtypes or fields', () => {
    const proto = Object.prototype as unknown as Record<string, unknown>;
    proto.dtype = 'F32';
    proto.shape = [1];
    proto.data_offsets = [0, 4];
    try {
      expect(codeOf(() => deserialize(file({ a: {} }, 4)))).toBe('invalid_header');
    } finally {
      delete proto.dtype;
      delete proto.shape;
      delete proto.data_offsets;
    }
  });

  it('writes dtypes only for own names', () => {
    const dtypes = {} as Record<string, SafetensorsDType>;
    const h = parseHeader(serialize({ toString: tensor([1]) }, { dtypes }));
    expect(h.tensors.get('toString')!.dtype).toBe('F32');
  });
});

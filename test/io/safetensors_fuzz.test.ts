// Property-based fuzzing of the safetensors loader: random bytes and mutated valid files either parse consistently or throw SafetensorsError.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { SafetensorsError } from '../../src/errors.js';
import {
  deserialize,
  parseHeader,
  serialize,
  type Safetensors,
  type SafetensorsDType,
} from '../../src/io/safetensors.js';
import { tensor, type DType, type Tensor } from '../../src/index.js';
import { load } from '../../src/node/io.js';

// A fixed seed keeps CI reproducible; set NABLA_FUZZ_SEED to explore other corners.
const seed = Number(process.env.NABLA_FUZZ_SEED ?? 20240611);
const runs = (n: number) => ({ numRuns: n, seed, endOnFailure: true });

const READS: Record<SafetensorsDType, DType> = {
  F64: 'float64',
  F32: 'float32',
  F16: 'float32',
  BF16: 'float32',
  I64: 'int32',
  I32: 'int32',
  U8: 'int32',
  BOOL: 'bool',
};

const wellFormed = (s: string) =>
  !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);

const nameArb = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'toString', 'a', 'a.b', '', 'ü名', '"\\\n', '1'),
  fc.string({ maxLength: 6 }),
  fc.string({ unit: 'binary', maxLength: 4 }).filter(wellFormed),
);

interface Spec {
  readonly dtype: DType;
  readonly target: SafetensorsDType;
  readonly shape: number[];
  readonly pool: number[];
}

const TARGETS: Record<DType, SafetensorsDType[]> = {
  float32: ['F32', 'F64', 'F16', 'BF16'],
  float64: ['F64', 'F32', 'F16', 'BF16'],
  int32: ['I64', 'I32'],
  bool: ['BOOL', 'U8', 'I32', 'I64', 'F32'],
};

const specArb: fc.Arbitrary<Spec> = fc
  .constantFrom<DType>('float32', 'float64', 'int32', 'bool')
  .chain((dtype) =>
    fc.record({
      dtype: fc.constant(dtype),
      target: fc.constantFrom(...TARGETS[dtype]),
      shape: fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 }),
      pool: fc.array(fc.oneof(fc.double(), fc.integer({ min: -1e6, max: 1e6 })), {
        minLength: 27,
        maxLength: 27,
      }),
    }),
  );

function makeTensor(s: Spec): Tensor {
  const n = s.shape.reduce((a, b) => a * b, 1);
  const vals = s.pool.slice(0, n);
  if (s.dtype === 'bool')
    return tensor(
      vals.map((v) => v > 0),
      { dtype: 'bool' },
    ).reshape(s.shape);
  const arr =
    s.dtype === 'int32'
      ? Int32Array.from(vals, (v) => (Number.isFinite(v) ? v | 0 : 0))
      : s.dtype === 'float32'
        ? Float32Array.from(vals)
        : Float64Array.from(vals);
  return tensor(arr).reshape(s.shape);
}

const metaArb = fc.option(
  fc.uniqueArray(fc.tuple(nameArb, fc.string({ maxLength: 8 })), {
    selector: (e) => e[0],
    maxLength: 3,
  }),
);

/** A valid file built by nabla's writer, with its tensors and targets. */
const validArb = fc
  .tuple(
    fc.uniqueArray(fc.tuple(nameArb, specArb), {
      selector: (e) => e[0],
      maxLength: 4,
    }),
    metaArb,
  )
  .map(([entries, meta]) => {
    const items = entries.filter(([n]) => n !== '__metadata__');
    const map = new Map(items.map(([n, s]) => [n, makeTensor(s)] as const));
    const targets = new Map(items.map(([n, s]) => [n, s.target] as const));
    const metadata =
      meta === null ? undefined : (Object.fromEntries(meta) as Record<string, string>);
    const bytes = serialize(map, {
      ...(metadata ? { metadata } : {}),
      dtypes: (n) => targets.get(n),
    });
    return bytes;
  });

const enc = new TextEncoder();
const dec = new TextDecoder();

/** The header text and data of a (possibly already mutated) file; a short prefix clamps to the file. */
function split(bytes: Uint8Array): { n: number; text: string; data: Uint8Array } {
  if (bytes.length < 8) return { n: 0, text: '', data: new Uint8Array(0) };
  const declared = new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true);
  const n = Number(declared > BigInt(bytes.length - 8) ? BigInt(bytes.length - 8) : declared);
  return { n, text: dec.decode(bytes.subarray(8, 8 + n)), data: bytes.subarray(8 + n) };
}

function rebuild(text: string, data: Uint8Array, pad: boolean): Uint8Array {
  let h = enc.encode(text);
  if (pad && h.length % 8 !== 0) h = enc.encode(text + ' '.repeat(8 - (h.length % 8)));
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

/** Replaces the k-th match of a pattern in the header text. */
function editNth(text: string, re: RegExp, k: number, f: (m: string) => string): string {
  const matches = [...text.matchAll(re)];
  if (matches.length === 0) return text;
  const m = matches[k % matches.length]!;
  return text.slice(0, m.index) + f(m[0]) + text.slice(m.index + m[0].length);
}

type Mutation = (b: Uint8Array) => Uint8Array;

const NUMBERS = [
  '-1',
  '0',
  '1',
  '1.5',
  '1.0',
  '1e3',
  '-0',
  '9007199254740993',
  '4294967296',
  '99999999999999999999',
  'null',
  '"1"',
  '[]',
];
const DTYPES = [
  'F32',
  'F64',
  'F16',
  'BF16',
  'I64',
  'I32',
  'U8',
  'BOOL',
  'I8',
  'U64',
  'x',
  '',
  '__proto__',
];
const CHARS = [
  '{',
  '}',
  '[',
  ']',
  '"',
  ':',
  ',',
  '0',
  '9',
  '-',
  '.',
  'e',
  ' ',
  '\0',
  '\\',
  '\\u0000',
  'ÿ',
  '\ud800',
  '"__proto__"',
];

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc
    .array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })), { minLength: 1, maxLength: 4 })
    .map((flips) => (b: Uint8Array) => {
      const c = b.slice();
      for (const [p, bit] of flips) if (c.length > 0) c[p % c.length]! ^= 1 << bit;
      return c;
    }),
  fc
    .array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 3 })
    .map((sets) => (b: Uint8Array) => {
      const c = b.slice();
      for (const [p, v] of sets) if (c.length > 0) c[p % c.length] = v;
      return c;
    }),
  fc.nat().map((p) => (b: Uint8Array) => b.slice(0, p % (b.length + 1))),
  fc
    .uint8Array({ minLength: 1, maxLength: 16 })
    .map((extra) => (b: Uint8Array) => Uint8Array.from([...b, ...extra])),
  fc
    .oneof(
      fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
      fc.constantFrom(0n, 1n, 7n, 8n, 100_000_000n, 100_000_001n, 2n ** 32n, 2n ** 63n),
      fc.integer({ min: -9, max: 9 }).map((d) => ({ delta: d })),
    )
    .map((v) => (b: Uint8Array) => {
      const c = b.slice();
      if (c.length < 8) return c;
      const dv = new DataView(c.buffer);
      const n = dv.getBigUint64(0, true);
      const next = typeof v === 'bigint' ? v : n + BigInt(v.delta);
      dv.setBigUint64(0, next < 0n ? 0n : next, true);
      return c;
    }),
  fc
    .tuple(
      fc.nat(),
      fc.constantFrom(...CHARS),
      fc.constantFrom('insert', 'replace', 'delete'),
      fc.boolean(),
    )
    .map(([p, ch, op, pad]) => (b: Uint8Array) => {
      const { text, data } = split(b);
      const i = p % (text.length + 1);
      const next =
        op === 'insert'
          ? text.slice(0, i) + ch + text.slice(i)
          : op === 'replace'
            ? text.slice(0, i) + ch + text.slice(i + 1)
            : text.slice(0, i) + text.slice(i + 1);
      return rebuild(next.trimEnd(), data, pad);
    }),
  fc
    .tuple(
      fc.nat(),
      fc.oneof(fc.constantFrom(...NUMBERS), fc.integer({ min: -9, max: 9 })),
      fc.boolean(),
    )
    .map(([k, v, pad]) => (b: Uint8Array) => {
      const { text, data } = split(b);
      const next = editNth(text, /-?\d+(\.\d+)?([eE][-+]?\d+)?/g, k, (m) =>
        typeof v === 'string' ? v : String(Number(m) + v),
      );
      return rebuild(next.trimEnd(), data, pad);
    }),
  fc
    .tuple(fc.nat(), fc.boolean(), fc.integer({ min: -8, max: 8 }))
    .map(([k, first, d]) => (b: Uint8Array) => {
      // Move one end of one tensor's byte range (gaps, overlaps, a start past 0).
      const { text, data } = split(b);
      const next = editNth(text.trimEnd(), /"data_offsets":\[\d+,\d+\]/g, k, (m) => {
        const [x, y] = m.slice(16, -1).split(',').map(Number) as [number, number];
        const [nx, ny] = first ? [x + d, y + d] : [x, y + d]; // shift the range, or resize it
        return `"data_offsets":[${nx},${ny}]`;
      });
      return rebuild(next, data, true);
    }),
  fc.tuple(fc.nat(), fc.constantFrom(...DTYPES)).map(([k, d]) => (b: Uint8Array) => {
    const { text, data } = split(b);
    return rebuild(
      editNth(text.trimEnd(), /"dtype":"[A-Z0-9]*"/g, k, () => `"dtype":"${d}"`),
      data,
      true,
    );
  }),
  fc.nat().map((k) => (b: Uint8Array) => {
    // Duplicate one entry of the header (a duplicate key JSON.parse would hide).
    const { text, data } = split(b);
    const next = editNth(
      text.trimEnd(),
      /"(?:[^"\\]|\\.)*":\{"dtype[^}]*\}/g,
      k,
      (m) => `${m},${m}`,
    );
    return rebuild(next, data, true);
  }),
);

function sameValues(a: Tensor, b: Tensor): boolean {
  const x = a.dataSync();
  const y = b.dataSync();
  return x.length === y.length && Array.from(x).every((v, i) => Object.is(v, y[i]));
}

/** A parsed file is consistent: it agrees with its header and survives a re-write unchanged. */
function checkConsistent(bytes: Uint8Array, r: Safetensors): void {
  const h = parseHeader(bytes);
  // (Object key order puts integer-like names first, so compare as sets.)
  const names = Object.keys(r.tensors).sort();
  expect(names).toEqual([...h.tensors.keys()].sort());
  let total = 0;
  for (const [name, info] of h.tensors) {
    const t = r.tensors[name]!;
    expect(t.shape).toEqual(info.shape);
    expect(t.dtype).toBe(READS[info.dtype]);
    total += info.dataOffsets[1] - info.dataOffsets[0];
  }
  expect(total).toBe(h.dataLength);
  expect(8 + h.headerLength + h.dataLength).toBe(bytes.length);
  const again = deserialize(
    serialize(r.tensors, {
      ...(r.metadata ? { metadata: r.metadata } : {}),
      dtypes: (n) => h.tensors.get(n)!.dtype,
    }),
  );
  expect(Object.keys(again.tensors).sort()).toEqual(names);
  for (const n of names) expect(sameValues(again.tensors[n]!, r.tensors[n]!), n).toBe(true);
  expect(again.metadata === null ? null : { ...again.metadata }).toEqual(
    r.metadata === null ? null : { ...r.metadata },
  );
}

/** The property: parse consistently, or throw a SafetensorsError; nothing else. */
function parsesOrRejects(bytes: Uint8Array): void {
  let r: Safetensors;
  try {
    r = deserialize(bytes);
  } catch (e) {
    if (e instanceof SafetensorsError) return;
    throw e;
  }
  checkConsistent(bytes, r);
  for (const t of Object.values(r.tensors)) t.dispose();
}

const protoKeys = () => Object.getOwnPropertyNames(Object.prototype).sort();

describe('safetensors fuzzing', () => {
  const before = protoKeys();

  it('valid files round-trip (1,000 cases)', () => {
    fc.assert(
      fc.property(validArb, (bytes) => {
        const r = deserialize(bytes);
        checkConsistent(bytes, r);
      }),
      runs(1000),
    );
  });

  it('random bytes (3,000 cases)', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 256 }), parsesOrRejects), runs(3000));
  });

  it('random bytes behind a plausible length prefix (2,000 cases)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 300 }),
        fc.uint8Array({ maxLength: 300 }),
        (n, rest) => {
          const b = new Uint8Array(8 + rest.length);
          new DataView(b.buffer).setBigUint64(0, BigInt(n), true);
          b.set(rest, 8);
          parsesOrRejects(b);
        },
      ),
      runs(2000),
    );
  });

  it('mutated valid files: bit flips, truncation, header, length and offset edits (8,000 cases)', () => {
    fc.assert(
      fc.property(validArb, fc.array(mutationArb, { minLength: 1, maxLength: 3 }), (bytes, ms) =>
        parsesOrRejects(ms.reduce((b, m) => m(b), bytes)),
      ),
      runs(8000),
    );
  });

  it('the file reader agrees with the in-memory reader (300 cases)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nabla-fuzz-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const p = join(dir, 'f.safetensors');
    const outcome = (fn: () => Safetensors): string => {
      try {
        const r = fn();
        return `ok ${JSON.stringify(Object.entries(r.tensors).map(([k, t]) => [k, t.shape, Array.from(t.dataSync(), String)]))}`;
      } catch (e) {
        if (e instanceof SafetensorsError) return e.code;
        throw e;
      }
    };
    fc.assert(
      fc.property(validArb, fc.array(mutationArb, { maxLength: 2 }), (bytes, ms) => {
        const b = ms.reduce((x, m) => m(x), bytes);
        writeFileSync(p, b);
        expect(outcome(() => load(p))).toBe(outcome(() => deserialize(b)));
      }),
      runs(300),
    );
  });

  it('never touched Object.prototype', () => {
    expect(protoKeys()).toEqual(before);
    expect(({} as Record<string, unknown>)['dtype']).toBeUndefined();
  });
});

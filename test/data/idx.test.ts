// The IDX reader: good files of every element type (raw and gzipped) and the corrupt ones it must refuse.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { DataError } from '../../src/errors.js';
import { NablaError } from '../../src/index.js';
import { encodeIdx, parseIdx, type IdxArray } from '../../src/data/index.js';
import { readIdx } from '../../src/data/node/index.js';

const dir = mkdtempSync(join(tmpdir(), 'nabla-idx-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, bytes: Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

const images: IdxArray = {
  type: 'uint8',
  shape: [2, 3, 2],
  data: Uint8Array.from({ length: 12 }, (_, i) => i * 20),
};

describe('readIdx on good files', () => {
  it('reads uint8 images raw and gzipped, from a path or from bytes', () => {
    const raw = encodeIdx(images);
    expect(Array.from(raw.subarray(0, 8))).toEqual([0, 0, 8, 3, 0, 0, 0, 2]);
    for (const src of [
      write('a-idx3-ubyte', raw),
      write('a-idx3-ubyte.gz', gzipSync(raw)),
      raw,
      gzipSync(raw),
    ]) {
      const got = readIdx(src, { ndim: 3, type: 'uint8' });
      expect(got.type).toBe('uint8');
      expect(got.shape).toEqual([2, 3, 2]);
      expect(Array.from(got.data)).toEqual(Array.from(images.data));
    }
  });

  it('reads every element type, big-endian', () => {
    const cases: IdxArray[] = [
      { type: 'int8', shape: [3], data: Int8Array.from([-128, 0, 127]) },
      { type: 'int16', shape: [2], data: Int16Array.from([-300, 300]) },
      { type: 'int32', shape: [1, 2], data: Int32Array.from([-70000, 2 ** 31 - 1]) },
      { type: 'float32', shape: [2], data: Float32Array.from([1.5, -0.1]) },
      { type: 'float64', shape: [2], data: Float64Array.from([Math.PI, -1e300]) },
      { type: 'uint8', shape: [0, 28, 28], data: new Uint8Array(0) },
    ];
    for (const c of cases) {
      const got = parseIdx(encodeIdx(c));
      expect(got.type).toBe(c.type);
      expect(got.shape).toEqual(c.shape);
      expect(Array.from(got.data)).toEqual(Array.from(c.data));
    }
    // int16 0x0102 big-endian is 258.
    expect(Array.from(parseIdx(new Uint8Array([0, 0, 0x0b, 1, 0, 0, 0, 1, 1, 2])).data)).toEqual([
      258,
    ]);
  });
});

describe('readIdx on corrupt files', () => {
  const raw = encodeIdx(images);
  const bad =
    (name: string, bytes: Uint8Array, expect_ = {}) =>
    () =>
      readIdx(write(name, bytes), expect_);

  it('bad magic number', () => {
    const b = raw.slice();
    b[0] = 0x12;
    expect(bad('magic', b)).toThrow(DataError);
    expect(bad('magic', b)).toThrow(/bad magic number 0x12000803/);
    const t = raw.slice();
    t[2] = 0x07;
    expect(bad('type', t)).toThrow(/not an IDX file/);
    expect(bad('text', new TextEncoder().encode('hello, world'))).toThrow(/bad magic/);
  });

  it('wrong dimensions', () => {
    expect(bad('dims', raw, { ndim: 1 })).toThrow(
      /expected a 1-dimensional IDX array, found 3 dimensions/,
    );
    expect(bad('dtype', raw, { type: 'int32' })).toThrow(
      /expected IDX elements of type int32, found uint8/,
    );
    const b = raw.slice();
    b[3] = 2; // claims 2 dims: the third dim's bytes become data, so the size is off
    expect(bad('ndim', b)).toThrow(DataError);
    const big = raw.slice();
    big[4] = 0xff; // 4 billion images
    expect(bad('huge', big)).toThrow(/truncated IDX data/);
  });

  it('truncated header and data, extra bytes', () => {
    expect(bad('short', raw.subarray(0, 3))).toThrow(/truncated IDX header \(3 bytes/);
    expect(bad('header', raw.subarray(0, 10))).toThrow(
      /truncated IDX header: 3 dimensions need 16 bytes/,
    );
    expect(bad('data', raw.subarray(0, raw.length - 1))).toThrow(
      /truncated IDX data: dimensions \[2, 3, 2\] of uint8 need 28 bytes, the file has 27/,
    );
    const extra = new Uint8Array(raw.length + 3);
    extra.set(raw);
    expect(bad('extra', extra)).toThrow(/3 unexpected trailing bytes/);
    expect(bad('extra.gz', gzipSync(extra))).toThrow(/trailing bytes/);
  });

  it('corrupt gzip and missing files', () => {
    const gz = gzipSync(raw);
    const cut = gz.subarray(0, gz.length - 6);
    expect(bad('cut.gz', cut)).toThrow(/corrupt gzip data/);
    const flipped = gz.slice();
    flipped[gz.length - 5]! ^= 0xff; // damages the CRC / length trailer
    expect(bad('crc.gz', flipped)).toThrow(/corrupt gzip data/);
    expect(() => readIdx(join(dir, 'nope'))).toThrow(/cannot read IDX file/);
    try {
      readIdx(write('named', raw.subarray(0, 5)));
    } catch (e) {
      expect(e).toBeInstanceOf(NablaError);
      expect((e as Error).message).toContain(join(dir, 'named'));
    }
  });
});

// Reading IDX files from disk (Node only): raw or gzipped, validated by parseIdx.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { DataError } from '../../errors.js';
import { parseIdx, type IdxArray, type IdxExpect } from '../idx.js';

/** Whether the bytes start with the gzip magic number 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Decompresses gzip data, or returns the bytes as they are when they are not gzipped. */
export function maybeGunzip(bytes: Uint8Array, name: string): Uint8Array {
  if (!isGzip(bytes)) return bytes;
  try {
    return gunzipSync(bytes);
  } catch (e) {
    throw new DataError(`${name}: corrupt gzip data (${(e as Error).message})`);
  }
}

/**
 * Reads an IDX file (MNIST's format) from a path or from its bytes; gzipped files (magic 1f 8b) are
 * decompressed first. The magic number, dimensions and exact size are checked (see parseIdx); a
 * bad file is a DataError naming it.
 */
export function readIdx(source: string | Uint8Array, expect: IdxExpect = {}): IdxArray {
  let bytes: Uint8Array;
  let name: string;
  if (typeof source === 'string') {
    name = source;
    try {
      bytes = readFileSync(source);
    } catch (e) {
      throw new DataError(`${source}: cannot read IDX file (${(e as Error).message})`);
    }
  } else {
    name = 'IDX data';
    bytes = source;
  }
  return parseIdx(maybeGunzip(bytes, name), name, expect);
}

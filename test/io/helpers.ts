// Shared helpers of the safetensors tests: fixtures, raw file construction and error codes.
import { readFileSync } from 'node:fs';
import { SafetensorsError } from '../../src/errors.js';
import type { Tensor } from '../../src/index.js';

export const fixture = (name: string) =>
  new Uint8Array(readFileSync(new URL(`../fixtures/interop/${name}`, import.meta.url)));

/** The error code a call throws (and that it throws a SafetensorsError at all). */
export function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof SafetensorsError)) throw e;
    return e.code;
  }
  throw new Error('expected a SafetensorsError');
}

const enc = new TextEncoder();

/** A file from raw parts: a header (JSON text or object), data bytes, padding and length override. */
export function file(
  header: string | object,
  data: number | Uint8Array = 0,
  opts: { pad?: string; length?: bigint } = {},
): Uint8Array {
  const text = typeof header === 'string' ? header : JSON.stringify(header);
  const h = enc.encode(text + (opts.pad ?? ''));
  const d = typeof data === 'number' ? new Uint8Array(data) : data;
  const out = new Uint8Array(8 + h.length + d.length);
  new DataView(out.buffer).setBigUint64(0, opts.length ?? BigInt(h.length), true);
  out.set(h, 8);
  out.set(d, 8 + h.length);
  return out;
}

export const f32 = (shape: number[], b: number, e: number) => ({
  dtype: 'F32',
  shape,
  data_offsets: [b, e],
});

export const values = (t: Tensor) => Array.from(t.dataSync());
export const u16 = (bytes: Uint8Array) => new Uint16Array(Uint8Array.from(bytes).buffer);

// A minimal protocol-buffers writer: varints, length-delimited fields and nested messages, no copies until finish().

const WIRE_VARINT = 0;
const WIRE_FIXED32 = 5;
const WIRE_LEN = 2;

const utf8 = new TextEncoder();

/**
 * Builds one message as a list of chunks. Nested messages are other writers, spliced in with
 * their length, so large payloads (tensor data) are copied once, by finish().
 */
export class ProtoWriter {
  readonly #chunks: Uint8Array[] = [];
  #pending: number[] = [];
  #length = 0;

  /** The encoded size in bytes so far. */
  get length(): number {
    return this.#length + this.#pending.length;
  }

  #byte(b: number): void {
    this.#pending.push(b);
  }

  #flush(): void {
    if (this.#pending.length === 0) return;
    this.#chunks.push(Uint8Array.from(this.#pending));
    this.#length += this.#pending.length;
    this.#pending = [];
  }

  #chunk(bytes: Uint8Array): void {
    this.#flush();
    this.#chunks.push(bytes);
    this.#length += bytes.length;
  }

  #varint(v: number | bigint): void {
    // NOTE: negative int64 values are encoded as their 64-bit two's complement (10 bytes).
    let n = BigInt.asUintN(64, BigInt(v));
    while (n >= 0x80n) {
      this.#byte(Number(n & 0x7fn) | 0x80);
      n >>= 7n;
    }
    this.#byte(Number(n));
  }

  #tag(field: number, wire: number): void {
    this.#varint((field << 3) | wire);
  }

  /** An int32, int64 or enum field (written even when zero: callers skip defaults themselves). */
  int(field: number, v: number | bigint): this {
    if (typeof v === 'number' && !Number.isSafeInteger(v))
      throw new RangeError(`protobuf: ${v} is not an integer`);
    this.#tag(field, WIRE_VARINT);
    this.#varint(v);
    return this;
  }

  /** A float (fixed32) field. */
  float(field: number, v: number): this {
    this.#tag(field, WIRE_FIXED32);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    for (const x of b) this.#byte(x);
    return this;
  }

  /** A bytes field; the array is kept by reference until finish(). */
  bytes(field: number, v: Uint8Array): this {
    this.#tag(field, WIRE_LEN);
    this.#varint(v.length);
    this.#chunk(v);
    return this;
  }

  string(field: number, v: string): this {
    return this.bytes(field, utf8.encode(v));
  }

  /** An embedded message field. */
  message(field: number, m: ProtoWriter): this {
    this.#tag(field, WIRE_LEN);
    this.#varint(m.length);
    m.#flush();
    for (const c of m.#chunks) this.#chunk(c);
    return this;
  }

  /** The encoded message. */
  finish(): Uint8Array {
    this.#flush();
    const out = new Uint8Array(this.#length);
    let at = 0;
    for (const c of this.#chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}

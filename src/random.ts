// The library-owned random number generator: PyTorch's CPU Mersenne Twister and its sampling rules,
// so that the same seed draws the same numbers as torch.manual_seed does.
import { ArgumentError } from './errors.js';

const N = 624;
const M = 397;

/** PyTorch's default seed when none is set (c10's default_rng_seed_val). */
const DEFAULT_SEED = 67280421310721n;

/** A generator's full state: JSON-serialisable, for checkpoints. */
export interface GeneratorState {
  readonly seed: string;
  readonly mt: readonly number[];
  readonly index: number;
  /** The cached second Box-Muller sample of the double normal path, as PyTorch keeps it. */
  readonly nextNormal: number | null;
}

export class Generator {
  #mt = new Uint32Array(N);
  #index = N;
  #seed = DEFAULT_SEED;
  #nextNormal: number | null = null;

  constructor(seed?: number | bigint) {
    this.manualSeed(seed ?? DEFAULT_SEED);
  }

  /** Seeds the generator; like PyTorch, only the low 32 bits reach the Mersenne Twister. */
  manualSeed(seed: number | bigint): this {
    if (typeof seed === 'number' && !Number.isSafeInteger(seed)) {
      throw new ArgumentError(`manualSeed expected an integer seed, got ${seed}`);
    }
    const s = BigInt.asUintN(64, BigInt(seed));
    this.#seed = s;
    const mt = this.#mt;
    mt[0] = Number(s & 0xffffffffn);
    for (let i = 1; i < N; i++) {
      const prev = mt[i - 1]! ^ (mt[i - 1]! >>> 30);
      mt[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
    this.#index = N;
    this.#nextNormal = null;
    return this;
  }

  /** The seed last set (as a BigInt, since PyTorch seeds are 64-bit). */
  initialSeed(): bigint {
    return this.#seed;
  }

  getState(): GeneratorState {
    return {
      seed: this.#seed.toString(),
      mt: Array.from(this.#mt),
      index: this.#index,
      nextNormal: this.#nextNormal,
    };
  }

  setState(state: GeneratorState): this {
    const ok =
      state !== null &&
      typeof state === 'object' &&
      Array.isArray(state.mt) &&
      state.mt.length === N &&
      state.mt.every((v) => Number.isInteger(v) && v >= 0 && v <= 0xffffffff) &&
      Number.isInteger(state.index) &&
      state.index >= 0 &&
      state.index <= N &&
      (state.nextNormal === null || typeof state.nextNormal === 'number') &&
      typeof state.seed === 'string' &&
      /^\d+$/.test(state.seed);
    if (!ok) throw new ArgumentError('setState: not a generator state produced by getState()');
    this.#mt.set(state.mt);
    this.#index = state.index;
    this.#seed = BigInt(state.seed);
    this.#nextNormal = state.nextNormal;
    return this;
  }

  /** 32 random bits (at::mt19937::operator()). */
  nextUint32(): number {
    if (this.#index >= N) this.#twist();
    let y = this.#mt[this.#index++]!;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** A float32 in [0, 1) from 24 random bits, PyTorch's uniform_real_distribution<float>. */
  uniform24(): number {
    return (this.nextUint32() & 0xffffff) / 16777216;
  }

  /** A float64 in [0, 1) from 53 of 64 random bits, PyTorch's uniform_real_distribution<double>. */
  uniform53(): number {
    const hi = this.nextUint32();
    const lo = this.nextUint32();
    return ((hi & 0x1fffff) * 4294967296 + lo) / 9007199254740992;
  }

  /** One standard normal sample by Box-Muller on doubles, caching the second (PyTorch's scalar path). */
  normalDouble(): number {
    if (this.#nextNormal !== null) {
      const v = this.#nextNormal;
      this.#nextNormal = null;
      return v;
    }
    const u1 = this.uniform53();
    const u2 = this.uniform53();
    const r = Math.sqrt(-2 * Math.log(1 - u2));
    const theta = 2 * Math.PI * u1;
    this.#nextNormal = r * Math.sin(theta);
    return r * Math.cos(theta);
  }

  /**
   * A uniform integer in [0, range) as PyTorch draws it: 32 random bits modulo the range, or 64
   * bits (two draws, the first high) when the range is 2^32 or more.
   */
  below(range: number): number {
    if (range < 0x100000000) return this.nextUint32() % range;
    const hi = BigInt(this.nextUint32());
    const lo = BigInt(this.nextUint32());
    return Number(((hi << 32n) | lo) % BigInt(range));
  }

  #twist(): void {
    const mt = this.#mt;
    for (let k = 0; k < N; k++) {
      const y = (mt[k]! & 0x80000000) | (mt[(k + 1) % N]! & 0x7fffffff);
      mt[k] = mt[(k + M) % N]! ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
    }
    this.#index = 0;
  }
}

/** The generator every random function uses unless it is given one. */
export const defaultGenerator = new Generator();

/** torch.manual_seed: seeds the default generator. */
export function manualSeed(seed: number | bigint): Generator {
  return defaultGenerator.manualSeed(seed);
}

export function getRngState(): GeneratorState {
  return defaultGenerator.getState();
}

export function setRngState(state: GeneratorState): void {
  defaultGenerator.setState(state);
}

// ---- Array fillers: PyTorch's CPU algorithms, element for element. ----

/** uniform_(from, to) on a float32 or float64 array. */
export function fillUniform(
  out: Float32Array | Float64Array,
  from: number,
  to: number,
  gen: Generator,
): void {
  if (out instanceof Float32Array) {
    const f = Math.fround(from);
    const range = Math.fround(Math.fround(to) - f);
    for (let i = 0; i < out.length; i++) out[i] = gen.uniform24() * range + f;
  } else {
    const range = to - from;
    for (let i = 0; i < out.length; i++) out[i] = gen.uniform53() * range + from;
  }
}

/**
 * normal_(mean, std): arrays of 16 or more take PyTorch's vectorised path (uniforms first, then
 * Box-Muller over blocks of 16 in the array's own precision); shorter ones take the scalar path.
 */
export function fillNormal(
  out: Float32Array | Float64Array,
  mean: number,
  std: number,
  gen: Generator,
): void {
  const n = out.length;
  if (n < 16) {
    for (let i = 0; i < n; i++) out[i] = gen.normalDouble() * std + mean;
    return;
  }
  const single = out instanceof Float32Array;
  const r: (x: number) => number = single ? Math.fround : (x) => x;
  const draw = single ? () => gen.uniform24() : () => gen.uniform53();
  for (let i = 0; i < n; i++) out[i] = draw();
  const twoPi = r(2 * Math.PI);
  const block = (o: number) => {
    for (let j = 0; j < 8; j++) {
      const u1 = r(1 - out[o + j]!);
      const u2 = out[o + j + 8]!;
      const radius = r(Math.sqrt(r(-2 * r(Math.log(u1)))));
      const theta = r(twoPi * u2);
      out[o + j] = r(r(radius * r(Math.cos(theta))) * std) + mean;
      out[o + j + 8] = r(r(radius * r(Math.sin(theta))) * std) + mean;
    }
  };
  for (let i = 0; i + 16 <= n; i += 16) block(i);
  if (n % 16 !== 0) {
    for (let i = n - 16; i < n; i++) out[i] = draw();
    block(n - 16);
  }
}

/** A random permutation of 0..n-1, PyTorch's forward Fisher-Yates. */
export function permutation(n: number, gen: Generator): Int32Array {
  const r = new Int32Array(n);
  for (let i = 0; i < n; i++) r[i] = i;
  for (let i = 0; i < n - 1; i++) {
    const z = gen.below(n - i);
    const t = r[i]!;
    r[i] = r[z + i]!;
    r[z + i] = t;
  }
  return r;
}

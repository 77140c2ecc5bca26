// What the benchmark ran on: CPU, cores, SIMD flags, versions, load, and the FMA peak probe.
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { nativeFmaPeak } from '../src/node.js';

export interface Machine {
  readonly cpu: string;
  /** Logical CPUs the process may use. */
  readonly cores: number;
  /** The SIMD flags that matter to the kernels. */
  readonly flags: readonly string[];
  readonly node: string;
  readonly v8: string;
  readonly platform: string;
}

const SIMD_FLAGS = [
  'sse4_2',
  'avx',
  'avx2',
  'fma',
  'avx512f',
  'avx512bw',
  'avx512vl',
  'avx512_vnni',
  'avx512_bf16',
  'asimd',
];

function cpuinfo(): string {
  try {
    return readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return '';
  }
}

export function machine(): Machine {
  const info = cpuinfo();
  const field = (name: string) => new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm').exec(info)?.[1]?.trim();
  const family = field('cpu family');
  const model = field('model');
  const name = field('model name') ?? cpus()[0]?.model ?? 'unknown';
  const flags = new Set((field('flags') ?? field('Features') ?? '').split(/\s+/));
  return {
    cpu:
      family !== undefined && model !== undefined
        ? `${name} (family ${family}, model ${model})`
        : name,
    cores: availableParallelism(),
    flags: SIMD_FLAGS.filter((f) => flags.has(f)),
    node: process.version,
    v8: process.versions.v8,
    platform: `${process.platform}-${process.arch}`,
  };
}

/** The 1-, 5- and 15-minute load averages. */
export function load(): readonly [number, number, number] {
  const [a, b, c] = loadavg();
  return [a ?? 0, b ?? 0, c ?? 0];
}

export interface Peak {
  /** GFLOP/s on 1 thread and on `threads` threads. */
  readonly one: number;
  readonly many: number;
  readonly threads: number;
  /** 'native probe' or how the fallback estimated it. */
  readonly source: string;
}

/**
 * The float32 FMA peak from the native addon's probe: the best of a few tries (a peak is a best
 * case; other processes only lower it). Null when the addon is missing.
 */
export function fmaPeak(threads: number, tries = 3): Peak | null {
  let one = 0;
  let many = 0;
  for (let i = 0; i < tries; i++) {
    const p1 = nativeFmaPeak(1);
    const pn = nativeFmaPeak(threads);
    if (p1 === null || pn === null) return null;
    one = Math.max(one, p1);
    many = Math.max(many, pn);
  }
  return { one, many, threads, source: 'nativeFmaPeak, best of 3' };
}

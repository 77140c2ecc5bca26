// The timing harness: warm-up, batches sized to the timer, repetitions adapted to the runtime, median.
// bench/torch_bench.py implements the same rules so that medians compare across languages.

/** One timed step (a train step, a matmul, ...); `dispose` frees what setup made. */
export interface Runner {
  readonly step: () => void;
  readonly dispose?: () => void;
}

/** What a contender reports for a workload: a median, or why there is none. */
export type Measurement =
  | {
      readonly ok: true;
      /** Median seconds per step. */
      readonly median: number;
      /** Fastest sample (seconds per step). */
      readonly min: number;
      /** Samples the median is taken over, and steps per sample. */
      readonly samples: number;
      readonly batch: number;
      /** Optional note (the configuration that gave it). */
      readonly note?: string;
    }
  | { readonly ok: false; readonly reason: string };

export interface MeasureOptions {
  /** Seconds to spend on the timed samples (default 2). */
  readonly budget?: number;
  /**
   * Seconds of warm-up (default 2; at least 2 steps unless a step takes longer than 1 s). V8 takes
   * 1.5-3 s of a training loop to optimise nabla's and tfjs's hot paths (the seed step falls from
   * ~1 ms to ~0.1 ms over the first 1.5 s), and a training run lives in that steady state.
   */
  readonly warmup?: number;
  /** Most samples (default 21). */
  readonly maxSamples?: number;
}

const now = (): number => performance.now() / 1000;

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * Times `step`: warm-up, then samples of `batch` steps each (a sample lasts at least ~2 ms, so the
 * timer's resolution does not matter), as many samples as fit in the budget (3 to maxSamples; a
 * step slower than the whole budget is timed once). Returns the median seconds per step.
 */
export function measure(step: () => void, opts: MeasureOptions = {}): Measurement {
  const budget = opts.budget ?? 2;
  const warmup = opts.warmup ?? 2;
  const maxSamples = opts.maxSamples ?? 21;
  // Warm-up: JIT, caches, allocator pools, thread pools.
  let t0 = now();
  step();
  let first = now() - t0;
  // A step slower than the whole budget (a JavaScript backend on sgemm 2048) is timed once.
  if (first >= budget) return { ok: true, median: first, min: first, samples: 1, batch: 1 };
  if (first < 1) {
    t0 = now();
    let n = 0;
    do {
      step();
      n++;
    } while (now() - t0 < warmup || n < 2);
    first = (now() - t0) / n;
  }
  const per = Math.max(first, 1e-9);
  const batch = Math.max(1, Math.ceil(0.002 / per));
  const samples = Math.max(3, Math.min(maxSamples, Math.floor(budget / (per * batch))));
  const times: number[] = [];
  for (let s = 0; s < samples; s++) {
    t0 = now();
    for (let i = 0; i < batch; i++) step();
    times.push((now() - t0) / batch);
  }
  return { ok: true, median: median(times), min: Math.min(...times), samples, batch };
}

/** Runs `make` and measures its runner; an exception at setup or in a step becomes `ok: false`. */
export function measureRunner(make: () => Runner, opts: MeasureOptions = {}): Measurement {
  let runner: Runner | undefined;
  try {
    runner = make();
    return measure(runner.step, opts);
  } catch (e) {
    return { ok: false, reason: firstLine(e) };
  } finally {
    try {
      runner?.dispose?.();
    } catch {
      // A failed step may leave a runner half disposed; the process goes on to the next one.
    }
  }
}

export function firstLine(e: unknown): string {
  const s = e instanceof Error ? e.message : String(e);
  return s.split('\n')[0]!.slice(0, 160);
}

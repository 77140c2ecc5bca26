// Turns a run's results into the tables: medians per contender, ratios, and the issue's targets.
import type { Measurement } from './harness.js';
import type { Machine, Peak } from './machine.js';
import type { RssResult } from './rss.js';

export interface WorkloadResult {
  readonly id: string;
  readonly title: string;
  readonly flops?: number;
  /** Samples per step (the batch-size sweep reports samples/s). */
  readonly batch?: number;
  /** Part of the batch-size sweep (its own table, not the main one). */
  readonly sweep?: boolean;
  /** Per contender id ('nabla-native', 'tfjs-wasm', ..., 'torch' = PyTorch's best configuration). */
  readonly results: Record<string, Measurement>;
  /** PyTorch per configuration label. */
  readonly torch: Record<string, Measurement>;
}

export interface RunResults {
  readonly date: string;
  readonly command: string;
  readonly machine: Machine;
  readonly load: { readonly start: readonly number[]; readonly end: readonly number[] };
  readonly peak: Peak | null;
  readonly versions: Record<string, string>;
  /** Contender id → what it ran on (ISA, threads, ...). */
  readonly contenders: Record<string, string>;
  /** Why a contender is missing. */
  readonly unavailable: Record<string, string>;
  readonly torchConfigs: readonly {
    readonly label: string;
    readonly info: Record<string, unknown>;
  }[];
  readonly workloads: readonly WorkloadResult[];
  /** The memory probe (bench/rss.ts): null when not run. */
  readonly rss: RssResult | { readonly error: string } | null;
  /** The same probe with each step inside tidy(), for comparison (optional in older results). */
  readonly rssTidy?: RssResult | { readonly error: string } | null;
}

export interface Target {
  readonly name: string;
  readonly goal: string;
  readonly measured: string;
  readonly met: boolean | null;
}

const NABLA = ['nabla-native', 'nabla-wasm', 'nabla-cpu'];
const COLUMNS = ['nabla', 'nabla-tidy', ...NABLA, 'tfjs-wasm', 'tfjs-cpu', 'torch'];
const TITLES: Record<string, string> = {
  nabla: 'nabla (as written)',
  'nabla-tidy': 'nabla in tidy()',
  'nabla-native': 'nabla native',
  'nabla-wasm': 'nabla wasm',
  'nabla-cpu': 'nabla cpu',
  'tfjs-wasm': 'tfjs wasm',
  'tfjs-cpu': 'tfjs cpu',
  torch: 'PyTorch (best)',
};

type Ok = Extract<Measurement, { ok: true }>;

function ok(m: Measurement | undefined): Ok | undefined {
  return m !== undefined && m.ok ? m : undefined;
}

/** PyTorch's fastest configuration for one workload, noted with its label. */
export function bestTorch(perConfig: Record<string, Measurement>): Measurement | undefined {
  let best: [string, Ok] | undefined;
  for (const [label, m] of Object.entries(perConfig)) {
    if (m.ok && (best === undefined || m.median < best[1].median)) best = [label, m];
  }
  if (best !== undefined) return { ...best[1], note: best[0] };
  const first = Object.values(perConfig)[0];
  return first;
}

/** The fastest nabla backend for a workload. */
export function bestNabla(w: WorkloadResult): [string, Ok] | undefined {
  let best: [string, Ok] | undefined;
  for (const id of NABLA) {
    const m = ok(w.results[id]);
    if (m !== undefined && (best === undefined || m.median < best[1].median)) best = [id, m];
  }
  return best;
}

export function formatTime(s: number): string {
  if (s < 1e-3) return `${(s * 1e6).toPrecision(3)} µs`;
  if (s < 1) return `${(s * 1e3).toPrecision(3)} ms`;
  return `${s.toPrecision(3)} s`;
}

function cell(w: WorkloadResult, m: Measurement | undefined): string {
  if (m === undefined) return '—';
  if (!m.ok)
    return /not registered|not (yet )?implemented|unsupported/i.test(m.reason)
      ? 'unsupported'
      : 'error';
  if (w.flops !== undefined) return `${(w.flops / m.median / 1e9).toFixed(1)} GFLOP/s`;
  return formatTime(m.median);
}

function ratio(a: Ok | undefined, b: Measurement | undefined): string {
  const o = ok(b);
  return a === undefined || o === undefined ? '—' : `${(a.median / o.median).toFixed(2)}×`;
}

/**
 * nabla as users get it: the default backend, the step as written (no tidy). Runs that left that
 * contender out (--contenders) fall back to the fastest backend.
 */
export function headline(w: WorkloadResult): [string, Ok] | undefined {
  const m = ok(w.results.nabla);
  return m !== undefined ? ['nabla', m] : bestNabla(w);
}

/** Rows of the main table: one per workload (the batch-size sweep has its own table). */
export function mainTable(r: RunResults): { header: string[]; rows: string[][] } {
  const main = r.workloads.filter((w) => w.sweep !== true);
  const cols = COLUMNS.filter((c) => main.some((w) => w.results[c] !== undefined));
  const header = [
    'workload',
    ...cols.map((c) => TITLES[c]!),
    'as written ÷ tidy',
    'vs PyTorch',
    'vs tfjs wasm',
    'vs tfjs cpu',
  ];
  const rows = main.map((w) => {
    const best = headline(w);
    return [
      w.title,
      ...cols.map((c) => cell(w, w.results[c])),
      ratio(ok(w.results.nabla), w.results['nabla-tidy']),
      ratio(best?.[1], w.results.torch),
      ratio(best?.[1], w.results['tfjs-wasm']),
      ratio(best?.[1], w.results['tfjs-cpu']),
    ];
  });
  return { header, rows };
}

/** Samples per second of a training step at batch `batch`. */
function throughput(m: Ok | undefined, batch: number): number | undefined {
  return m === undefined ? undefined : batch / m.median;
}

/** The CNN train step across batch sizes, in samples/s (higher is better). */
export function sweepTable(r: RunResults): { header: string[]; rows: string[][] } {
  const sweep = r.workloads
    .filter((w) => w.batch !== undefined && w.id.startsWith('cnn'))
    .sort((a, b) => a.batch! - b.batch!);
  const cols = ['nabla', 'nabla-tidy', 'torch'].filter((c) =>
    sweep.some((w) => w.results[c] !== undefined),
  );
  const header = ['CNN step, batch', ...cols.map((c) => `${TITLES[c]!} samples/s`)];
  const rows = sweep.map((w) => [
    String(w.batch),
    ...cols.map((c) => {
      const t = throughput(ok(w.results[c]), w.batch!);
      return t === undefined ? '—' : t.toFixed(0);
    }),
  ]);
  return { header, rows };
}

/** PyTorch's configurations side by side (medians), and which one won each workload. */
export function torchTable(r: RunResults): { header: string[]; rows: string[][] } {
  const labels = r.torchConfigs.map((c) => c.label);
  const header = ['workload', ...labels];
  const rows = r.workloads.map((w) => {
    const best = ok(w.results.torch)?.note;
    return [w.title, ...labels.map((l) => `${cell(w, w.torch[l])}${l === best ? ' ★' : ''}`)];
  });
  return { header, rows };
}

function find(r: RunResults, id: string): WorkloadResult | undefined {
  return r.workloads.find((w) => w.id === id);
}

/** The issue's targets, each measured within this run. */
export function targets(r: RunResults): Target[] {
  const out: Target[] = [];
  const sg = find(r, 'sgemm-2048');
  const native = ok(sg?.results['nabla-native']);
  const threads = r.contenders['nabla-native']?.match(/(\d+) threads?/)?.[1];
  if (sg !== undefined) {
    const gf = native !== undefined ? sg.flops! / native.median / 1e9 : undefined;
    const peak = r.peak?.many;
    out.push({
      name: `native sgemm 2048, ${threads ?? '?'} threads, vs FMA peak (${peak?.toFixed(0) ?? '?'} GFLOP/s on ${r.peak?.threads ?? '?'})`,
      goal: '≥ 85%',
      measured:
        gf !== undefined && peak !== undefined
          ? `${((100 * gf) / peak).toFixed(0)}% (${gf.toFixed(0)} GFLOP/s)`
          : '—',
      met: gf !== undefined && peak !== undefined ? gf >= 0.85 * peak : null,
    });
  }
  // Issue 11: the step as users write it, against the same step in tidy() and against PyTorch.
  const vsTidy: [string, string][] = [
    ['mlp', 'MLP step'],
    ['cnn', 'CNN step'],
  ];
  for (const [id, name] of vsTidy) {
    const w = find(r, id);
    const a = ok(w?.results.nabla);
    const b = ok(w?.results['nabla-tidy']);
    const x = a !== undefined && b !== undefined ? a.median / b.median : undefined;
    out.push({
      name: `${name}: nabla as written ÷ the same in tidy()`,
      goal: '≤ 1.1×',
      measured:
        x !== undefined
          ? `${x.toFixed(2)}× (${formatTime(a!.median)} vs ${formatTime(b!.median)})`
          : '—',
      met: x !== undefined ? x <= 1.1 : null,
    });
  }
  const vsTorch: [string, string, number][] = [
    ['mlp', 'MLP step', 1],
    ['cnn', 'CNN step', 1],
    ['seed', 'seed step', 0.5],
  ];
  for (const [id, name, goal] of vsTorch) {
    const w = find(r, id);
    if (w === undefined) continue;
    const best = headline(w);
    const t = ok(w.results.torch);
    const x = best !== undefined && t !== undefined ? best[1].median / t.median : undefined;
    out.push({
      name: `${name}: nabla as written ÷ PyTorch best`,
      goal: goal === 1 ? '≤ 1×' : `≤ ${goal}×`,
      measured:
        x !== undefined
          ? `${x.toFixed(2)}× (${best![0] === 'nabla' ? 'as written' : best![0].replace('nabla-', '')} ${formatTime(best![1].median)} vs ${formatTime(t!.median)})`
          : '—',
      met: x !== undefined ? x <= goal : null,
    });
  }
  const rss = r.rss;
  if (rss !== null) {
    out.push({
      name: 'RSS over 5,000 MLP steps as written: growth after the first 500',
      goal: '< 5%',
      measured:
        'error' in rss
          ? `failed: ${rss.error}`
          : `${(100 * rss.growth).toFixed(1)}% (${(rss.baseline / 2 ** 20).toFixed(0)} → at most ${(rss.max / 2 ** 20).toFixed(0)} MiB, ${rss.backend}, ${rss.msPerStep.toFixed(2)} ms/step)`,
      met: 'error' in rss ? false : rss.growth < 0.05,
    });
  }
  const rt = r.rssTidy;
  if (rt !== null && rt !== undefined && !('error' in rt)) {
    out.push({
      name: 'for comparison: the same RSS probe with each step in tidy()',
      goal: '—',
      measured: `${(100 * rt.growth).toFixed(1)}% (${(rt.baseline / 2 ** 20).toFixed(0)} → at most ${(rt.max / 2 ** 20).toFixed(0)} MiB, ${rt.msPerStep.toFixed(2)} ms/step)`,
      met: null,
    });
  }
  const sweep = r.workloads
    .filter((w) => w.batch !== undefined && w.id.startsWith('cnn'))
    .sort((a, b) => a.batch! - b.batch!);
  const rates = sweep.map((w) => throughput(ok(w.results.nabla), w.batch!));
  if (sweep.length > 1 && rates.every((x) => x !== undefined)) {
    // No cliff: each batch size keeps ≥ 90% of the best throughput of the smaller ones.
    let best = 0;
    let worst = Infinity;
    for (const x of rates as number[]) {
      if (best > 0) worst = Math.min(worst, x / best);
      best = Math.max(best, x);
    }
    out.push({
      name: `CNN step as written, batch ${sweep.map((w) => w.batch).join('/')}: throughput never falls as the batch grows`,
      goal: '≥ 0.9× the best smaller batch',
      measured: `${worst.toFixed(2)}× (${(rates as number[]).map((x) => x.toFixed(0)).join(' / ')} samples/s)`,
      met: worst >= 0.9,
    });
  }
  const mlp = find(r, 'mlp');
  if (mlp !== undefined) {
    const a = ok(mlp.results['nabla-wasm']);
    const b = ok(mlp.results['tfjs-wasm']);
    const x = a !== undefined && b !== undefined ? a.median / b.median : undefined;
    out.push({
      name: 'wasm MLP step: nabla wasm ÷ tfjs wasm',
      goal: '≤ 0.5×',
      measured:
        x !== undefined
          ? `${x.toFixed(2)}× (${formatTime(a!.median)} vs ${formatTime(b!.median)})`
          : '—',
      met: x !== undefined ? x <= 0.5 : null,
    });
  }
  for (const w of r.workloads) {
    if (w.flops === undefined) continue;
    const a = ok(w.results['nabla-wasm']);
    const b = ok(w.results['tfjs-wasm']);
    const x = a !== undefined && b !== undefined ? b.median / a.median : undefined;
    out.push({
      name: `wasm ${w.title}: nabla wasm ÷ tfjs wasm GFLOP/s`,
      goal: '≥ 2×',
      measured:
        x !== undefined
          ? `${x.toFixed(2)}× (${(w.flops / a!.median / 1e9).toFixed(1)} vs ${(w.flops / b!.median / 1e9).toFixed(1)})`
          : '—',
      met: x !== undefined ? x >= 2 : null,
    });
  }
  return out;
}

function verdict(t: Target): string {
  return t.met === null ? 'n/a' : t.met ? 'met' : 'MISSED';
}

function pad(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => [...(r[i] ?? '')].length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => c + ' '.repeat(widths[i]! - [...c].length))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function md(header: string[], rows: string[][]): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  return [
    `| ${header.map(esc).join(' | ')} |`,
    `| ${header.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n');
}

function loadLine(r: RunResults): string {
  const f = (l: readonly number[]) => l.map((x) => x.toFixed(2)).join(' / ');
  return `load average (1/5/15 min): ${f(r.load.start)} at start, ${f(r.load.end)} at end, on ${r.machine.cores} CPUs`;
}

function peakLine(r: RunResults): string {
  const p = r.peak;
  if (p === null) return 'FMA peak: unavailable';
  return `FMA peak (${p.source}): ${p.one.toFixed(0)} GFLOP/s per core, ${p.many.toFixed(0)} GFLOP/s on ${p.threads} threads`;
}

function machineLines(r: RunResults): string[] {
  const m = r.machine;
  return [
    `CPU: ${m.cpu}, ${m.cores} logical CPUs; flags: ${m.flags.join(' ')}`,
    `versions: ${Object.entries(r.versions)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    `contenders: ${Object.entries(r.contenders)
      .map(([k, v]) => `${k} (${v})`)
      .join('; ')}`,
    ...Object.entries(r.unavailable).map(([k, v]) => `unavailable: ${k}: ${v}`),
    loadLine(r),
    peakLine(r),
  ];
}

const NOTE =
  'Medians of N samples after warm-up (sgemm in GFLOP/s, higher is better; steps in time per step, lower is better). ' +
  "nabla (as written) is what a user gets: `import 'nabla/node'`, no backend call, no tidy(), loss.item() each step; " +
  'the backend columns run the same step after setBackend. ' +
  "Ratios are nabla as written ÷ the other's time: below 1× nabla is faster.";

/** The plain-text report printed to the terminal. */
export function textReport(r: RunResults): string {
  const t = mainTable(r);
  const sw = sweepTable(r);
  const tt = torchTable(r);
  const tg = targets(r);
  return [
    ...machineLines(r),
    '',
    pad([t.header, ...t.rows]),
    '',
    NOTE,
    ...(sw.rows.length > 0 ? ['', 'Batch-size sweep:', pad([sw.header, ...sw.rows])] : []),
    ...(r.torchConfigs.length > 0
      ? ['', 'PyTorch configurations (★ = best, used above):', pad([tt.header, ...tt.rows])]
      : []),
    '',
    'Targets:',
    pad([
      ['target', 'goal', 'measured', ''],
      ...tg.map((x) => [x.name, x.goal, x.measured, verdict(x)]),
    ]),
  ].join('\n');
}

/** The Markdown report: what BENCHMARKS.md keeps between its markers. */
export function markdownReport(r: RunResults): string {
  const t = mainTable(r);
  const sw = sweepTable(r);
  const tt = torchTable(r);
  const tg = targets(r);
  return [
    `Run on ${r.date} with \`${r.command}\`.`,
    '',
    ...machineLines(r).map((l) => `- ${l}`),
    '',
    md(t.header, t.rows),
    '',
    NOTE,
    ...(sw.rows.length > 0 ? ['', '### Batch-size sweep', '', md(sw.header, sw.rows)] : []),
    '',
    '### Targets',
    '',
    md(
      ['target', 'goal', 'measured', ''],
      tg.map((x) => [x.name, x.goal, x.measured, verdict(x)]),
    ),
    ...(r.torchConfigs.length > 0
      ? [
          '',
          '### PyTorch configurations',
          '',
          md(tt.header, tt.rows),
          '',
          '★ marks the fastest configuration for each workload, the one the main table uses.',
        ]
      : []),
  ].join('\n');
}

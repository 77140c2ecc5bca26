// `npm run bench`: nabla's backends, TensorFlow.js and PyTorch side by side on the same workloads.
//
// Run through bench/launch.ts (npm run bench), which compiles nabla as it ships first.
//
//   npm run bench -- [--quick] [--warmup S] [--budget S] [--only sgemm-256,mlp] [--contenders nabla-native,torch]
//                    [--threads N] [--shared-process] [--no-torch] [--no-tfjs] [--openblas-coretype NAME]
//                    [--json out.json] [--markdown [BENCHMARKS.md]]
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { listBackends, setBackend } from '../src/node.js';
import { nablaContenders, setNumThreads, tfjsContenders, type Contender } from './contenders.js';
import { measureRunner, type Measurement } from './harness.js';
import { fmaPeak, load, machine, type Peak } from './machine.js';
import {
  bestTorch,
  markdownReport,
  textReport,
  type RunResults,
  type WorkloadResult,
} from './report.js';
import { torchAvailable, torchConfigs, TorchServer, type TorchInfo } from './torch.js';
import { runRssProbe } from './rss.js';
import { runIsolated } from './worker.js';
import { WORKLOADS } from './workloads/index.js';
import { sgemm } from './workloads/sgemm.js';

const BEGIN = '<!-- bench:begin -->';
const END = '<!-- bench:end -->';

interface Options {
  readonly budget: number;
  readonly warmup: number;
  /** Each JavaScript contender × workload in a fresh process (default; --shared-process: not). */
  readonly isolate: boolean;
  readonly only: readonly string[] | null;
  readonly contenders: readonly string[] | null;
  readonly threads: number;
  readonly torch: boolean;
  readonly tfjs: boolean;
  readonly coretype: string;
  readonly json: string | null;
  /** '' = print Markdown instead of text; a path = write it there (between the markers if present). */
  readonly markdown: string | null;
}

function options(argv: string[]): Options {
  // --markdown takes an optional path: a following argument that is not an option.
  const args = [...argv];
  let markdown: string | null = null;
  const i = args.indexOf('--markdown');
  if (i >= 0) {
    const next = args[i + 1];
    markdown = next !== undefined && !next.startsWith('--') ? next : '';
    args.splice(i, markdown === '' ? 1 : 2);
  }
  const { values } = parseArgs({
    args,
    options: {
      quick: { type: 'boolean', default: false },
      budget: { type: 'string' },
      warmup: { type: 'string' },
      'shared-process': { type: 'boolean', default: false },
      only: { type: 'string' },
      contenders: { type: 'string' },
      threads: { type: 'string' },
      'no-torch': { type: 'boolean', default: false },
      'no-tfjs': { type: 'boolean', default: false },
      'openblas-coretype': { type: 'string', default: 'Haswell' },
      json: { type: 'string' },
    },
  });
  const list = (s: string | undefined) => (s === undefined ? null : s.split(',').filter(Boolean));
  return {
    budget: values.budget !== undefined ? Number(values.budget) : values.quick ? 0.5 : 2,
    isolate: !values['shared-process'],
    warmup: values.warmup !== undefined ? Number(values.warmup) : values.quick ? 0.5 : 2,
    only: list(values.only),
    contenders: list(values.contenders),
    threads:
      values.threads !== undefined ? Number(values.threads) : Math.min(2, availableParallelism()),
    torch: !values['no-torch'],
    tfjs: !values['no-tfjs'],
    coretype: values['openblas-coretype'],
    json: values.json ?? null,
    markdown,
  };
}

const log = (s: string) => process.stderr.write(`${s}\n`);

/** Without the addon: the wasm backend's sgemm 1024 GFLOP/s, a lower bound of the FMA peak. */
function estimatePeak(threads: number): Peak | null {
  if (!listBackends().some((b) => b.name === 'wasm')) return null;
  const w = sgemm(1024);
  const rates: number[] = [];
  for (const t of [1, threads]) {
    setNumThreads(t, 'wasm');
    setBackend('wasm');
    const m = measureRunner(() => w.nabla('as-written'), { budget: 0.5 });
    setBackend('cpu');
    rates.push(m.ok ? w.flops! / m.median / 1e9 : 0);
  }
  setNumThreads(threads, 'wasm');
  return {
    one: rates[0]!,
    many: rates[1]!,
    threads,
    source: 'no native addon; estimated from wasm sgemm 1024, a lower bound',
  };
}

async function main(): Promise<void> {
  const opts = options(process.argv.slice(2));
  const startLoad = load();
  const m = machine();
  const want = (id: string) => opts.contenders === null || opts.contenders.includes(id);
  const workloads = WORKLOADS.filter((w) => opts.only === null || opts.only.includes(w.id));
  // (--only takes 'rss' too: the memory probe, run after the workloads.)

  log(
    `nabla bench: ${workloads.map((w) => w.id).join(', ')}; warm-up ${opts.warmup} s and ${opts.budget} s per measurement`,
  );
  if (import.meta.url.endsWith('.ts')) {
    log(
      'note: running from the TypeScript sources (tsx); npm run bench measures the compiled build',
    );
  }
  const nabla = await nablaContenders(opts.threads);
  const contenders: Contender[] = nabla.contenders.filter((c) => want(c.id));
  const unavailable: Record<string, string> = {};
  for (const [k, v] of Object.entries(nabla.errors)) unavailable[`nabla-${k}`] = v;
  const versions: Record<string, string> = { node: m.node, V8: m.v8 };

  if (opts.tfjs && (want('tfjs-wasm') || want('tfjs-cpu'))) {
    const tf = await tfjsContenders();
    if (tf === null) unavailable.tfjs = 'not installed (npm ci installs the devDependencies)';
    else {
      versions.tfjs = tf.version;
      contenders.push(...tf.contenders.filter((c) => want(c.id)));
      for (const [k, v] of Object.entries(tf.errors)) unavailable[`tfjs-${k}`] = v;
    }
  }

  const servers: { server: TorchServer; info: TorchInfo }[] = [];
  if (opts.torch && want('torch')) {
    if (!torchAvailable()) unavailable.torch = "/usr/bin/python3 -c 'import torch' failed";
    else {
      const threads = [...new Set([1, Math.min(2, availableParallelism())])];
      for (const c of torchConfigs(opts.coretype, threads))
        servers.push(await TorchServer.start(c));
      versions.PyTorch = servers[0]!.info.torch;
    }
  }

  log('FMA peak probe ...');
  let peak = fmaPeak(opts.threads);
  peak ??= estimatePeak(opts.threads);

  const results: WorkloadResult[] = [];
  try {
    for (const w of workloads) {
      const row: Record<string, Measurement> = {};
      const torch: Record<string, Measurement> = {};
      for (const { server } of servers) {
        torch[server.config.label] = await server.run(w.id, opts.budget, opts.warmup);
        log(`${w.id} torch [${server.config.label}]: ${show(torch[server.config.label]!)}`);
      }
      for (const c of contenders) {
        if (w.sweep === true && c.asShipped !== true) continue;
        const mo = { budget: opts.budget, warmup: opts.warmup };
        row[c.id] = opts.isolate
          ? await runIsolated(c.id, w.id, mo, opts.threads)
          : await c.run(w, mo);
        log(`${w.id} ${c.id}: ${show(row[c.id]!)}`);
      }
      const best = bestTorch(torch);
      if (best !== undefined) row.torch = best;
      results.push({
        id: w.id,
        title: w.title,
        ...(w.flops !== undefined ? { flops: w.flops } : {}),
        ...(w.batch !== undefined ? { batch: w.batch } : {}),
        ...(w.sweep === true ? { sweep: true } : {}),
        results: row,
        torch,
      });
    }
  } finally {
    for (const { server } of servers) server.close();
  }

  let rss: RunResults['rss'] = null;
  let rssTidy: RunResults['rss'] = null;
  if (opts.only === null || opts.only.includes('rss')) {
    log('RSS probe: 5,000 MLP steps as written ...');
    rss = await runRssProbe(5000);
    log(`RSS probe: ${JSON.stringify(rss)}`);
    rssTidy = await runRssProbe(5000, 'tidy');
    log(`RSS probe (tidy): ${JSON.stringify(rssTidy)}`);
  }

  const run: RunResults = {
    rss,
    rssTidy,
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    command: commandLine(process.argv.slice(2)),
    machine: m,
    load: { start: startLoad, end: load() },
    peak,
    versions,
    contenders: Object.fromEntries(contenders.map((c) => [c.id, c.detail])),
    unavailable,
    torchConfigs: servers.map((s) => ({ label: s.server.config.label, info: { ...s.info } })),
    workloads: results,
  };
  if (run.torchConfigs.length > 0) {
    run.contenders.torch = `best of ${run.torchConfigs.length} configurations; OpenBLAS kernels: ${[
      ...new Set(
        servers.map(
          (s) => `${s.info.openblas_coretype ?? 'unset'} → ${s.info.openblas_core ?? '?'}`,
        ),
      ),
    ].join(', ')}`;
  }

  if (opts.json !== null) writeFileSync(opts.json, JSON.stringify(run, null, 2) + '\n');
  if (opts.markdown === '') console.log(markdownReport(run));
  else {
    console.log(textReport(run));
    if (opts.markdown !== null) await writeMarkdown(opts.markdown, markdownReport(run));
  }
}

/** The command that reproduces the run (without where --json wrote its file). */
function commandLine(args: string[]): string {
  const kept = args.filter(
    (a, i) => a !== '--json' && !a.startsWith('--json=') && args[i - 1] !== '--json',
  );
  return `npm run bench${kept.length > 0 ? ` -- ${kept.join(' ')}` : ''}`;
}

function show(m: Measurement): string {
  return m.ok
    ? `${(m.median * 1e3).toPrecision(4)} ms (median of ${m.samples}×${m.batch})`
    : `failed: ${m.reason}`;
}

/**
 * Writes the report into `path` between the markers, or the whole file when it has none, formatted
 * by Prettier (the repository's lint checks Markdown too).
 */
async function writeMarkdown(path: string, report: string): Promise<void> {
  const block = `${BEGIN}\n${report}\n${END}`;
  const old = existsSync(path) ? readFileSync(path, 'utf8') : null;
  const a = old?.indexOf(BEGIN) ?? -1;
  const b = old?.indexOf(END) ?? -1;
  let text =
    old !== null && a >= 0 && b > a
      ? old.slice(0, a) + block + old.slice(b + END.length)
      : `# Benchmarks\n\n${block}\n`;
  try {
    const prettier = await import('prettier');
    const config = (await prettier.resolveConfig(path)) ?? {};
    text = await prettier.format(text, { ...config, filepath: path });
  } catch {
    // Prettier is a devDependency; without it the file is written as generated.
  }
  writeFileSync(path, text);
  log(`wrote ${path}`);
}

await main();

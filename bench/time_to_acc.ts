// Time to accuracy on Fashion-MNIST: the whole `nabla train --data fashion-mnist --model cnn` run against the same network, data split, optimizer, schedule and batch size in PyTorch (bench/torch_fashion.py).
//
//   npm run build && npx tsx bench/time_to_acc.ts [--epochs N] [--target 0.93] [--data-dir DIR]
//       [--limit N] [--augment none|flip|flip-crop] [--only nabla|torch] [--openblas-coretype NAME]
//       [--json FILE] [-- <more nabla train flags>]
//
// nabla runs as a user runs it: the built CLI (dist/cli/main.js) in its own process with its
// defaults (those of the flags not given here), timed from spawn to exit (data loading and the test
// evaluation included). PyTorch runs bench/torch_fashion.py under /usr/bin/python3 with the run's
// epochs, learning rate, batch size, schedule and augmentation as the CLI resolves them
// (parseTrainArgs), and its fastest thread settings, chosen by timing 40 training steps under each
// of bench/torch.ts's configurations. Both report the test accuracy on the official test split;
// the table says whether each reached --target.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { load, machine } from './machine.js';
import { PYTHON, torchAvailable, torchConfigs, type TorchConfig } from './torch.js';
import { parseTrainArgs, type TrainConfig } from '../src/cli/train.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'dist', 'cli', 'main.js');
const TORCH_SCRIPT = join(ROOT, 'bench', 'torch_fashion.py');

const { values, positionals } = parseArgs({
  options: {
    epochs: { type: 'string' },
    target: { type: 'string', default: '0.93' },
    'data-dir': { type: 'string', default: '/usr/share/datasets/fashion-mnist' },
    limit: { type: 'string' },
    augment: { type: 'string' },
    only: { type: 'string' },
    'openblas-coretype': { type: 'string', default: 'Haswell' },
    json: { type: 'string' },
  },
  allowPositionals: true,
});

const target = Number(values.target);
const dataDir = values['data-dir'];
const limit = values.limit === undefined ? undefined : Number(values.limit);
const only = values.only;
/** The flags of the nabla run: those given here; the CLI's defaults for the rest. */
const trainFlags = [
  '--data',
  'fashion-mnist',
  '--model',
  'cnn',
  ...(values.epochs !== undefined ? ['--epochs', values.epochs] : []),
  ...(values.augment !== undefined ? ['--augment', values.augment] : []),
  ...(limit !== undefined ? ['--limit', String(limit)] : []),
  ...positionals,
];
// The run as the CLI resolves it, for PyTorch to repeat.
const resolved = parseTrainArgs([...trainFlags, '--data-dir', dataDir]);
if (resolved === 'help') process.exit(2);
const run: TrainConfig = resolved;
if (run.optimizer !== 'adam' || !['none', 'cosine', 'onecycle'].includes(run.scheduler)) {
  console.error('bench/torch_fashion.py repeats Adam with no, cosine or onecycle schedules only');
  process.exit(2);
}
const epochs = run.epochs;
if (only !== undefined && only !== 'nabla' && only !== 'torch') {
  console.error(`--only: expected nabla or torch, got '${only}'`);
  process.exit(2);
}

interface EpochRow {
  readonly epoch: number;
  readonly valAccuracy: number;
  readonly samplesPerSecond: number;
  readonly seconds: number;
}

interface RunResult {
  readonly who: string;
  readonly settings: string;
  readonly testAccuracy: number;
  readonly wallSeconds: number;
  readonly epochs: readonly EpochRow[];
}

/** Training samples per second over the whole run's epochs (time in the training loops only). */
function samplesPerSecond(r: RunResult): number {
  const rows = r.epochs;
  if (rows.length === 0) return NaN;
  return rows.reduce((a, e) => a + e.samplesPerSecond, 0) / rows.length;
}

function runNabla(): RunResult {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
  const out = mkdtempSync(join(tmpdir(), 'nabla-tta-'));
  const args = [CLI, 'train', ...trainFlags, '--data-dir', dataDir, '--out', out, '--quiet'];
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const wallSeconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`nabla train exited with ${r.status}: ${String(r.stdout)}`);
  const m = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')) as {
    epochs: EpochRow[];
    testAccuracy: number;
  };
  rmSync(out, { recursive: true, force: true });
  return {
    who: 'nabla',
    settings: `nabla train ${trainFlags.join(' ')}`,
    testAccuracy: m.testAccuracy,
    wallSeconds,
    epochs: m.epochs,
  };
}

function torchArgs(config: TorchConfig, extra: readonly string[]): string[] {
  return [
    TORCH_SCRIPT,
    '--data-dir',
    dataDir,
    '--epochs',
    String(epochs),
    '--lr',
    String(run.lr),
    '--batch-size',
    String(run.batchSize),
    '--scheduler',
    run.scheduler,
    '--augment',
    run.augment ?? 'none',
    '--seed',
    String(run.seed),
    '--threads',
    String(config.threads),
    ...(limit !== undefined ? ['--limit', String(limit)] : []),
    ...extra,
  ];
}

function fastestTorchConfig(): TorchConfig {
  let best: { config: TorchConfig; s: number } | undefined;
  for (const config of torchConfigs(values['openblas-coretype'], [1, 2])) {
    const r = spawnSync(PYTHON, torchArgs(config, ['--probe', '40']), { env: config.env });
    if (r.status !== 0) throw new Error(`torch_fashion.py --probe failed: ${String(r.stderr)}`);
    const s = (JSON.parse(String(r.stdout)) as { stepSeconds: number }).stepSeconds;
    console.log(`  PyTorch ${config.label}: ${(s * 1000).toFixed(2)} ms/step`);
    if (best === undefined || s < best.s) best = { config, s };
  }
  return best!.config;
}

function runTorch(): RunResult {
  const config = fastestTorchConfig();
  const t0 = performance.now();
  const r = spawnSync(PYTHON, torchArgs(config, []), {
    env: config.env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const wallSeconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`torch_fashion.py exited with ${r.status}`);
  const m = JSON.parse(String(r.stdout)) as {
    torch: string;
    openblasCore: string | null;
    epochs: EpochRow[];
    testAccuracy: number;
  };
  if (m.openblasCore === null)
    console.log(
      'warning: PyTorch is not on OpenBLAS (the reference BLAS is several times slower); ' +
        'Debian: apt-get install libopenblas0-pthread',
    );
  return {
    who: `PyTorch ${m.torch}`,
    settings: [
      `lr ${run.lr}`,
      `${run.scheduler} schedule`,
      `augment ${run.augment ?? 'none'}`,
      config.label,
      `OpenBLAS ${m.openblasCore ?? 'absent'}`,
    ].join(', '),
    testAccuracy: m.testAccuracy,
    wallSeconds,
    epochs: m.epochs,
  };
}

const mach = machine();
const before = load();
console.log(
  `Fashion-MNIST CNN, ${epochs} epochs${limit !== undefined ? `, first ${limit} training images` : ''}; ` +
    `${mach.cpu}, ${mach.cores} cores, ${mach.flags.join(' ')}; load ${before.map((x) => x.toFixed(2)).join(' ')}`,
);
const results: RunResult[] = [];
if (only !== 'torch') results.push(runNabla());
if (only !== 'nabla') {
  if (!torchAvailable()) console.log(`PyTorch: not available (${PYTHON} cannot import torch)`);
  else results.push(runTorch());
}
const after = load();

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
console.log(`\nload at the end ${after.map((x) => x.toFixed(2)).join(' ')}\n`);
console.log(
  '| run | settings | test accuracy | reached target | wall time | samples/s (training) |',
);
console.log('|---|---|---|---|---|---|');
for (const r of results) {
  console.log(
    `| ${r.who} | ${r.settings} | ${pct(r.testAccuracy)} | ${r.testAccuracy >= target ? 'yes' : 'no'} (${pct(target)}) | ${r.wallSeconds.toFixed(1)} s | ${Math.round(samplesPerSecond(r))} |`,
  );
}
if (results.length === 2) {
  const [n, t] = results as [RunResult, RunResult];
  console.log(`\nnabla / PyTorch wall time: ${(n.wallSeconds / t.wallSeconds).toFixed(2)}×`);
}
if (values.json !== undefined) {
  writeFileSync(
    values.json,
    `${JSON.stringify({ machine: mach, load: { before, after }, epochs, target, limit, results }, null, 2)}\n`,
  );
}

// Runs one JavaScript contender on one workload in a process of its own and prints the measurement
// as JSON: V8's optimised code and heap then hold only what that contender ran, as in a user's
// program (in one shared process, whichever backend runs first warms and shapes the shared paths).
//
//   node worker.js CONTENDER WORKLOAD BUDGET WARMUP THREADS      (bench/run.ts spawns it)
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { nablaContenders, shippedContenders, tfjsContenders } from './contenders.js';
import type { Measurement, MeasureOptions } from './harness.js';
import { WORKLOADS } from './workloads/index.js';

/** Spawns this file for `contender` × `workload` and returns what it prints. */
export function runIsolated(
  contender: string,
  workload: string,
  opts: Required<Pick<MeasureOptions, 'budget' | 'warmup'>>,
  threads: number,
): Promise<Measurement> {
  const self = fileURLToPath(import.meta.url);
  const args = [contender, workload, String(opts.budget), String(opts.warmup), String(threads)];
  return new Promise((resolve) => {
    // execArgv carries tsx's loader when the benchmark runs from the TypeScript sources.
    const child = spawn(process.execPath, [...process.execArgv, self, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
    child.on('close', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(line) as Measurement);
      } catch {
        const why = err.trim().split('\n').filter(Boolean).pop() ?? `exit code ${code}`;
        resolve({ ok: false, reason: `worker failed: ${why.slice(0, 160)}` });
      }
    });
  });
}

async function main(argv: string[]): Promise<void> {
  const [contender = '', workload = '', budget = '2', warmup = '2', threads = '2'] = argv;
  const w = WORKLOADS.find((x) => x.id === workload);
  if (w === undefined) throw new Error(`unknown workload ${workload}`);
  const list = contender.startsWith('tfjs-')
    ? ((await tfjsContenders())?.contenders ?? [])
    : contender === 'nabla' || contender === 'nabla-tidy'
      ? await shippedContenders()
      : (await nablaContenders(Number(threads))).contenders;
  const c = list.find((x) => x.id === contender);
  const m: Measurement =
    c === undefined
      ? { ok: false, reason: `${contender} is unavailable` }
      : await c.run(w, { budget: Number(budget), warmup: Number(warmup) });
  console.log(JSON.stringify(m));
  // The wasm backend's workers and tfjs keep handles open; the answer is out, so leave now.
  process.exit(0);
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  await main(process.argv.slice(2));
}

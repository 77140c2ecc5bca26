// The memory probe of `npm run bench`: the MLP step written as a user writes it (default import, no
// tidy(), loss.item() each step) for 5,000 steps; RSS after the first 500 and at most after that.
// The same loop inside tidy() is run too, for comparison.
//
//   node rss.js [STEPS]      (bench/run.ts spawns it and reads the JSON line it prints)
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface RssResult {
  readonly backend: string;
  /** The step as written, or inside tidy() (for comparison). */
  readonly style: 'as-written' | 'tidy';
  readonly steps: number;
  /** RSS in bytes after the first 500 steps (the baseline), and the most seen after them. */
  readonly baseline: number;
  readonly max: number;
  readonly end: number;
  /** (max − baseline) ÷ baseline. */
  readonly growth: number;
  readonly msPerStep: number;
}

/** Spawns this file and returns its result (null when it failed). */
export function runRssProbe(
  steps: number,
  style: RssResult['style'] = 'as-written',
): Promise<RssResult | { error: string }> {
  const self = fileURLToPath(import.meta.url);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...process.execArgv, self, String(steps), style], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
    child.on('close', (code) => {
      try {
        resolve(JSON.parse(out.trim().split('\n').pop() ?? '') as RssResult);
      } catch {
        resolve({ error: err.trim().split('\n').pop() ?? `exit code ${code}` });
      }
    });
  });
}

async function main(steps: number, style: RssResult['style']): Promise<void> {
  const { getBackend, manualSeed, nn, optim, randint, randn, tidy } =
    await import('../src/entry/node.js');
  manualSeed(0);
  const model = new nn.Sequential(
    new nn.Linear(784, 256),
    new nn.ReLU(),
    new nn.Linear(256, 128),
    new nn.ReLU(),
    new nn.Linear(128, 10),
  );
  const optimizer = new optim.SGD(model.parameters(), { lr: 0.01 });
  const x = randn([128, 784]);
  const y = randint(0, 10, [128]);
  let baseline = 0;
  let max = 0;
  const t0 = performance.now();
  const step = () => {
    optimizer.zeroGrad();
    const loss = nn.functional.crossEntropy(model.forward(x), y);
    loss.backward();
    optimizer.step();
    loss.item();
  };
  for (let i = 1; i <= steps; i++) {
    if (style === 'tidy') tidy(step);
    else step();
    if (i % 100 === 0) {
      const rss = process.memoryUsage.rss();
      if (i === 500) baseline = rss;
      else if (i > 500) max = Math.max(max, rss);
    }
  }
  const msPerStep = (performance.now() - t0) / steps;
  const end = process.memoryUsage.rss();
  const result: RssResult = {
    backend: getBackend().name,
    style,
    steps,
    baseline,
    max,
    end,
    growth: (max - baseline) / baseline,
    msPerStep,
  };
  console.log(JSON.stringify(result));
  process.exit(0);
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  await main(Number(process.argv[2] ?? 5000), process.argv[3] === 'tidy' ? 'tidy' : 'as-written');
}

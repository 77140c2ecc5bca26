// Smoke test of bench/: the modules import, each workload's step runs once, the report renders.
// No timings are asserted here: they live in `npm run bench`.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { measure, median } from '../../bench/harness.js';
import { markdownReport, targets, textReport, type RunResults } from '../../bench/report.js';
import { PYTHON, torchAvailable } from '../../bench/torch.js';
import { WORKLOADS } from '../../bench/workloads/index.js';
import { seed } from '../../bench/workloads/seed.js';
import { sgemm } from '../../bench/workloads/sgemm.js';
import { setBackend } from '../../src/index.js';

describe('bench', () => {
  it('lists each workload once', () => {
    const ids = WORKLOADS.map((w) => w.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual([
      'sgemm-256',
      'sgemm-1024',
      'sgemm-2048',
      'mlp',
      'cnn',
      'seed',
      'relu',
      'cnn-b16',
      'cnn-b256',
      'cnn-b1024',
    ]);
    // The sweep rows are the CNN at other batch sizes, run by the default contenders only.
    expect(WORKLOADS.filter((w) => w.sweep === true).map((w) => w.batch)).toEqual([16, 256, 1024]);
  });

  it('runs the seed step and a small sgemm on nabla cpu, as written and in tidy()', () => {
    setBackend('cpu');
    for (const w of [seed, sgemm(16)]) {
      for (const style of ['as-written', 'tidy'] as const) {
        const r = w.nabla(style);
        r.step();
        r.dispose?.();
      }
    }
  });

  it('runs the seed step on tfjs cpu', async () => {
    const tf = await import('@tensorflow/tfjs');
    await tf.setBackend('cpu');
    const r = seed.tfjs(tf);
    r.step();
    r.dispose?.();
  });

  it('measure returns a median over samples', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    const m = measure(() => undefined, { budget: 0.01, warmup: 0.001 });
    expect(m.ok && m.samples >= 3).toBe(true);
  });

  it('renders the report and the targets', () => {
    const t = (median: number) => ({
      ok: true as const,
      median,
      min: median,
      samples: 3,
      batch: 1,
    });
    const run: RunResults = {
      date: '2026-01-01T00:00:00Z',
      command: 'npm run bench',
      machine: {
        cpu: 'test',
        cores: 2,
        flags: ['avx2'],
        node: 'v20',
        v8: '11',
        platform: 'linux-x64',
      },
      load: { start: [0, 0, 0], end: [0, 0, 0] },
      peak: { one: 100, many: 200, threads: 2, source: 'test' },
      versions: {},
      contenders: { 'nabla-native': 'avx2, 2 threads' },
      unavailable: {},
      torchConfigs: [{ label: '1 thread', info: {} }],
      workloads: [
        {
          id: 'sgemm-2048',
          title: 'sgemm 2048',
          flops: 2 * 2048 ** 3,
          results: {
            'nabla-native': t(0.1),
            'nabla-wasm': t(0.4),
            'tfjs-wasm': t(1),
            torch: t(0.1),
          },
          torch: { '1 thread': t(0.1) },
        },
        {
          id: 'mlp',
          title: 'MLP',
          results: {
            nabla: t(1.05e-3),
            'nabla-tidy': t(1e-3),
            'nabla-native': t(1e-3),
            'tfjs-wasm': { ok: false, reason: "Kernel 'X' not registered" },
            torch: t(2e-3),
          },
          torch: { '1 thread': t(2e-3) },
        },
        {
          id: 'cnn',
          title: 'CNN step, batch 64',
          batch: 64,
          results: { nabla: t(0.01), 'nabla-tidy': t(0.01), torch: t(0.012) },
          torch: { '1 thread': t(0.012) },
        },
        {
          id: 'cnn-b256',
          title: 'CNN step, batch 256',
          batch: 256,
          sweep: true,
          results: { nabla: t(0.05), 'nabla-tidy': t(0.04), torch: t(0.05) },
          torch: { '1 thread': t(0.05) },
        },
      ],
      rss: {
        backend: 'native',
        style: 'as-written',
        steps: 5000,
        baseline: 100 * 2 ** 20,
        max: 102 * 2 ** 20,
        end: 101 * 2 ** 20,
        growth: 0.02,
        msPerStep: 1,
      },
    };
    const tg = targets(run);
    expect(tg.find((x) => x.name.startsWith('native sgemm 2048'))?.met).toBe(true); // 172 of 200
    expect(tg.find((x) => x.name.startsWith('MLP step: nabla as written ÷ PyTorch'))?.met).toBe(
      true,
    );
    expect(tg.find((x) => x.name.startsWith('MLP step: nabla as written ÷ the same'))?.met).toBe(
      true,
    ); // 1.05×
    expect(tg.find((x) => x.name.startsWith('RSS'))?.met).toBe(true);
    // 6,400 samples/s at batch 64, then 5,120: a fall of 20%
    expect(tg.find((x) => x.name.startsWith('CNN step as written, batch'))?.met).toBe(false);
    expect(textReport(run)).toContain('Batch-size sweep');
    expect(textReport(run)).toContain('unsupported');
    expect(markdownReport(run)).toContain('| workload |');
  });

  it.skipIf(!torchAvailable())('torch_bench.py prints JSON', () => {
    const script = fileURLToPath(new URL('../../bench/torch_bench.py', import.meta.url));
    const r = spawnSync(
      PYTHON,
      [script, '--threads', '1', '--workloads', 'seed', '--budget', '0.01', '--warmup', '0.01'],
      {
        encoding: 'utf8',
      },
    );
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as { results: Record<string, { ok: boolean }> };
    expect(out.results.seed?.ok).toBe(true);
  });
});

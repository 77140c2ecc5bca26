// Regression tests for `nabla train --data file.csv` (issue 13, defect 8): integer labels keep their
// values, any other label mapping is saved with the model and reused (resume, export, explain), and
// NaN/Infinity cells are an error naming the file and line unless --allow-nonfinite.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadData } from '../../src/cli/datasets.js';
import { parseExplainArgs, runExplain, type ExplainConfig } from '../../src/cli/explain.js';
import { runExport } from '../../src/cli/export.js';
import { buildModel } from '../../src/cli/models.js';
import { parseTrainArgs, train, type TrainConfig } from '../../src/cli/train.js';
import { DataError } from '../../src/errors.js';
import { noGrad } from '../../src/autograd/grad_mode.js';
import { loadCheckpoint } from '../../src/node/checkpoint.js';
import { load, loadStateDict } from '../../src/node/io.js';
import type { Tensor } from '../../src/tensor.js';
import { nabla, tmp } from '../helpers/cli.js';

const SILENT = { write: () => true };

/** A CSV of two well-separated classes: x1 > 0 is `hi`, x1 < 0 is `lo` (deterministic). */
function twoClasses(path: string, lo: string, hi: string, n = 80, column = 'label'): string[] {
  const rows = ['x1,x2,' + column];
  const labels: string[] = [];
  for (let i = 0; i < n; i++) {
    const label = i % 2 === 0 ? lo : hi;
    const x1 = (label === hi ? 3 : -3) + Math.sin(i * 7.1);
    rows.push(`${x1.toFixed(3)},${Math.cos(i * 3.3).toFixed(3)},${label}`);
    labels.push(label);
  }
  writeFileSync(path, `${rows.join('\n')}\n`);
  return labels;
}

async function trainCsv(csv: string, extra: string[] = []): Promise<{ out: string; acc: number }> {
  const out = tmp();
  const cfg = parseTrainArgs([
    ...['--data', csv, '--model', 'mlp-small', '--epochs', '15', '--batch-size', '16'],
    ...['--lr', '0.01', '--backend', 'cpu', '--quiet', '--out', out, ...extra],
  ]) as TrainConfig;
  const r = await train(cfg, SILENT, () => false);
  return { out, acc: r.testAccuracy! };
}

describe('nabla train --data file.csv: class labels', () => {
  it('numeric labels keep their values: the saved model predicts the real labels', async () => {
    const dir = tmp();
    const csv = join(dir, 'numeric.csv');
    twoClasses(csv, '2', '10');
    const { out, acc } = await trainCsv(csv);
    expect(acc).toBeGreaterThanOrEqual(0.9);
    // The model has 11 outputs (labels 0..10); its argmax is the label itself, not an index into
    // the labels sorted as text ("10" < "2").
    const data = loadData(csv, {});
    expect(data.numClasses).toBe(11);
    expect(data.labels).toBeUndefined();
    const model = buildModel('mlp-small', data.inputShape, 11);
    loadStateDict(model, join(out, 'model.safetensors'), { strict: true });
    model.eval();
    let right = 0;
    let total = 0;
    for (const split of [data.train, data.val, data.test]) {
      for (let i = 0; i < split.length; i++) {
        const [x, y] = split.get(i);
        const k = noGrad(() =>
          (model.forward as (t: Tensor) => Tensor)(x!.unsqueeze(0)).argmax(1).item(),
        );
        const label = y!.item();
        expect([2, 10]).toContain(label);
        if (k === label) right++;
        total++;
      }
    }
    expect(right / total).toBeGreaterThanOrEqual(0.9);
    // export --run rebuilds the same 11-class model from the run's files.
    await runExport({ run: out, opset: '17', batch: '2' }, SILENT);
  });

  it('text labels: the mapping is saved with the model and reused by resume, export and explain', async () => {
    const dir = tmp();
    const csv = join(dir, 'text.csv');
    twoClasses(csv, 'setosa', 'iris-b', 80, 'species');
    const { out } = await trainCsv(csv, ['--stop-after', '30']);
    const labels = ['iris-b', 'setosa'];
    // In the run's saved config (checkpoint and metrics.json).
    const ckpt = loadCheckpoint(join(out, 'checkpoint.safetensors'));
    expect((ckpt.extra as { config: { labels: string[] } }).config.labels).toEqual(labels);
    const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')) as {
      config: { labels: string[] };
    };
    expect(metrics.config.labels).toEqual(labels);

    // Resume finishes the run with the saved mapping, and the weights carry it.
    const resumed = parseTrainArgs([
      '--resume',
      join(out, 'checkpoint.safetensors'),
      '--quiet',
    ]) as TrainConfig;
    expect(resumed.labels).toEqual(labels);
    const r = await train(resumed, SILENT, () => false);
    expect(r.testAccuracy).toBeGreaterThanOrEqual(0.9);
    expect(JSON.parse(load(join(out, 'model.safetensors')).metadata!['nabla.labels']!)).toEqual(
      labels,
    );

    // export: the ONNX file says which label each logit is.
    const onnx = join(dir, 'model.onnx');
    await runExport({ run: out, out: onnx, opset: '17', batch: '2' }, SILENT);
    expect(readFileSync(onnx).toString('latin1')).toContain('["iris-b","setosa"]');

    // explain: --label by name, with the run's weights.
    const text: string[] = [];
    const cfg = parseExplainArgs([
      ...['--model', 'mlp-small', '--weights', join(out, 'model.safetensors')],
      ...['--input', '[[1, 0]]', '--label', '["setosa"]'],
    ]) as ExplainConfig;
    await runExplain(cfg, { write: (s: string) => text.push(s) });
    expect(text.join('')).toMatch(/cross-entropy/);

    // A label the run never saw is an error naming the line, not a silent new class index.
    writeFileSync(csv, `${readFileSync(csv, 'utf8')}0.5,0.5,versicolor\n`);
    const again = parseTrainArgs(['--resume', join(out, 'checkpoint.safetensors')]) as TrainConfig;
    await expect(train(again, SILENT, () => false)).rejects.toThrow(
      /text\.csv: line 82: the label "versicolor" is not one of the run's classes/,
    );
  });
});

describe('nabla train --data file.csv: NaN and Infinity cells', () => {
  const file = (dir: string) => {
    const csv = join(dir, 'holes.csv');
    writeFileSync(csv, 'a,b,label\n1,2,0\n3,4,1\n\n5,nan,0\n7,8,1\n-inf,9,0\n');
    return csv;
  };

  it('are an error naming the file, line and column', () => {
    const csv = file(tmp());
    expect(() => loadData(csv, {})).toThrow(DataError);
    expect(() => loadData(csv, {})).toThrow(
      /holes\.csv: line 5: NaN in column "b".*--allow-nonfinite/,
    );
    const r = nabla(['train', '--data', csv, '--out', tmp(), '--backend', 'cpu']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^nabla: \S*holes\.csv: line 5: NaN in column "b"/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('are kept with --allow-nonfinite (the statistics skip them)', () => {
    const data = loadData(file(tmp()), { allowNonFinite: true });
    const rows = [data.train, data.val, data.test].flatMap((s) =>
      Array.from({ length: s.length }, (_, i) => s.get(i)[0]!.tolist() as number[]),
    );
    const cells = rows.flat();
    expect(cells.filter((v) => Number.isNaN(v))).toHaveLength(1);
    expect(cells.filter((v) => v === -Infinity)).toHaveLength(1);
    expect(cells.filter((v) => Number.isFinite(v))).toHaveLength(8);
    expect(parseTrainArgs(['--data', 'x.csv', '--allow-nonfinite'])).toMatchObject({
      allowNonFinite: true,
    });
  });

  it('a NaN label is an error naming the line', () => {
    const csv = join(tmp(), 'badlabel.csv');
    writeFileSync(csv, 'a,label\n1,0\n2,NaN\n');
    expect(() => loadData(csv, {})).toThrow(/badlabel\.csv: line 3: the label "NaN"/);
  });
});

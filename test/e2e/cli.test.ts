// End-to-end tests of the nabla command: spawned processes, their output, exit codes and the files they write.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildModel } from '../../src/cli/models.js';
import { loadCheckpoint } from '../../src/node/checkpoint.js';
import { loadStateDict } from '../../src/node/io.js';
import { CLI, ROOT, nabla, tmp } from '../helpers/cli.js';

const FASHION = '/usr/share/datasets/fashion-mnist';

describe('nabla --help and usage errors', () => {
  it('prints help and exits 0', () => {
    for (const args of [['--help'], ['train', '--help'], ['info', '--help']]) {
      const r = nabla(args);
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stdout).toMatch(/Usage: nabla/);
    }
    expect(nabla(['train', '--help']).stdout).toMatch(/--batch-size <n>/);
  });

  it('bad flags and values give a usage message and exit code 2', () => {
    for (const args of [
      ['train', '--bogus'],
      ['train', '--epochs', '0'],
      ['train', '--model', 'resnet999'],
      ['train', '--lr', 'fast'],
      ['frobnicate'],
      [],
    ]) {
      const r = nabla(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr + r.stdout).toMatch(/Usage: nabla/);
    }
    expect(nabla(['train', '--bogus']).stderr).toMatch(/^nabla: Unknown option '--bogus'\./);
  });

  it('info lists the backends with versions', () => {
    const r = nabla(['info']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/cpu\s+1\s+available/);
    expect(r.stdout).toMatch(/--backend auto uses: (native|wasm|cpu)/);
  });
});

describe('nabla train', () => {
  it('trains an MLP on the embedded digits to at least 95%, writing weights and metrics', () => {
    const out = tmp();
    const r = nabla(['train', '--epochs', '8', '--lr', '0.003', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    // Not a terminal: one plain line per epoch, then the summary table.
    const epochLines = r.stdout.split('\n').filter((l) => /^epoch\s+\d+\/8 \[/.test(l));
    expect(epochLines).toHaveLength(8);
    expect(r.stdout).not.toMatch(/\r/);
    expect(epochLines[0]).toMatch(/loss \d+\.\d+ {2}acc \d+\.\d%.*samples\/s {2}val acc \d+\.\d+%/);
    expect(r.stdout).toMatch(
      /epoch\s+train loss\s+train acc\s+val loss\s+val acc\s+samples\/s\s+time/,
    );
    const acc = Number(/test accuracy: ([\d.]+)%/.exec(r.stdout)![1]);
    expect(acc).toBeGreaterThanOrEqual(95);

    const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')) as {
      epochs: { valAccuracy: number }[];
      testAccuracy: number;
      interrupted: boolean;
    };
    expect(metrics.epochs).toHaveLength(8);
    expect(metrics.testAccuracy * 100).toBeCloseTo(acc, 1);
    expect(metrics.interrupted).toBe(false);
    const csv = readFileSync(join(out, 'metrics.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe(
      'epoch,trainLoss,trainAccuracy,valLoss,valAccuracy,samplesPerSecond,seconds,lr',
    );
    expect(csv).toHaveLength(9);
    // The weights load strictly into the same preset.
    const model = buildModel('mlp', [1, 8, 8], 10);
    loadStateDict(model, join(out, 'model.safetensors'), { strict: true });
    const ckpt = loadCheckpoint(join(out, 'checkpoint.safetensors'));
    expect(ckpt.epoch).toBe(8);
  });

  it.skipIf(!existsSync(FASHION))('learns on a Fashion-MNIST subset', () => {
    const out = tmp();
    const r = nabla([
      'train',
      '--data',
      'fashion-mnist',
      '--limit',
      '3000',
      '--epochs',
      '2',
      '--out',
      out,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/fashion-mnist \(3000 train \/ 600 val \/ 600 test\)/);
    expect(Number(/test accuracy: ([\d.]+)%/.exec(r.stdout)![1])).toBeGreaterThanOrEqual(72);
  });

  it('Ctrl-C stops cleanly and keeps the last complete checkpoint', async () => {
    const out = tmp();
    const child = spawn(
      process.execPath,
      [...CLI, 'train', '--epochs', '500', '--backend', 'cpu', '--out', out],
      { cwd: ROOT },
    );
    let stdout = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      stdout += d;
      if (/^epoch\s+2\/500/m.test(stdout) && !child.killed) child.kill('SIGINT');
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(130);
    expect(stdout).toMatch(/interrupted: the checkpoint of epoch \d+ is kept/);
    const ckpt = loadCheckpoint(join(out, 'checkpoint.safetensors'));
    const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')) as {
      epochs: unknown[];
      interrupted: boolean;
    };
    expect(metrics.interrupted).toBe(true);
    expect(ckpt.epoch).toBe(metrics.epochs.length);
    expect(ckpt.epoch).toBeGreaterThanOrEqual(2);
    expect(existsSync(join(out, 'model.safetensors'))).toBe(false);
  });

  it('corrupt or missing data give clear errors', () => {
    const dir = tmp();
    const ragged = join(dir, 'ragged.csv');
    writeFileSync(ragged, 'a,b,label\n1,2,0\n3,1\n');
    let r = nabla(['train', '--data', ragged, '--out', dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^nabla: .*line 3/);
    r = nabla(['train', '--data', join(dir, 'nope.csv')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/unknown --data/);
    // A truncated IDX file where Fashion-MNIST is expected.
    const raw = join(dir, 'FashionMNIST', 'raw');
    spawnSync('mkdir', ['-p', raw]);
    const header = Buffer.from([0, 0, 8, 3, 0, 0, 0, 10, 0, 0, 0, 28, 0, 0, 0, 28]);
    for (const f of ['train-images-idx3-ubyte', 't10k-images-idx3-ubyte'])
      writeFileSync(join(raw, f), Buffer.concat([header, Buffer.alloc(100)]));
    for (const f of ['train-labels-idx1-ubyte', 't10k-labels-idx1-ubyte'])
      writeFileSync(
        join(raw, f),
        Buffer.from([0, 0, 8, 1, 0, 0, 0, 10, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0]),
      );
    r = nabla(['train', '--data', 'fashion-mnist', '--data-dir', dir, '--out', dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^nabla: .*(truncated|size|expected)/i);
  });
});

// Regression tests for `nabla train --resume` (issue 13, defect 9): the options given again are
// compared with the checkpoint's saved config and an incompatible resume is refused with every
// difference listed; what is safe to change (epochs, output...) may change; and `--resume <file>`
// alone takes the model, data and options from the checkpoint.
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseTrainArgs, train, type TrainConfig } from '../../src/cli/train.js';
import { ArgumentError } from '../../src/errors.js';
import { loadCheckpoint } from '../../src/node/checkpoint.js';
import { nabla, tmp } from '../helpers/cli.js';

const SILENT = { write: () => true };

// A tiny run unlike the defaults: mlp-small, SGD, batch 16 on 64 digits (4 steps per epoch).
const RUN = [
  ...['--model', 'mlp-small', '--optimizer', 'sgd', '--batch-size', '16', '--limit', '64'],
  ...['--epochs', '2', '--lr', '0.02', '--backend', 'cpu', '--quiet'],
];

async function trainRun(args: readonly string[], out?: string[]): Promise<TrainConfig> {
  const cfg = parseTrainArgs(args) as TrainConfig;
  await train(cfg, out ? { write: (s: string) => out.push(s) } : SILENT, () => false);
  return cfg;
}

let ckpt = '';

beforeAll(async () => {
  const out = tmp();
  await trainRun([...RUN, '--stop-after', '3', '--out', out]);
  ckpt = join(out, 'checkpoint.safetensors');
  expect(loadCheckpoint(ckpt).step).toBe(3);
});

describe('nabla train --resume', () => {
  it('refuses other options than the checkpoint run, listing every difference', () => {
    let err: unknown;
    try {
      parseTrainArgs(['--resume', ckpt, '--batch-size', '32', '--optimizer', 'adam']);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ArgumentError);
    const msg = (err as Error).message;
    expect(msg).toMatch(/--batch-size 32 {2}\(the checkpoint's run: 16\)/);
    expect(msg).toMatch(/--optimizer adam {2}\(the checkpoint's run: sgd\)/);
    expect(msg).toMatch(/only --epochs, --steps/);
    for (const args of [
      ['--model', 'mlp'],
      ['--data', 'fashion-mnist'],
      ['--lr', '0.5'],
      ['--scheduler', 'step'],
      ['--limit', '128'],
    ])
      expect(() => parseTrainArgs(['--resume', ckpt, ...args]), args.join(' ')).toThrow(
        new RegExp(`${args[0]} ${args[1]} {2}\\(the checkpoint's run: `),
      );
  });

  it('the same options again, or safe ones (epochs, seed, out), are accepted', () => {
    expect(() => parseTrainArgs([...RUN, '--resume', ckpt])).not.toThrow();
    const cfg = parseTrainArgs(['--resume', ckpt, '--epochs', '3', '--seed', '7', '--out', tmp()]);
    expect(cfg).toMatchObject({ epochs: 3, seed: 7, batchSize: 16, optimizer: 'sgd' });
  });

  it('--resume <checkpoint> alone takes the model, data and options from the checkpoint', async () => {
    const cfg = parseTrainArgs(['--resume', ckpt, '--quiet']) as TrainConfig;
    expect(cfg).toMatchObject({
      data: 'digits',
      model: 'mlp-small',
      optimizer: 'sgd',
      batchSize: 16,
      limit: 64,
      lr: 0.02,
      epochs: 2,
      backend: 'cpu',
      stopAfter: undefined,
      // It continues in the run's own folder.
      out: dirname(ckpt),
    });
    const log: string[] = [];
    const r = await train(cfg, { write: (s: string) => log.push(s) }, () => false);
    expect(r.metrics).toHaveLength(2);
    expect(loadCheckpoint(ckpt).step).toBe(8);
    expect(r.testAccuracy).toBeDefined();

    // Resuming the finished run says so instead of silently training 0 steps.
    const done: string[] = [];
    await trainRun(['--resume', ckpt], done);
    expect(done.join('')).toMatch(/already complete \(8 of 8 steps\)/);
  });

  it('the one-cycle schedule, planned over the whole run, keeps its length', async () => {
    const out = tmp();
    await trainRun([...RUN, '--scheduler', 'onecycle', '--stop-after', '2', '--out', out]);
    const path = join(out, 'checkpoint.safetensors');
    expect(() => parseTrainArgs(['--resume', path, '--epochs', '5'])).toThrow(
      /--epochs 5 {2}\(the checkpoint's run: 2\): the onecycle schedule/,
    );
    expect(() => parseTrainArgs(['--resume', path])).not.toThrow();
  });

  it('the command exits 1 with the differences, without a stack trace', () => {
    const r = nabla(['train', '--resume', ckpt, '--batch-size', '64', '--out', tmp()]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^nabla: --resume .*these options differ/);
    expect(r.stderr).toMatch(/--batch-size 64 {2}\(the checkpoint's run: 16\)/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stdout).toBe('');
  });
});

// Exact resume: a run stopped at step k in its own process and resumed (under another seed) ends
// bitwise equal to an uninterrupted run; removing any one saved component breaks that.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseTrainArgs, train, type TrainConfig } from '../../src/cli/train.js';
import { CLI, ROOT, tmp } from '../helpers/cli.js';
import { loadCheckpoint, saveCheckpoint, type Checkpoint } from '../../src/node/checkpoint.js';

// Adam (the default), dropout, shuffled and augmented data, a one-cycle schedule; 20 batches per
// epoch, so the stop at k = 30 falls inside the second epoch.
const COMMON = [
  '--model',
  'mlp-dropout',
  '--augment',
  'flip-crop',
  '--scheduler',
  'onecycle',
  '--batch-size',
  '64',
  '--steps',
  '60',
  '--backend',
  'cpu',
  '--quiet',
];
const K = '30';

async function run(args: string[]): Promise<{ out: string; losses: number[] }> {
  const out = tmp();
  await train(
    parseTrainArgs([...COMMON, ...args, '--out', out]) as TrainConfig,
    { write: () => true },
    () => false,
  );
  const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')) as {
    stepLosses: number[];
  };
  return { out, losses: metrics.stepLosses };
}

const weights = (out: string) => readFileSync(join(out, 'model.safetensors'));

describe('resume', () => {
  it('is bitwise exact, and needs every saved component', async () => {
    const a = await run(['--seed', '0']);
    expect(a.losses).toHaveLength(60);

    // Run B: k steps in a process of its own, which saves and exits.
    const bOut = tmp();
    const b = spawnSync(
      process.execPath,
      [...CLI, 'train', ...COMMON, '--seed', '0', '--stop-after', K, '--out', bOut],
      { cwd: ROOT, encoding: 'utf8' },
    );
    expect(b.status, b.stderr).toBe(0);
    const ckptPath = join(bOut, 'checkpoint.safetensors');
    const ckpt = loadCheckpoint(ckptPath);
    expect([ckpt.step, ckpt.epoch, ckpt.batchInEpoch]).toEqual([30, 1, 10]);

    // Run C: everything built under another seed, then B's checkpoint loaded.
    const c = await run(['--seed', '999', '--resume', ckptPath]);
    expect(c.losses).toEqual(a.losses);
    expect(weights(c.out).equals(weights(a.out))).toBe(true);

    // Without any one component the result differs.
    const drop: Record<string, (c: Record<string, unknown>) => void> = {
      model: (c) => (c.model = {}),
      optimizer: (c) => delete c.optimizer,
      scheduler: (c) => delete c.scheduler,
      'global rng': (c) => delete (c.rng as Record<string, unknown>).global,
      'loader rng': (c) => delete (c.rng as Record<string, unknown>).loader,
      'data position': (c) => {
        delete c.epoch;
        delete c.step;
        delete c.batchInEpoch;
      },
    };
    for (const [name, remove] of Object.entries(drop)) {
      const partial: Record<string, unknown> = { ...ckpt, rng: { ...ckpt.rng } };
      remove(partial);
      const path = join(tmp(), 'partial.safetensors');
      saveCheckpoint(path, partial as unknown as Checkpoint);
      // A missing component either changes the trajectory or breaks the run (e.g. the one-cycle
      // schedule stepping past its end when the data position is lost); both show it is needed.
      const same = await run(['--seed', '999', '--resume', path]).then(
        (v) => weights(v.out).equals(weights(a.out)),
        () => false,
      );
      expect(same, `without ${name}`).toBe(false);
    }
  });
});

// Regenerates the pictures of docs/tutorial.md in docs/images/ (and prints the reports the tutorial quotes):
// npx tsx scripts/make-tutorial-images.ts
import { copyFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { demos, TUTORIAL_STEPS } from '../examples/gradient_health.js';
import { lrFindCommand } from '../src/cli/lr_find.js';
import { parseTrainArgs, train } from '../src/cli/train.js';
import { gradNormSpec, stepLossSpec } from '../src/diagnostics/plots.js';
import { writePlot } from '../src/node/plots.js';

const OUT = new URL('../docs/images/', import.meta.url).pathname;
mkdirSync(OUT, { recursive: true });
const say = (s: string) => process.stdout.write(`${s}\n`);

// 1. Vanishing gradients: 20 sigmoid layers with N(0, 0.1²) weights, and the fix.
const vanishing = demos.vanishing(TUTORIAL_STEPS.vanishing);
await writePlot(
  join(OUT, 'vanishing-grad-norms.svg'),
  gradNormSpec(vanishing.monitor, {
    title: '20 sigmoid layers, weights ~ N(0, 0.1²): the gradient vanishes',
  }),
);
say(`==== vanishing\n${vanishing.monitor.report().text}\n`);
const fixed = demos.fixedVanishing(TUTORIAL_STEPS.fixedVanishing);
await writePlot(
  join(OUT, 'fixed-grad-norms.svg'),
  gradNormSpec(fixed.monitor, { title: '20 ReLU layers, Kaiming init, BatchNorm: healthy' }),
);
say(`==== fixed\n${fixed.monitor.report().text}\n`);

// 2. Exploding gradients and the fix: the loss per step of the fixed run.
const exploding = demos.exploding(TUTORIAL_STEPS.exploding);
say(`==== exploding\n${exploding.monitor.report().text}\n`);
const calmed = demos.fixedExploding(TUTORIAL_STEPS.fixedExploding);
await writePlot(
  join(OUT, 'exploding-fixed-loss.svg'),
  stepLossSpec(calmed.losses, {
    title: 'Large init, clipGradNorm_(…, 1) and lr 0.05: the loss falls',
  }),
);
say(`==== fixed exploding\n${calmed.monitor.report().text}\n`);

// 3. The LR finder on the digits MLP with Adam, as `nabla lr-find --plot` draws it.
await lrFindCommand(['--plot', join(OUT, 'lr-finder.svg')], process.stdout);

// 4. Training curves of `nabla train --plots` (digits MLP, 30 epochs).
const tmp = mkdtempSync(join(tmpdir(), 'nabla-tutorial-'));
const cfg = parseTrainArgs(['--out', tmp, '--plots', join(tmp, 'plots'), '--diagnose', '--quiet']);
if (cfg === 'help') throw new Error('unreachable');
await train(cfg, process.stdout, () => false);
for (const name of ['curves', 'loss-steps', 'grad-norms'])
  copyFileSync(join(tmp, 'plots', `${name}.svg`), join(OUT, `train-${name}.svg`));
say(`\npictures in ${OUT}`);

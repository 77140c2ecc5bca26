// nabla train's per-dataset defaults: the Fashion-MNIST CNN's recipe (12 epochs, Adam at 0.003,
// onecycle, flips) applies where no flag says otherwise, and only there.
import { describe, expect, it } from 'vitest';
import { parseTrainArgs } from '../../src/cli/train.js';

const FASHION_CNN = ['--data', 'fashion-mnist', '--model', 'cnn'];

describe('nabla train recipes', () => {
  it('the Fashion-MNIST CNN gets its tuned defaults', () => {
    expect(parseTrainArgs(FASHION_CNN)).toMatchObject({
      epochs: 12,
      lr: 0.003,
      optimizer: 'adam',
      scheduler: 'onecycle',
      augment: 'flip',
      batchSize: 128,
    });
  });

  it('each flag overrides its part of the recipe', () => {
    expect(
      parseTrainArgs([
        ...FASHION_CNN,
        '--epochs',
        '3',
        '--lr',
        '0.01',
        '--scheduler',
        'cosine',
        '--augment',
        'none',
      ]),
    ).toMatchObject({ epochs: 3, lr: 0.01, scheduler: 'cosine', augment: 'none' });
    // the recipe's learning rate is Adam's: other optimizers keep their own default
    expect(parseTrainArgs([...FASHION_CNN, '--optimizer', 'sgd'])).toMatchObject({
      lr: 0.05,
      scheduler: 'onecycle',
    });
    expect(parseTrainArgs([...FASHION_CNN, '--optimizer', 'adamw'])).toMatchObject({ lr: 0.001 });
  });

  it('other datasets and models keep the general defaults', () => {
    for (const args of [
      ['--data', 'fashion-mnist', '--model', 'mlp'],
      ['--data', 'mnist', '--model', 'cnn'],
      ['--data', 'digits', '--model', 'cnn'],
    ]) {
      expect(parseTrainArgs(args), args.join(' ')).toMatchObject({
        lr: 0.001,
        scheduler: 'cosine',
        augment: 'none',
      });
    }
    expect(parseTrainArgs(['--data', 'fashion-mnist', '--model', 'mlp'])).toMatchObject({
      epochs: 10,
    });
  });
});

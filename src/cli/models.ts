// Model presets for `nabla train`: MLPs for any input, CNNs for images. Names are the --model choices.
import * as nn from '../nn/index.js';

export const MODEL_NAMES = [
  'linear',
  'mlp',
  'mlp-dropout',
  'mlp-small',
  'mlp-deep',
  'cnn',
  'lenet',
] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

export const MODEL_HELP: Readonly<Record<ModelName, string>> = {
  linear: 'softmax regression: Flatten → Linear',
  mlp: 'Flatten → Linear(256) → ReLU → Linear(128) → ReLU → Linear',
  'mlp-dropout': 'the mlp with Dropout(0.2) after each hidden layer',
  'mlp-small': 'Flatten → Linear(64) → ReLU → Linear',
  'mlp-deep': 'four hidden layers of 256 with BatchNorm1d and ReLU',
  cnn: '2 × [Conv 3×3 → BatchNorm2d → ReLU → MaxPool 2] → Linear(128) → Dropout → Linear',
  lenet: 'LeNet-5: Conv 5×5 (6) → pool → Conv 5×5 (16) → pool → 120 → 84',
};

/** The shape of one input sample: [features] for tabular data, [channels, height, width] for images. */
export type InputShape = readonly number[];

function features(shape: InputShape): number {
  return shape.reduce((a, b) => a * b, 1);
}

function image(shape: InputShape, model: string): [number, number, number] {
  if (shape.length !== 3) {
    throw new Error(
      `--model ${model} needs image data ([channels, height, width]); this data has samples of shape [${shape.join(', ')}]`,
    );
  }
  return shape as [number, number, number];
}

/** Builds a preset for inputs of `inputShape` and `numClasses` outputs (logits). */
export function buildModel(name: ModelName, inputShape: InputShape, numClasses: number): nn.Module {
  const f = features(inputShape);
  switch (name) {
    case 'linear':
      return new nn.Sequential(new nn.Flatten(), new nn.Linear(f, numClasses));
    case 'mlp':
      return new nn.Sequential(
        new nn.Flatten(),
        new nn.Linear(f, 256),
        new nn.ReLU(),
        new nn.Linear(256, 128),
        new nn.ReLU(),
        new nn.Linear(128, numClasses),
      );
    case 'mlp-dropout':
      return new nn.Sequential(
        new nn.Flatten(),
        new nn.Linear(f, 256),
        new nn.ReLU(),
        new nn.Dropout(0.2),
        new nn.Linear(256, 128),
        new nn.ReLU(),
        new nn.Dropout(0.2),
        new nn.Linear(128, numClasses),
      );
    case 'mlp-small':
      return new nn.Sequential(
        new nn.Flatten(),
        new nn.Linear(f, 64),
        new nn.ReLU(),
        new nn.Linear(64, numClasses),
      );
    case 'mlp-deep': {
      const layers: nn.Module[] = [new nn.Flatten()];
      let width = f;
      for (let i = 0; i < 4; i++) {
        layers.push(new nn.Linear(width, 256), new nn.BatchNorm1d(256), new nn.ReLU());
        width = 256;
      }
      layers.push(new nn.Linear(width, numClasses));
      return new nn.Sequential(...layers);
    }
    case 'cnn': {
      const [c, h, w] = image(inputShape, name);
      const flat = 64 * Math.floor(Math.floor(h / 2) / 2) * Math.floor(Math.floor(w / 2) / 2);
      return new nn.Sequential(
        new nn.Conv2d(c, 32, 3, { padding: 1 }),
        new nn.BatchNorm2d(32),
        new nn.ReLU(),
        new nn.MaxPool2d(2),
        new nn.Conv2d(32, 64, 3, { padding: 1 }),
        new nn.BatchNorm2d(64),
        new nn.ReLU(),
        new nn.MaxPool2d(2),
        new nn.Flatten(),
        new nn.Linear(flat, 128),
        new nn.ReLU(),
        new nn.Dropout(0.25),
        new nn.Linear(128, numClasses),
      );
    }
    case 'lenet': {
      const [c, h, w] = image(inputShape, name);
      const side = (n: number) => Math.floor((Math.floor(n / 2) - 4) / 2);
      return new nn.Sequential(
        new nn.Conv2d(c, 6, 5, { padding: 2 }),
        new nn.ReLU(),
        new nn.MaxPool2d(2),
        new nn.Conv2d(6, 16, 5),
        new nn.ReLU(),
        new nn.MaxPool2d(2),
        new nn.Flatten(),
        new nn.Linear(16 * side(h) * side(w), 120),
        new nn.ReLU(),
        new nn.Linear(120, 84),
        new nn.ReLU(),
        new nn.Linear(84, numClasses),
      );
    }
  }
}

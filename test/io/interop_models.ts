// The models of test/fixtures/interop_safetensors.py built with nabla's nn (same key names and layouts).
import { linspace, manualSeed, nn, noGrad, type Tensor } from '../../src/index.js';
import { Conv2d } from '../../src/nn/layers/conv.js';
import { MaxPool2d } from '../../src/nn/layers/pooling.js';

export type Arch = 'mlp' | 'cnn' | 'lstm';
export const ARCHS: readonly Arch[] = ['mlp', 'cnn', 'lstm'];

/** The input shape each model is run on in the fixtures. */
export const INPUT_SHAPE: Record<Arch, number[]> = {
  mlp: [5, 4],
  cnn: [2, 3, 8, 8],
  lstm: [3, 5, 4],
};

class LSTMNet extends nn.Module {
  lstm = new nn.LSTM(4, 6, { numLayers: 2, batchFirst: true });
  fc = new nn.Linear(6, 3);
  forward(x: Tensor): Tensor {
    const [out] = this.lstm.forward(x);
    return this.fc.forward(out.select(1, -1));
  }
}

export function build(arch: Arch): nn.Module & { forward(x: Tensor): Tensor } {
  switch (arch) {
    case 'mlp':
      return new nn.Sequential(
        new nn.Linear(4, 16),
        new nn.ReLU(),
        new nn.Linear(16, 8),
        new nn.Tanh(),
        new nn.Linear(8, 3),
      );
    case 'cnn':
      return new nn.Sequential(
        new Conv2d(3, 8, 3, { padding: 1 }),
        new nn.BatchNorm2d(8),
        new nn.ReLU(),
        new MaxPool2d(2),
        new Conv2d(8, 4, 3, { groups: 2 }),
        new nn.Flatten(),
        new nn.Linear(4 * 2 * 2, 5),
      );
    case 'lstm':
      return new LSTMNet();
  }
}

/**
 * The model behind the committed golden files: seeded initialisation, and for the CNN fixed
 * BatchNorm statistics (nothing that depends on the arithmetic of training).
 */
export function goldenModel(arch: Arch): nn.Module & { forward(x: Tensor): Tensor } {
  manualSeed({ mlp: 11, cnn: 12, lstm: 13 }[arch]);
  const m = build(arch);
  if (arch === 'cnn') {
    const bn = (m as nn.Sequential).getSubmodule('1') as nn.BatchNorm2d;
    noGrad(() => {
      bn.weight!.copy_(linspace(0.5, 1.5, 8));
      bn.bias!.copy_(linspace(-0.25, 0.25, 8));
      bn.running_mean!.copy_(linspace(-0.5, 0.5, 8));
      bn.running_var!.copy_(linspace(0.5, 2, 8));
      bn.num_batches_tracked!.fill_(7);
    });
  }
  return m.eval();
}

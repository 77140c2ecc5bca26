// The networks of the demo's trouble lab and digits panel, and the deep MLP of the gradient-health
// demonstrations (examples/gradient_health.ts): browser-safe builders shared by the page's worker and Node.
import * as nn from '../nn/index.js';

export interface DeepMlpOptions {
  readonly depth: number;
  readonly width: number;
  readonly inFeatures: number;
  readonly classes: number;
  readonly activation: 'sigmoid' | 'tanh' | 'relu';
  /**
   * A fixed-std normal init ("naive"), Kaiming (He) normal init for ReLU, or Linear's own
   * default (PyTorch's kaiming-uniform with a = √5); the biases start at zero except with 'default'.
   */
  readonly init: { readonly std: number } | 'kaiming' | 'default';
  readonly batchNorm?: boolean;
}

const ACTIVATIONS = { sigmoid: nn.Sigmoid, tanh: nn.Tanh, relu: nn.ReLU } as const;

/** depth Linear layers (depth − 1 hidden), each hidden one followed by [BatchNorm1d] and the activation. */
export function deepMlp(o: DeepMlpOptions): nn.Sequential {
  const layers: nn.Module[] = [];
  for (let i = 0; i < o.depth; i++) {
    const last = i === o.depth - 1;
    const lin = new nn.Linear(i === 0 ? o.inFeatures : o.width, last ? o.classes : o.width);
    if (o.init !== 'default') {
      if (o.init === 'kaiming') nn.init.kaimingNormal_(lin.weight, { nonlinearity: 'relu' });
      else nn.init.normal_(lin.weight, 0, o.init.std);
      nn.init.zeros_(lin.bias!);
    }
    layers.push(lin);
    if (last) break;
    if (o.batchNorm) layers.push(new nn.BatchNorm1d(o.width));
    layers.push(new ACTIVATIONS[o.activation]());
  }
  return new nn.Sequential(...layers);
}

/** The digits panel's MLP: 64 pixels → 64 hidden ReLU units → 10 classes. */
export function digitsMlp(): nn.Sequential {
  return new nn.Sequential(new nn.Linear(64, 64), new nn.ReLU(), new nn.Linear(64, 10));
}

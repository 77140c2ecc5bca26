// Type-level test, compiled by `tsc -p .` (npm run typecheck) and never run: nn.Module is generic in its forward's input and output.
import { nn, type Tensor } from '../../src/index.js';

/** Code written against any model, as PyTorch's `def train(model: nn.Module)`. */
export function anyModel(model: nn.Module, x: Tensor, y: Tensor): number {
  return nn.functional.mseLoss(model.forward(x), y).item();
}

/** A model typed exactly: one Tensor in, one Tensor out. */
export function typedModel(model: nn.Module<[Tensor], Tensor>, x: Tensor): Tensor {
  // @ts-expect-error a Module<[Tensor], Tensor> takes one Tensor, not a number
  model.forward(1);
  return model.forward(x);
}

/** A user's module: its forward's types are its own, and it fits both signatures above. */
class TwoLayer extends nn.Module<[Tensor], Tensor> {
  readonly fc1 = new nn.Linear(2, 4);
  readonly fc2 = new nn.Linear(4, 1);
  forward(x: Tensor): Tensor {
    return this.fc2.forward(this.fc1.forward(x).relu());
  }
}

/** Sequential infers its input from its first module and its output from its last. */
export function sequentials(x: Tensor, y: Tensor): number {
  const mlp = new nn.Sequential(new nn.Linear(2, 8), new nn.ReLU(), new nn.Linear(8, 1));
  const out: Tensor = mlp.forward(x);
  typedModel(mlp, x);
  typedModel(new TwoLayer(), x);
  anyModel(new TwoLayer(), x, y);
  const rnn = new nn.Sequential(new nn.Linear(3, 3), new nn.LSTM(3, 4, { batchFirst: true }));
  const [seq, [h, c]] = rnn.forward(x);
  // @ts-expect-error a Sequential ending in an LSTM gives [output, [h, c]], not a Tensor
  const _t: Tensor = rnn.forward(x);
  // @ts-expect-error a Sequential starting with a Linear takes a Tensor
  mlp.forward('x');
  return out.sum().item() + seq.sum().item() + h.sum().item() + c.sum().item();
}

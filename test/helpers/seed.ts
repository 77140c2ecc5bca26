// The seed network (examples/seed.ts: Linear(2,2) → ReLU → Linear(2,1), MSE, SGD 0.01) trained a
// few steps on the default backend: the reference the browser and GPU tests compare against.
import { manualSeed, nn, optim, tensor } from '../../src/index.js';

export function seedRun(steps = 5): { losses: number[]; weight: number[][] } {
  manualSeed(0);
  const model = new nn.Sequential(new nn.Linear(2, 2), new nn.ReLU(), new nn.Linear(2, 1));
  const optimizer = new optim.SGD(model.parameters(), { lr: 0.01 });
  const criterion = new nn.MSELoss();
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) {
    optimizer.zeroGrad();
    const loss = criterion.forward(model.forward(tensor([[1.0, 2.0]])), tensor([[1.0]]));
    loss.backward();
    optimizer.step();
    losses.push(loss.item());
  }
  return { losses, weight: (model.get(0) as nn.Linear).weight.tolist() as number[][] };
}

// The seed network trained for many steps on its one example: watch the loss fall toward zero.
import { manualSeed, nn, optim, tensor, type Tensor } from '../src/index.js';

manualSeed(0);

class SimpleNN extends nn.Module {
  fc1 = new nn.Linear(2, 2);
  fc2 = new nn.Linear(2, 1);

  forward(x: Tensor): Tensor {
    return this.fc2.forward(nn.functional.relu(this.fc1.forward(x)));
  }
}

const model = new SimpleNN();
const criterion = new nn.MSELoss();
const optimizer = new optim.SGD(model.parameters(), { lr: 0.01 });
const inputs = tensor([[1.0, 2.0]]);
const labels = tensor([[1.0]]);

for (let step = 1; step <= 200; step++) {
  const loss = criterion.forward(model.forward(inputs), labels);
  optimizer.zeroGrad();
  loss.backward();
  optimizer.step();
  if (step === 1 || step % 20 === 0) {
    const l = loss.item() as number;
    console.log(
      `step ${String(step).padStart(3)}  loss ${l.toFixed(8)}  ${'#'.repeat(Math.round(40 * Math.min(1, l / 1.2)))}`,
    );
  }
}
console.log(
  `prediction after training: ${(model.forward(inputs).item() as number).toFixed(6)} (label 1)`,
);

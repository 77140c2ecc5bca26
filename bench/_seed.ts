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
const opt = new optim.SGD(model.parameters(), { lr: 0.01 });
const inputs = tensor([[1, 2]]);
const labels = tensor([[1]]);
const step = () => {
  const loss = criterion.forward(model.forward(inputs), labels);
  opt.zeroGrad();
  loss.backward();
  opt.step();
};
for (let i = 0; i < 2000; i++) step();
const t0 = performance.now();
const N = 5000;
for (let i = 0; i < N; i++) step();
console.log('seed step', (((performance.now() - t0) / N) * 1000).toFixed(1), 'us');

// The seed network, translated line for line from the PyTorch program in docs/seed.md.
// With manualSeed(0) (PyTorch: torch.manual_seed(0)) it prints exactly what PyTorch prints.
import { manualSeed, nn, optim, tensor, type Tensor } from '../src/index.js';

manualSeed(0);

class SimpleNN extends nn.Module {
  fc1 = new nn.Linear(2, 2);
  fc2 = new nn.Linear(2, 1);

  forward(x: Tensor): Tensor {
    x = nn.functional.relu(this.fc1.forward(x));
    x = this.fc2.forward(x);
    return x;
  }
}

const model = new SimpleNN();
const criterion = new nn.MSELoss();
const optimizer = new optim.SGD(model.parameters(), { lr: 0.01 });
const inputs = tensor([[1.0, 2.0]], { requiresGrad: true });
const labels = tensor([[1.0]]);
const outputs = model.forward(inputs);
const loss = criterion.forward(outputs, labels);
optimizer.zeroGrad();
loss.backward();
optimizer.step();
console.log(`Loss: ${loss.item()}`);

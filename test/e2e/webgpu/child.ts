// A program run by test/e2e/webgpu.test.ts in its own process: trains the seed network on webgpu
// (MODE=sync: item(); MODE=async: only await reads, as in a browser; MODE=destroyed: uses a tensor
// after the device is gone) and prints one JSON line. The process must exit by itself.
import { manualSeed, nn, optim, tensor } from '../../../src/index.js';
import { loadWebgpuBackend } from '../../../src/node/webgpu.js';

const mode = process.argv[2] ?? 'sync';
const gpu = await loadWebgpuBackend({ quiet: true, syncReads: mode !== 'async' });

manualSeed(0);
const model = new nn.Sequential(new nn.Linear(2, 2), new nn.ReLU(), new nn.Linear(2, 1));
model.to('webgpu');
const criterion = new nn.MSELoss();
const optimizer = new optim.SGD(model.parameters(), { lr: 0.01 });
const x = tensor([[1.0, 2.0]]).to('webgpu');
const y = tensor([[1.0]]).to('webgpu');
const losses: number[] = [];
let syncError = '';
for (let i = 0; i < 5; i++) {
  optimizer.zeroGrad();
  const loss = criterion.forward(model.forward(x), y);
  loss.backward();
  optimizer.step();
  if (mode === 'async') {
    try {
      loss.item();
    } catch (e) {
      syncError = (e as Error).message;
    }
    losses.push(await loss.itemAsync());
  } else {
    losses.push(loss.item());
  }
}
let destroyedError = '';
if (mode === 'destroyed') {
  gpu.destroy();
  try {
    x.add(1).sum().item();
  } catch (e) {
    destroyedError = `${(e as Error).name}: ${(e as Error).message}`;
  }
}
const hostCalls = Object.fromEntries(gpu.hostCalls);
console.log(JSON.stringify({ losses, adapter: gpu.version, syncError, destroyedError, hostCalls }));

// Trains a 2-4-1 network on XOR with nothing but tensors and autograd: forward, loss, backward, update.
import { manualSeed, noGrad, randn, tensor, zeros, type Tensor } from '../src/index.js';

manualSeed(0);
const x = tensor([
  [0, 0],
  [0, 1],
  [1, 0],
  [1, 1],
]);
const y = tensor([[0], [1], [1], [0]]);

// Parameters: leaves that require gradients.
const w1 = randn(2, 4).mul(0.5).requiresGrad_();
const b1 = zeros(4).requiresGrad_();
const w2 = randn(4, 1).mul(0.5).requiresGrad_();
const b2 = zeros(1).requiresGrad_();
const params = [w1, b1, w2, b2];
const lr = 0.5;

function forward(input: Tensor): Tensor {
  const h = input.matmul(w1).add(b1).tanh();
  return h.matmul(w2).add(b2).sigmoid();
}

for (let step = 0; step <= 2000; step++) {
  const pred = forward(x);
  const loss = pred.sub(y).square().mean(); // MSE
  for (const p of params) p.grad = null;
  loss.backward(); // chain rule, layer by layer, into every p.grad
  noGrad(() => {
    for (const p of params) p.sub_(p.grad!, { alpha: lr }); // w := w − η·∂L/∂w
  });
  if (step % 250 === 0)
    console.log(`step ${String(step).padStart(4)}  loss ${(loss.item() as number).toFixed(6)}`);
}

const out = noGrad(() => forward(x));
console.log('predictions:', out.tolist());
const correct = (out.gt(0.5).eq(y.gt(0.5)).all().item() as boolean)
  ? 'all four correct'
  : 'not all correct';
console.log(`XOR learned: ${correct}`);

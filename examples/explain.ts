// explain, graph export and anomaly mode on the seed network: `npx tsx examples/explain.ts [outDir]`
// prints the chain rule with real numbers and writes explain.html, seed-graph.dot and seed-graph.svg.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AnomalyError,
  autograd,
  explain,
  katexCss,
  manualSeed,
  nn,
  optim,
  recordGraph,
  tensor,
  toDot,
  toSvg,
  type Tensor,
} from '../src/node.js';

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

const outDir = process.argv[2] ?? 'runs/explain';
mkdirSync(outDir, { recursive: true });

const model = new SimpleNN();
const criterion = new nn.MSELoss();
const optimizer = new optim.SGD(model.parameters(), { lr: 0.01 });
const inputs = tensor([[1.0, 2.0]]);
const labels = tensor([[1.0]]);

// 1. explain: the whole step, told with the graph's own numbers.
const ex = explain(() => criterion.forward(model.forward(inputs), labels), {
  model,
  optimizer,
  names: { x: inputs, y: labels },
});
console.log(ex.toText());
writeFileSync(join(outDir, 'explain.html'), await ex.toHtml({ katexCss: katexCss() }));

// 2. The graph, with values and gradient norms, as DOT and as SVG laid out by Graphviz.
const loss = recordGraph(() => criterion.forward(model.forward(inputs), labels), { model });
const opts = { model, values: true, grads: true, names: { x: inputs } };
writeFileSync(join(outDir, 'seed-graph.dot'), toDot(loss, opts));
writeFileSync(join(outDir, 'seed-graph.svg'), await toSvg(loss, opts));

// 3. Anomaly mode: a division by zero in the forward pass is caught in backward, with its line.
const w = tensor([1, 2], { requiresGrad: true });
const d = tensor([1, 0], { requiresGrad: true });
try {
  autograd.detectAnomaly(() => w.div(d).sum().backward());
} catch (e) {
  if (!(e instanceof AnomalyError)) throw e;
  console.log(e.message.split('\n').slice(0, 8).join('\n'));
}
console.log(`\nwrote ${join(outDir, 'explain.html')}, seed-graph.dot and seed-graph.svg`);

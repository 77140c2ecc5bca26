// Graph export: DOT with op names, shapes, module-named parameters, values and gradient norms; SVG
// laid out by Graphviz (wasm) that parses as XML and holds every node.
import { describe, expect, it } from 'vitest';
import { recordGraph } from '../../src/diagnostics/record.js';
import { toDot, toSvg } from '../../src/diagnostics/graph.js';
import { nn, tensor, type Tensor } from '../../src/index.js';

class SimpleNN extends nn.Module {
  fc1 = new nn.Linear(2, 2);
  fc2 = new nn.Linear(2, 1);

  forward(x: Tensor): Tensor {
    return this.fc2.forward(nn.functional.relu(this.fc1.forward(x)));
  }
}

function seedNet() {
  const model = new SimpleNN();
  model.loadStateDict({
    'fc1.weight': tensor([
      [0.5, -0.25],
      [0.3, 0.8],
    ]),
    'fc1.bias': tensor([0.1, -0.2]),
    'fc2.weight': tensor([[0.7, -0.6]]),
    'fc2.bias': tensor([0.05]),
  });
  const x = tensor([[1, 2]]);
  const y = tensor([[1]]);
  const loss = recordGraph(() => nn.functional.mseLoss(model.forward(x), y), { model });
  return { model, loss };
}

describe('toDot', () => {
  it('draws ops with names and shapes, parameters by module path, arrows towards the output', () => {
    const { model, loss } = seedNet();
    const dot = toDot(loss, { model });
    expect(dot.startsWith('digraph autograd {')).toBe(true);
    for (const s of [
      'LinearBackward\\nlinear → 1×2',
      'ReluBackward\\nrelu → 1×2',
      'DivBackward\\ndiv → scalar',
    ])
      expect(dot).toContain(s);
    for (const p of ['fc1.weight\\n2×2', 'fc1.bias\\n2', 'fc2.weight\\n1×2', 'fc2.bias\\n1'])
      expect(dot).toContain(p);
    expect(dot).toContain('(fc1)');
    expect(dot).toContain('(fc2, model)');
    // 7 ops (a Linear is one) + 4 parameters + the output, and one edge per input that needs grad
    // (+ the output's).
    expect(dot.match(/^\s+n\d+ \[label=/gm)).toHaveLength(11);
    expect(dot.match(/->/g)).toHaveLength(11 + 1);
    expect(dot).not.toContain('‖grad‖');
  });

  it('adds values of small tensors and gradient norms, without touching .grad', () => {
    const { model, loss } = seedNet();
    const dot = toDot(loss, { model, values: true, grads: true });
    expect(dot).toContain('fc1.bias\\n2\\n[0.1, -0.2]');
    expect(dot).toContain('ReluBackward\\nrelu → 1×2\\n[[0.1, 1.7]]');
    // The norm of ∂L/∂fc2.bias equals what backward() then puts in .grad.
    expect(model.fc2.bias!.grad).toBeNull();
    loss.backward();
    const g = Math.abs(model.fc2.bias!.grad!.item() as number);
    expect(dot).toContain(`fc2.bias\\n1\\n[0.05]\\n‖grad‖ = ${Number(g.toPrecision(6))}`);
  });

  it('falls back to the leaves’ .grad norms after backward freed the graph', () => {
    const { model, loss } = seedNet();
    loss.backward();
    const dot = toDot(loss, { model, grads: true });
    expect(dot).toMatch(/fc2\.weight\\n1×2\\n‖grad‖ = [\d.]+/);
    expect(() => toDot(tensor([1]))).toThrow('no autograd graph');
  });
});

describe('toSvg', () => {
  it('lays the graph out with Graphviz into well-formed SVG', async () => {
    const { model, loss } = seedNet();
    const svg = await toSvg(loss, { model, values: true, grads: true });
    expect(svg).toContain('<svg');
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    expect(svg.match(/<g id="node\d+" class="node">/g)).toHaveLength(12);
    expect(svg.match(/<g id="edge\d+" class="edge">/g)).toHaveLength(12);
    expect(svg).toContain('fc1.weight');
    // Well-formed: every opened element is closed (a cheap XML check without a parser).
    const opened = svg.match(/<(?!\/|\?|!)[a-zA-Z][^>]*[^/]>/g)?.length ?? 0;
    const closed = svg.match(/<\/[a-zA-Z]+>/g)?.length ?? 0;
    expect(opened).toBe(closed);
  });
});

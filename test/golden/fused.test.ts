// Golden tests for the fused paths: the Sequential blocks run as one product with the activation stored (Linear → ReLU / GELU, Conv1d/Conv2d → ReLU), and elementwise chains under autograd; PyTorch's values and gradients, and the fused ops actually run.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getBackend, nn, noGrad, tensor, type Tensor } from '../../src/index.js';
import { setFusionThreshold } from '../../src/ops/fusion.js';
import { withOpTracer } from '../../src/ops/trace.js';

interface Enc {
  shape: number[];
  data: number[];
}
interface Case {
  name: string;
  modules: [string, number[], Record<string, unknown>][];
  state: Record<string, Enc>;
  x: Enc;
  grad: boolean;
  reluOps: number;
  erfOps: number;
  out: Enc;
  upstream: Enc;
  gradX: Enc | null;
  gradParams: Record<string, Enc>;
}

interface Chain {
  name: string;
  x: Enc;
  y: Enc;
  out: Enc;
  upstream: Enc;
  gradX: Enc;
  gradY: Enc | null;
}

const golden = JSON.parse(
  readFileSync(new URL('../fixtures/fused_golden.json', import.meta.url), 'utf8'),
) as { cases: Case[]; chains: Chain[] };

const dec = (e: Enc) => tensor(e.data).reshape(e.shape);

function expectClose(t: Tensor | null, e: Enc, what: string, rtol = 1e-5, atol = 1e-5): void {
  expect(t, what).not.toBeNull();
  expect([...t!.shape], what).toEqual(e.shape);
  const got = t!.dataSync();
  e.data.forEach((w, i) => {
    expect(Math.abs(got[i]! - w), `${what} element ${i}: ${got[i]} vs ${w}`).toBeLessThanOrEqual(
      atol + rtol * Math.abs(w),
    );
  });
}

/** The torch module list as nabla modules (PyTorch's keyword names are nabla's option names). */
function build(c: Case): nn.Sequential {
  const layers = c.modules.map(([ctor, args, kwargs]) => {
    const Ctor = (nn as unknown as Record<string, new (...a: unknown[]) => nn.Module>)[ctor]!;
    return Object.keys(kwargs).length > 0 ? new Ctor(...args, kwargs) : new Ctor(...args);
  });
  const model = new nn.Sequential(...layers);
  model.loadStateDict(Object.fromEntries(Object.entries(c.state).map(([k, v]) => [k, dec(v)])));
  return model;
}

describe('Sequential with the activation stored by the product, against PyTorch', () => {
  for (const c of golden.cases) {
    it(c.name, () => {
      const model = build(c);
      const x = c.grad ? dec(c.x).requiresGrad_() : dec(c.x);
      const ops: string[] = [];
      const run = () =>
        withOpTracer(
          (op) => void ops.push(op),
          () => model.forward(x) as Tensor,
        );
      const y = c.grad ? run() : noGrad(run);
      // the activations the rules fuse never run as ops of their own
      expect(ops.filter((o) => o === 'relu').length, ops.join(' ')).toBe(c.reluOps);
      expect(ops.filter((o) => o === 'erf').length, ops.join(' ')).toBe(c.erfOps);
      expectClose(y, c.out, 'output');
      if (!c.grad) return;
      y.backward(dec(c.upstream));
      expectClose(x.grad, c.gradX!, 'input gradient', 1e-4);
      for (const [k, p] of model.namedParameters())
        expectClose(p.grad, c.gradParams[k]!, `${k} gradient`, 1e-4);
    });
  }
});

/** The chains of generate_fused.py, the same ops in the same order. */
const CHAINS: Record<string, (x: Tensor, y: Tensor) => Tensor> = {
  'relu(2x + 1)': (x) => x.mul(2).add(1).relu(),
  'sigmoid(x)·y − x/2': (x, y) => x.sigmoid().mul(y).sub(x.div(2)),
  'exp(−x·x)·y + tanh(y)': (x, y) => x.mul(x).neg().exp().mul(y).add(y.tanh()),
  'sqrt(|x| + 1) − log(y·y + 1)': (x, y) => x.abs().add(1).sqrt().sub(y.mul(y).add(1).log()),
  'max(x, y)·min(x, 0.5) − y': (x, y) =>
    x
      .maximum(y)
      .mul(x.minimum(tensor(0.5)))
      .sub(y),
  '(x − y)/(|y| + 1), then relu': (x, y) => x.sub(y).div(y.abs().add(1)).relu(),
};

describe('elementwise chains under autograd (fused on native and wasm), against PyTorch', () => {
  // every chain fuses however small (the default threshold is 2^15 elements)
  let threshold = 0;
  beforeAll(() => void (threshold = setFusionThreshold(0)));
  afterAll(() => void setFusionThreshold(threshold));
  for (const c of golden.chains) {
    it(c.name, () => {
      const x = dec(c.x).requiresGrad_();
      const y = dec(c.y).requiresGrad_();
      const out = CHAINS[c.name]!(x, y);
      const fast = getBackend().name === 'native' || getBackend().name === 'wasm';
      // the chain ran as one pending expression unless its last op saves its output (relu)
      if (fast && !c.name.includes('relu')) expect(out._pending).not.toBeNull();
      expectClose(out, c.out, 'output');
      out.backward(dec(c.upstream));
      expectClose(x.grad, c.gradX, 'x gradient', 1e-5);
      if (c.gradY !== null) expectClose(y.grad, c.gradY, 'y gradient', 1e-5);
    });
  }
});

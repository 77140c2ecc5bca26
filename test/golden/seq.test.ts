// Golden tests of sequence layers against PyTorch: RNN/LSTM/GRU and cells, MultiheadAttention and
// Transformer encoders (outputs, states, input and parameter gradients, seeded init, printing).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { manualSeed, rand, tensor, type Tensor } from '../../src/index.js';
import type { Module } from '../../src/nn/module.js';
import { MultiheadAttention } from '../../src/nn/layers/attention.js';
import { LayerNorm } from '../../src/nn/layers/layernorm.js';
import { GRU, GRUCell, LSTM, LSTMCell, RNN, RNNCell } from '../../src/nn/layers/rnn.js';
import {
  TransformerEncoder,
  TransformerEncoderLayer,
  type TransformerEncoderLayerOptions,
} from '../../src/nn/layers/transformer.js';

interface Enc {
  shape: number[];
  data: number[];
}
interface MaskEnc extends Enc {
  dtype: string;
}
type State = Record<string, Enc>;

interface RnnCase {
  name: string;
  ctor: 'LSTM' | 'GRU' | 'RNN';
  args: [number, number];
  opts: Record<string, unknown>;
  seed: number;
  train: boolean;
  dropoutSeed: number | null;
  state: State;
  x: Enc;
  hx: Enc[];
  out: Enc;
  finals: Enc[];
  upstream: Enc[];
  gradX: Enc;
  gradHx: Enc[];
  gradParams: State;
  repr: string;
}
interface CellCase {
  name: string;
  ctor: 'LSTMCell' | 'GRUCell' | 'RNNCell';
  args: [number, number];
  opts: Record<string, unknown>;
  seed: number;
  state: State;
  x: Enc;
  hx: Enc[];
  finals: Enc[];
  upstream: Enc[];
  gradX: Enc;
  gradHx: Enc[];
  gradParams: State;
  repr: string;
}
interface MhaCase {
  name: string;
  args: [number, number];
  opts: Record<string, unknown>;
  seed: number;
  train: boolean;
  dropoutSeed: number | null;
  kv: 'self' | 'shared' | 'separate';
  fwd: { needWeights?: boolean; averageAttnWeights?: boolean };
  masks: { keyPaddingMask?: MaskEnc; attnMask?: MaskEnc };
  state: State;
  q: Enc;
  k: Enc;
  v: Enc;
  out: Enc;
  weights: Enc | null;
  upstream: Enc;
  upstreamWeights: Enc | null;
  gradQ: Enc;
  gradK: Enc | null;
  gradV: Enc | null;
  gradParams: State;
  repr: string;
}
interface EncoderCase {
  name: string;
  opts: TransformerEncoderLayerOptions;
  layers: number | null;
  seed: number;
  init: State;
  afterInit: Enc;
  masks: { srcMask?: MaskEnc; srcKeyPaddingMask?: MaskEnc };
  state: State;
  x: Enc;
  out: Enc;
  upstream: Enc;
  gradX: Enc;
  gradParams: State;
  repr: string;
}

const golden = JSON.parse(
  readFileSync(new URL('../fixtures/seq_golden.json', import.meta.url), 'utf8'),
) as { rnns: RnnCase[]; cells: CellCase[]; mhas: MhaCase[]; encoders: EncoderCase[] };

const dec = (e: Enc, requiresGrad = false): Tensor => {
  const t = tensor(e.data).reshape(e.shape);
  return requiresGrad ? t.requiresGrad_() : t;
};
const decMask = (e: MaskEnc | undefined): Tensor | null =>
  e === undefined
    ? null
    : e.dtype === 'bool'
      ? tensor(e.data.map(Boolean), { dtype: 'bool' }).reshape(e.shape)
      : dec(e);
const stateOf = (s: State) => Object.fromEntries(Object.entries(s).map(([k, v]) => [k, dec(v)]));

// float32 tolerances: values rtol 1.3e-6 / atol 1e-5 (the recurrences too: their largest
// difference from PyTorch here is under 1e-6), gradients rtol 1e-4 / atol 1e-5 (sums of terms of order 1 that cancel to ~0).
const VAL = { rtol: 1.3e-6, atol: 1e-5 };
const GRAD = { rtol: 1e-4, atol: 1e-5 };

function expectClose(t: Tensor | null, e: Enc, tol: { rtol: number; atol: number }): void {
  expect(t).not.toBeNull();
  expect([...t!.shape]).toEqual(e.shape);
  const got = t!.dataSync();
  e.data.forEach((w, i) => {
    const v = got[i] as number;
    expect(Math.abs(v - w), `element ${i}: ${v} vs ${w}`).toBeLessThanOrEqual(
      tol.atol + tol.rtol * Math.abs(w),
    );
  });
}

/** Loads the state (keys must match exactly), then checks every parameter's gradient and the repr. */
function checkModule(m: Module, grads: State, repr: string): void {
  const named = Object.fromEntries(m.namedParameters());
  expect(Object.keys(named)).toEqual(Object.keys(grads));
  for (const [k, g] of Object.entries(grads)) expectClose(named[k]!.grad, g, GRAD);
  expect(m.toString()).toBe(repr);
}

/** Parameters must appear in PyTorch's order with PyTorch's seeded values. */
function expectState(m: Module, s: State): void {
  const sd = m.stateDict();
  expect(Object.keys(sd)).toEqual(Object.keys(s));
  for (const [k, e] of Object.entries(s)) expectClose(sd[k]!, e, { rtol: 0, atol: 0 });
}

const sumProducts = (ts: Tensor[], ups: Enc[]): Tensor =>
  ts.map((t, i) => t.mul(dec(ups[i]!)).sum()).reduce((a, b) => a.add(b));

function buildRnn(c: RnnCase): LSTM | GRU | RNN {
  const [i, h] = c.args;
  if (c.ctor === 'LSTM') return new LSTM(i, h, c.opts);
  if (c.ctor === 'GRU') return new GRU(i, h, c.opts);
  return new RNN(i, h, c.opts);
}

describe('recurrent layers match PyTorch', () => {
  for (const c of golden.rnns) {
    it(c.name, () => {
      manualSeed(c.seed);
      const m = buildRnn(c);
      expectState(m, c.state);
      m.loadStateDict(stateOf(c.state));
      if (!c.train) m.eval();
      const x = dec(c.x, true);
      const hx = c.hx.map((e) => dec(e, true));
      if (c.dropoutSeed !== null) manualSeed(c.dropoutSeed);
      let out: Tensor;
      let finals: Tensor[];
      if (m instanceof LSTM) {
        const [o, [h, cc]] = m.forward(x, hx.length ? [hx[0]!, hx[1]!] : undefined);
        [out, finals] = [o, [h, cc]];
      } else {
        const [o, h] = m.forward(x, hx[0]);
        [out, finals] = [o, [h]];
      }
      expectClose(out, c.out, VAL);
      finals.forEach((f, i) => expectClose(f, c.finals[i]!, VAL));
      sumProducts([out, ...finals], c.upstream).backward();
      expectClose(x.grad, c.gradX, GRAD);
      hx.forEach((h, i) => expectClose(h.grad, c.gradHx[i]!, GRAD));
      checkModule(m, c.gradParams, c.repr);
    });
  }

  for (const c of golden.cells) {
    it(c.name, () => {
      manualSeed(c.seed);
      const [i, h] = c.args;
      const m =
        c.ctor === 'LSTMCell'
          ? new LSTMCell(i, h, c.opts)
          : c.ctor === 'GRUCell'
            ? new GRUCell(i, h, c.opts)
            : new RNNCell(i, h, c.opts);
      expectState(m, c.state);
      const x = dec(c.x, true);
      const hx = c.hx.map((e) => dec(e, true));
      const finals =
        m instanceof LSTMCell
          ? m.forward(x, hx.length ? [hx[0]!, hx[1]!] : undefined)
          : [m.forward(x, hx[0])];
      finals.forEach((f, k) => expectClose(f, c.finals[k]!, VAL));
      sumProducts(finals, c.upstream).backward();
      expectClose(x.grad, c.gradX, GRAD);
      hx.forEach((t, k) => expectClose(t.grad, c.gradHx[k]!, GRAD));
      checkModule(m, c.gradParams, c.repr);
    });
  }
});

describe('MultiheadAttention matches PyTorch', () => {
  for (const c of golden.mhas) {
    it(c.name, () => {
      manualSeed(c.seed);
      const m = new MultiheadAttention(c.args[0], c.args[1], c.opts);
      expectState(m, c.state);
      m.loadStateDict(stateOf(c.state));
      if (!c.train) m.eval();
      const q = dec(c.q, true);
      const k = c.kv === 'self' ? q : dec(c.k, true);
      const v = c.kv === 'separate' ? dec(c.v, true) : k;
      if (c.dropoutSeed !== null) manualSeed(c.dropoutSeed);
      const [out, w] = m.forward(q, k, v, {
        ...c.fwd,
        keyPaddingMask: decMask(c.masks.keyPaddingMask),
        attnMask: decMask(c.masks.attnMask),
      });
      expectClose(out, c.out, VAL);
      let loss = out.mul(dec(c.upstream)).sum();
      if (c.weights === null) expect(w).toBeNull();
      else {
        expectClose(w, c.weights, VAL);
        loss = loss.add(w!.mul(dec(c.upstreamWeights!)).sum());
      }
      loss.backward();
      expectClose(q.grad, c.gradQ, GRAD);
      if (c.gradK) expectClose(k.grad, c.gradK, GRAD);
      if (c.gradV) expectClose(v.grad, c.gradV, GRAD);
      checkModule(m, c.gradParams, c.repr);
    });
  }
});

describe('Transformer encoders match PyTorch (eval mode)', () => {
  for (const c of golden.encoders) {
    it(c.name, () => {
      manualSeed(c.seed);
      const layer = new TransformerEncoderLayer(8, 2, c.opts);
      const m =
        c.layers === null
          ? layer
          : new TransformerEncoder(layer, c.layers, { norm: new LayerNorm(8) });
      expectState(m, c.init);
      // Cloning the layer draws nothing: the generator is where PyTorch's is.
      expectClose(rand(3), c.afterInit, { rtol: 0, atol: 0 });
      m.loadStateDict(stateOf(c.state));
      m.eval();
      const x = dec(c.x, true);
      const opts = {
        srcKeyPaddingMask: decMask(c.masks.srcKeyPaddingMask),
        srcMask: decMask(c.masks.srcMask),
      };
      const out =
        m instanceof TransformerEncoder
          ? m.forward(x, { mask: opts.srcMask, srcKeyPaddingMask: opts.srcKeyPaddingMask })
          : m.forward(x, opts);
      expectClose(out, c.out, VAL);
      out.mul(dec(c.upstream)).sum().backward();
      expectClose(x.grad, c.gradX, GRAD);
      checkModule(m, c.gradParams, c.repr);
    });
  }
});

describe('sequence layers: argument checks and options', () => {
  it('RNN layers reject wrong input and state shapes with PyTorch’s messages', () => {
    const lstm = new LSTM(3, 4, { numLayers: 2 });
    expect(() => lstm.forward(tensor([[[1, 2]]]))).toThrow(
      'input.size(-1) must be equal to input_size. Expected 3, got 2',
    );
    const x = rand(5, 2, 3);
    expect(() => lstm.forward(x, [rand(1, 2, 4), rand(2, 2, 4)])).toThrow(
      'Expected hidden[0] size (2, 2, 4), got [1, 2, 4]',
    );
    expect(() => new GRU(3, 4).forward(x, rand(2, 4))).toThrow(
      'For batched 3-D input, hx should also be 3-D but got 2-D tensor',
    );
    expect(() => new GRU(3, 4).forward(rand(0, 2, 3))).toThrow(
      'Expected sequence length to be larger than 0 in RNN',
    );
    expect(() => new LSTM(3, 4, { dropout: 1.5 })).toThrow('dropout should be a number in range');
    expect(() => new LSTM(3, 4, { projSize: 4 })).toThrow('proj_size has to be smaller');
  });

  it('RNN layers expose PyTorch’s weight names in order', () => {
    const gru = new GRU(3, 4, { numLayers: 2, bidirectional: true, bias: false });
    expect(gru.flatWeightsNames).toEqual([
      'weight_ih_l0',
      'weight_hh_l0',
      'weight_ih_l0_reverse',
      'weight_hh_l0_reverse',
      'weight_ih_l1',
      'weight_hh_l1',
      'weight_ih_l1_reverse',
      'weight_hh_l1_reverse',
    ]);
    expect(gru.allWeights.map((ws) => ws.map((w) => [...w.shape]))).toEqual([
      [
        [12, 3],
        [12, 4],
      ],
      [
        [12, 3],
        [12, 4],
      ],
      [
        [12, 8],
        [12, 4],
      ],
      [
        [12, 8],
        [12, 4],
      ],
    ]);
  });

  it('MultiheadAttention checks its arguments', () => {
    expect(() => new MultiheadAttention(6, 4)).toThrow('embed_dim must be divisible by num_heads');
    const m = new MultiheadAttention(4, 2);
    const q = rand(3, 2, 4);
    expect(() => m.forward(q, q, q, { attnMask: rand(3, 4) })).toThrow(
      'The shape of the 2D attn_mask is torch.Size([3, 4]), but should be (3, 3).',
    );
    const intMask = tensor([[1, 0, 0]], { dtype: 'int32' });
    expect(() => m.forward(q, q, q, { keyPaddingMask: intMask })).toThrow(
      'only bool and floating types of key_padding_mask are supported',
    );
    expect(() => m.forward(q, rand(3, 2, 4), rand(2, 2, 4))).toThrow('does not match value shape');
  });
});

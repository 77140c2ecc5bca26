// Gradients tier for sequence layers: float64 gradcheck of LSTM, GRU, RNN, cells, MultiheadAttention and the encoder layer.
import { describe, it } from 'vitest';
import { tensor, type Tensor } from '../../src/index.js';
import type { Module } from '../../src/nn/module.js';
import { MultiheadAttention } from '../../src/nn/layers/attention.js';
import { GRU, GRUCell, LSTM, LSTMCell, RNN } from '../../src/nn/layers/rnn.js';
import { TransformerEncoderLayer } from '../../src/nn/layers/transformer.js';
import { check, check2, gen, rn } from './helpers.js';

/**
 * The module as a function of (inputs..., parameters...): gradcheck calls it with fresh tensors,
 * so the parameters are swapped in for the call and restored after.
 */
function functional(
  m: Module,
  call: (...xs: Tensor[]) => Tensor | readonly Tensor[],
  nInputs: number,
): { fn: (...all: Tensor[]) => Tensor | readonly Tensor[]; params: Tensor[] } {
  const named = m.namedParameters();
  const slots = named.map(([name]) => {
    const at = name.lastIndexOf('.');
    const owner = at < 0 ? m : m.getSubmodule(name.slice(0, at));
    return [owner as unknown as Record<string, unknown>, name.slice(at + 1)] as const;
  });
  const fn = (...all: Tensor[]) => {
    const saved = slots.map(([o, k]) => o[k]);
    slots.forEach(([o, k], i) => (o[k] = all[nInputs + i]));
    try {
      return call(...all.slice(0, nInputs));
    } finally {
      slots.forEach(([o, k], i) => (o[k] = saved[i]));
    }
  };
  return { fn, params: named.map(([, p]) => p) };
}

describe('recurrent layers', () => {
  it('LSTM: input and parameters', () => {
    const m = new LSTM(2, 2).double();
    const { fn, params } = functional(
      m,
      (x) => {
        const [out, [h, c]] = m.forward(x);
        return [out, h, c];
      },
      1,
    );
    check(fn, [rn([3, 2, 2], gen(1)), ...params]);
  });

  it('LSTM 2 layers, bidirectional, projections, batchFirst: input and initial state', () => {
    const m = new LSTM(2, 3, {
      numLayers: 2,
      bidirectional: true,
      projSize: 2,
      batchFirst: true,
    }).double();
    const g = gen(2);
    check(
      (x, h0, c0) => {
        const [out, [h, c]] = m.forward(x, [h0, c0]);
        return [out, h, c];
      },
      [rn([2, 3, 2], g), rn([4, 2, 2], g), rn([4, 2, 3], g)],
    );
  });

  it('GRU bidirectional: input, initial state and parameters', () => {
    const m = new GRU(2, 2, { bidirectional: true }).double();
    const g = gen(3);
    const { fn, params } = functional(m, (x, h0) => m.forward(x, h0), 2);
    check(fn, [rn([3, 2, 2], g), rn([2, 2, 2], g), ...params]);
  });

  it('GRU and LSTM: second derivatives with respect to the input', () => {
    const gru = new GRU(2, 2).double();
    check2((x) => gru.forward(x)[0], [rn([3, 2, 2], gen(11))]);
    const lstm = new LSTM(2, 2).double();
    check2((x) => lstm.forward(x)[1][1], [rn([3, 2, 2], gen(12))]);
  });

  it('GRU 2 layers, unbatched: input', () => {
    const m = new GRU(3, 2, { numLayers: 2 }).double();
    check((x) => m.forward(x), [rn([4, 3], gen(4))]);
  });

  it('RNN tanh and relu: input and parameters', () => {
    for (const nonlinearity of ['tanh', 'relu'] as const) {
      const m = new RNN(2, 3, { nonlinearity }).double();
      const { fn, params } = functional(m, (x) => m.forward(x), 1);
      check(fn, [rn([3, 2, 2], gen(5)), ...params]);
    }
  });

  it('LSTMCell and GRUCell: input, state and parameters', () => {
    const g = gen(6);
    const lstm = new LSTMCell(2, 2).double();
    const a = functional(lstm, (x, h, c) => lstm.forward(x, [h, c]), 3);
    check(a.fn, [rn([2, 2], g), rn([2, 2], g), rn([2, 2], g), ...a.params]);
    const gru = new GRUCell(2, 2).double();
    const b = functional(gru, (x, h) => gru.forward(x, h), 2);
    check(b.fn, [rn([2, 2], g), rn([2, 2], g), ...b.params]);
  });
});

describe('attention', () => {
  const kpm = tensor(
    [
      [false, false, true],
      [false, true, false],
    ],
    { dtype: 'bool' },
  );

  it('MultiheadAttention self-attention with masks: input, parameters and weights', () => {
    const m = new MultiheadAttention(4, 2).double();
    const attnMask = rn([3, 3], gen(7)).detach();
    const { fn, params } = functional(
      m,
      (x) => {
        const [out, w] = m.forward(x, x, x, { keyPaddingMask: kpm, attnMask });
        return [out, w!];
      },
      1,
    );
    check(fn, [rn([3, 2, 4], gen(8)), ...params]);
  });

  it('MultiheadAttention with kdim, vdim, bias_k/v and zero attention: query, key, value', () => {
    const m = new MultiheadAttention(4, 2, {
      kdim: 3,
      vdim: 5,
      addBiasKv: true,
      addZeroAttn: true,
      batchFirst: true,
    }).double();
    const g = gen(9);
    check(
      (q, k, v) => {
        const [out, w] = m.forward(q, k, v, { averageAttnWeights: false });
        return [out, w!];
      },
      [rn([2, 2, 4], g), rn([2, 3, 3], g), rn([2, 3, 5], g)],
    );
  });
});

describe('transformer', () => {
  for (const normFirst of [false, true]) {
    it(`TransformerEncoderLayer (normFirst ${normFirst}, gelu, eval): input and parameters`, () => {
      const m = new TransformerEncoderLayer(4, 2, {
        dimFeedforward: 6,
        activation: 'gelu',
        normFirst,
      })
        .double()
        .eval();
      const mask = tensor(
        [
          [false, false, true],
          [false, false, false],
        ],
        { dtype: 'bool' },
      );
      const { fn, params } = functional(m, (x) => m.forward(x, { srcKeyPaddingMask: mask }), 1);
      check(fn, [rn([3, 2, 4], gen(10)), ...params]);
    });
  }
});

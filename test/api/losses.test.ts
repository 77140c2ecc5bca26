// Loss API behaviour: misuse raises PyTorch's errors (messages from losses_golden.json), modules hold options and buffers.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  ArgumentError,
  DTypeError,
  IndexError,
  ShapeError,
  ones,
  rand,
  randn,
  tensor,
  zeros,
  type NablaError,
  type Tensor,
} from '../../src/index.js';
import * as F from '../../src/nn/functional/loss.js';
import {
  BCELoss,
  BCEWithLogitsLoss,
  CrossEntropyLoss,
  HuberLoss,
  KLDivLoss,
  L1Loss,
  MSELoss,
  NLLLoss,
  SmoothL1Loss,
} from '../../src/nn/loss.js';

interface ErrorCase {
  readonly name: string;
  readonly type: string;
  readonly message: string;
}

const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/losses_golden.json', import.meta.url), 'utf8'),
) as { errors: ErrorCase[] };

const idx = (values: number[] | number[][]): Tensor => tensor(values, { dtype: 'int32' });
const longs = (shape: number[]): Tensor => zeros(shape, { dtype: 'int32' });

type ErrorClass = new (...args: never[]) => NablaError;

/**
 * The same misuse as the generator's, in nabla, and the error class it raises. PyTorch's message
 * is expected word for word, with its dtype names (Long, Float) read as nabla's (int32, float32).
 */
const MISUSE: Record<string, readonly [ErrorClass, () => unknown]> = {
  ce_batch_mismatch: [ShapeError, () => F.crossEntropy(randn(3, 4), idx([0, 1]))],
  ce_target_out_of_bounds: [IndexError, () => F.crossEntropy(randn(3, 4), idx([0, 1, 5]))],
  ce_target_negative: [IndexError, () => F.crossEntropy(randn(3, 4), idx([0, 1, -1]))],
  nll_target_out_of_bounds: [IndexError, () => F.nllLoss(randn(3, 4), idx([0, 4, 1]))],
  ce_weight_size: [
    ShapeError,
    () => F.crossEntropy(randn(3, 4), idx([0, 1, 2]), { weight: ones(2) }),
  ],
  ce_probs_weight_size: [
    ShapeError,
    () => F.crossEntropy(randn(3, 4), rand(3, 4), { weight: ones(2) }),
  ],
  ce_label_smoothing_above_one: [
    ArgumentError,
    () => F.crossEntropy(randn(3, 4), idx([0, 1, 2]), { labelSmoothing: 1.5 }),
  ],
  ce_probs_ignore_index: [
    ArgumentError,
    () => F.crossEntropy(randn(3, 4), rand(3, 4), { ignoreIndex: 1 }),
  ],
  ce_float_class_target: [DTypeError, () => F.crossEntropy(randn(3, 4), tensor([0, 1, 2]))],
  ce_int_probs_target: [
    DTypeError,
    () => F.crossEntropy(randn(3, 4), ones(3, 4, { dtype: 'int32' })),
  ],
  ce_kdim_target_size: [ShapeError, () => F.crossEntropy(randn(2, 3, 4), longs([2, 5]))],
  ce_multi_target: [ShapeError, () => F.crossEntropy(randn(3, 4), longs([3, 2]))],
  ce_unbatched_size: [ShapeError, () => F.crossEntropy(randn(4), longs([2]))],
  nll_zero_dim: [ShapeError, () => F.nllLoss(tensor(1), tensor(0, { dtype: 'int32' }))],
  ce_bad_reduction: [
    ArgumentError,
    () => F.crossEntropy(randn(3, 4), idx([0, 1, 2]), { reduction: 'avg' as F.Reduction }),
  ],
  mse_batchmean: [
    ArgumentError,
    () => F.mseLoss(rand(2, 3), rand(2, 3), { reduction: 'batchmean' as F.Reduction }),
  ],
  mse_size: [ShapeError, () => F.mseLoss(zeros(2, 1), zeros(2))],
  l1_size: [ShapeError, () => F.l1Loss(zeros(2, 1), zeros(2))],
  bce_size: [ShapeError, () => F.binaryCrossEntropy(rand(2, 1), rand(2))],
  bce_input_range: [ArgumentError, () => F.binaryCrossEntropy(tensor([0.5, 1.5]), rand(2))],
  bce_weight_shape: [
    ShapeError,
    () => F.binaryCrossEntropy(rand(2, 3), rand(2, 3), { weight: rand(2) }),
  ],
  bce_logits_size: [ShapeError, () => F.binaryCrossEntropyWithLogits(rand(2, 1), rand(2))],
  smooth_l1_negative_beta: [ArgumentError, () => F.smoothL1Loss(rand(2), rand(2), { beta: -1 })],
  huber_zero_delta: [ArgumentError, () => F.huberLoss(rand(2), rand(2), { delta: 0 })],
};

function nablaWords(message: string): string {
  return message.replace(/\bLong\b/g, 'int32').replace(/\bFloat\b/g, 'float32');
}

describe('loss misuse raises PyTorch’s errors', () => {
  it.each(fixture.errors.map((e) => [e.name, e] as const))('%s', (name, e) => {
    const misuse = MISUSE[name];
    expect(misuse, `no nabla call for ${name}`).toBeDefined();
    const [cls, call] = misuse!;
    expect(call).toThrow(cls);
    expect(call).toThrow(nablaWords(e.message));
  });

  it('covers every error case of the fixture', () => {
    expect(Object.keys(MISUSE).sort()).toEqual(fixture.errors.map((e) => e.name).sort());
  });
});

describe('nabla-only checks', () => {
  it('rejects a negative label smoothing (PyTorch ignores it)', () => {
    expect(() => F.crossEntropy(randn(3, 4), idx([0, 1, 2]), { labelSmoothing: -0.1 })).toThrow(
      'label_smoothing must be between 0.0 and 1.0. Got: -0.1',
    );
  });

  it('rejects integer inputs', () => {
    const i = ones(3, { dtype: 'int32' });
    expect(() => F.mseLoss(i, i)).toThrow(DTypeError);
    expect(() => F.nllLoss(ones(2, 3, { dtype: 'int32' }), idx([0, 1]))).toThrow(DTypeError);
    expect(() => F.binaryCrossEntropy(rand(3), i)).toThrow(
      'Found dtype int32 but expected float32',
    );
  });

  it('rejects a NaN probability in binaryCrossEntropy', () => {
    expect(() => F.binaryCrossEntropy(tensor([0.5, NaN]), rand(2))).toThrow(
      'all elements of input should be between 0 and 1',
    );
  });

  it('a 2-d input with a 0-d target names the expected target size', () => {
    expect(() => F.crossEntropy(randn(3, 4), tensor(1, { dtype: 'int32' }))).toThrow(
      'Expected target size [3], got []',
    );
  });

  it('checks the reduction when a module is constructed', () => {
    expect(() => new MSELoss({ reduction: 'avg' as F.Reduction })).toThrow(
      'avg is not a valid value for reduction',
    );
    expect(() => new KLDivLoss({ reduction: 'batchmean' })).not.toThrow();
    expect(() => new L1Loss({ reduction: 'batchmean' as F.Reduction })).toThrow(ArgumentError);
  });

  it('klDiv accepts batchmean; the other losses do not', () => {
    const x = randn(2, 3).logSoftmax(1);
    const t = randn(2, 3).softmax(1);
    expect(F.klDiv(x, t, { reduction: 'batchmean' }).item()).toBeCloseTo(
      F.klDiv(x, t, { reduction: 'sum' }).div(2).item() as number,
      6,
    );
  });
});

describe('loss modules', () => {
  it('hold their options, PyTorch defaults included', () => {
    expect(new MSELoss().reduction).toBe('mean');
    expect(new SmoothL1Loss().beta).toBe(1);
    expect(new HuberLoss({ delta: 2 }).delta).toBe(2);
    const ce = new CrossEntropyLoss();
    expect([ce.ignoreIndex, ce.labelSmoothing, ce.weight]).toEqual([-100, 0, null]);
    expect(new NLLLoss({ ignoreIndex: 3 }).ignoreIndex).toBe(3);
    expect(new KLDivLoss().logTarget).toBe(false);
    expect(new BCEWithLogitsLoss().posWeight).toBeNull();
  });

  it('register weight and pos_weight as buffers, not parameters', () => {
    const w = rand(4);
    const pw = rand(4);
    const m = new BCEWithLogitsLoss({ weight: w, posWeight: pw });
    expect(m.namedBuffers().map(([n]) => n)).toEqual(['weight', 'pos_weight']);
    expect(m.parameters()).toEqual([]);
    expect(m.posWeight).toBe(pw);
    expect(m.weight).toBe(w);
  });

  it('move their buffers with to(dtype) and load them from a state dict', () => {
    const m = new CrossEntropyLoss({ weight: ones(3) }).double();
    expect(m.weight?.dtype).toBe('float64');
    m.loadStateDict({ weight: tensor([1, 2, 3], { dtype: 'float64' }) });
    expect(m.weight?.tolist()).toEqual([1, 2, 3]);
    const x = randn(2, 3, { dtype: 'float64' });
    const t = idx([2, 0]);
    expect(m.forward(x, t).item()).toBeCloseTo(
      F.crossEntropy(x, t, { weight: tensor([1, 2, 3], { dtype: 'float64' }) }).item() as number,
      12,
    );
  });

  it('run forward hooks like any module', () => {
    const m = new BCELoss();
    let seen = 0;
    m.registerForwardHook(() => {
      seen++;
    });
    m.forward(rand(3), rand(3));
    expect(seen).toBe(1);
  });

  it('train a logit towards its class', () => {
    const x = zeros(1, 3).requiresGrad_(true);
    const loss = new CrossEntropyLoss();
    const lossValues: number[] = [];
    for (let i = 0; i < 20; i++) {
      x.grad = null;
      const l = loss.forward(x, idx([1]));
      l.backward();
      lossValues.push(l.item() as number);
      x.detach().sub_(x.grad!.mul(1));
    }
    expect(lossValues[19]!).toBeLessThan(lossValues[0]! / 4);
    expect(x.argmax(1).tolist()).toEqual([1]);
  });
});

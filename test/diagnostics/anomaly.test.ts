// Anomaly mode: the error names the backward function and points at the user's forward line.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AnomalyError } from '../../src/errors.js';
import {
  AnomalyScope,
  detectAnomaly,
  isAnomalyEnabled,
  setDetectAnomaly,
} from '../../src/autograd/anomaly.js';
import { autograd, tensor, type Tensor } from '../../src/index.js';

// The source of this test file, to find the lines the forward stacks must point at.
const SOURCE = readFileSync(new URL(import.meta.url), 'utf8').split('\n');

/** The 1-based line of this file that carries `marker` in a comment. */
function lineOf(marker: string): number {
  const i = SOURCE.findIndex((l) => l.includes(`// ${marker}`));
  if (i < 0) throw new Error(`marker ${marker} not found`);
  return i + 1;
}

function userForward(x: Tensor, y: Tensor): Tensor {
  return x.div(y).sum(); // FORWARD-DIV
}

function userLog(x: Tensor): Tensor {
  const l = x.log(); // FORWARD-LOG
  return l.mul(0).sum();
}

describe('detectAnomaly', () => {
  it('names DivBackward and gives the forward line of x.div(y) when y = 0', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const y = tensor([1, 0], { requiresGrad: true });
    let err: unknown;
    detectAnomaly(() => {
      const loss = userForward(x, y);
      try {
        loss.backward();
      } catch (e) {
        err = e;
      }
    });
    expect(err).toBeInstanceOf(AnomalyError);
    const e = err as AnomalyError;
    expect(e.op).toBe('DivBackward');
    expect(e.message).toContain("Function 'DivBackward' returned");
    expect(e.message).toMatch(/returned (inf|nan) values in its 0th output/);
    const line = lineOf('FORWARD-DIV');
    expect(e.forwardStack).toContain(`anomaly.test.ts:${line}:`);
    expect(e.message).toContain(`anomaly.test.ts:${line}:`);
    expect(isAnomalyEnabled()).toBe(false);
  });

  it('log(0) in scope form: LogBackward returns inf; the stack names the log line', () => {
    const x = tensor([0, 1], { requiresGrad: true });
    const scope = detectAnomaly();
    try {
      const loss = userLog(x);
      expect(() => loss.backward()).toThrow(AnomalyError);
    } finally {
      scope.exit();
    }
    const loss = userLog(x);
    let err: AnomalyError | undefined;
    {
      using _ = detectAnomaly();
      const l2 = userLog(x);
      try {
        l2.backward();
      } catch (e) {
        err = e as AnomalyError;
      }
    }
    expect(err?.op).toBe('LogBackward');
    expect(err?.forwardStack).toContain(`anomaly.test.ts:${lineOf('FORWARD-LOG')}:`);
    // Outside anomaly mode the same graph gives NaN gradients silently, as in PyTorch.
    loss.backward();
    expect(Number.isNaN((x.grad!.tolist() as number[])[0])).toBe(true);
  });

  it('checkNan: false keeps the stacks but does not check values', () => {
    const x = tensor([1], { requiresGrad: true });
    const y = tensor([0], { requiresGrad: true });
    detectAnomaly(() => userForward(x, y).backward(), { checkNan: false });
    expect(Number.isFinite((y.grad!.tolist() as number[])[0])).toBe(false);
  });

  it('checkForward throws at the op that first produced a non-finite value', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const y = tensor([1, 0]);
    expect(() => detectAnomaly(() => userForward(x, y), { checkForward: true })).toThrow(
      /Function 'Div' \(forward of DivBackward\) produced inf values from finite inputs/,
    );
    // Non-finite inputs are not blamed on the op that merely passes them on.
    const inf = tensor([Infinity, 1], { requiresGrad: true });
    expect(() => detectAnomaly(() => inf.mul(2), { checkForward: true })).not.toThrow();
  });

  it('adds the forward stack to other errors raised in backward', () => {
    const a = tensor([1, 2], { requiresGrad: true });
    let err: Error | undefined;
    detectAnomaly(() => {
      const b = a.mul(2);
      const c = b.mul(b); // FORWARD-INPLACE
      b.add_(1);
      try {
        c.sum().backward();
      } catch (e) {
        err = e as Error;
      }
    });
    expect(err?.message).toContain('modified by an inplace operation');
    expect(err?.message).toContain(`anomaly.test.ts:${lineOf('FORWARD-INPLACE')}:`);
  });

  it('scopes nest and restore, setDetectAnomaly toggles, promises keep the mode until settled', async () => {
    setDetectAnomaly(true);
    expect(isAnomalyEnabled()).toBe(true);
    const inner = new AnomalyScope({ checkNan: false });
    inner.exit();
    expect(isAnomalyEnabled()).toBe(true);
    setDetectAnomaly(false);
    expect(isAnomalyEnabled()).toBe(false);
    let during = false;
    await detectAnomaly(async () => {
      await Promise.resolve();
      during = isAnomalyEnabled();
    });
    expect(during).toBe(true);
    expect(isAnomalyEnabled()).toBe(false);
    expect(() =>
      detectAnomaly(() => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(isAnomalyEnabled()).toBe(false);
  });

  it('works with autograd.grad and costs nothing when off (no stacks recorded)', () => {
    const x = tensor([2], { requiresGrad: true });
    const y = tensor([0], { requiresGrad: true });
    const out = x.div(y).sum();
    // Created outside anomaly mode: the error says so instead of giving a stack.
    let err: AnomalyError | undefined;
    detectAnomaly(() => {
      try {
        autograd.grad(out, [y]);
      } catch (e) {
        err = e as AnomalyError;
      }
    });
    expect(err?.forwardStack).toBeNull();
    expect(err?.message).toContain('created outside anomaly mode');
  });
});

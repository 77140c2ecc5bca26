// explain's per-primitive rules: erf's forward formula and local derivative, and which elementwise primitives have one.
import { describe, expect, it } from 'vitest';
import { forwardFormula, localFormula, opKind } from '../../src/diagnostics/op_rules.js';
import { formulaTex, formulaText } from '../../src/diagnostics/math.js';
import { BINARY_PRIMITIVES, UNARY_PRIMITIVES } from '../../src/primitives.js';

describe('explain op rules', () => {
  it('erf: y = erf(x), ∂y/∂x = (2/√π)·exp(−x²)', () => {
    expect(opKind('erf', {})).toBe('elementwise');
    const y = forwardFormula('erf', {}, ['x'], 1);
    expect(formulaText(y)).toBe('erf(x)');
    expect(formulaTex(y)).toContain('\\operatorname{erf}');
    const local = localFormula('erf', 0, ['x']);
    expect(local).not.toBeNull();
    expect(formulaText(local!)).toBe('(2/√π) exp(− x²)');
  });

  it('every differentiable elementwise primitive has a local derivative; comparisons have none', () => {
    const comparisons = [
      'eq',
      'ne',
      'lt',
      'le',
      'gt',
      'ge',
      'logicalAnd',
      'logicalOr',
      'logicalXor',
      'bitwiseAnd',
      'bitwiseOr',
      'bitwiseXor',
      'bitwiseLeftShift',
      'bitwiseRightShift',
    ];
    for (const op of UNARY_PRIMITIVES) {
      expect([op, localFormula(op, 0, ['x']) === null]).toEqual([
        op,
        op === 'logicalNot' || op === 'bitwiseNot',
      ]);
    }
    for (const op of BINARY_PRIMITIVES) {
      for (const i of [0, 1]) {
        const none = localFormula(op, i, ['a', 'b']) === null;
        expect([op, i, none]).toEqual([op, i, comparisons.includes(op)]);
      }
    }
    expect(localFormula('matmul', 0, ['a', 'b'])).toBeNull();
  });

  it('primitives without a rule of their own are written name(args)', () => {
    expect(formulaText(forwardFormula('cumsum', { dim: 0 }, ['x'], 1))).toBe('cumsum(x)');
    expect(formulaText(forwardFormula('sum', { dims: [1], keepdim: false }, ['x'], 2))).toBe(
      'Σ_dim1 x',
    );
  });
});

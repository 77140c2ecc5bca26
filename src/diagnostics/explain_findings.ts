// explain's findings: ReLU units that pass no gradient back, sigmoids and tanhs that barely do.
import type { Tensor } from '../tensor.js';
import type { Finding, ForwardStep } from './explain_types.js';
import { fmtNumber, type Value } from './math.js';
import { snapshot } from './record.js';

const valueOf = (t: Tensor): Value => {
  const s = snapshot(t);
  return { shape: s.shape, data: s.data };
};

/** Dead ReLUs (local derivative 0) and saturated sigmoids/tanhs (below 1% of the peak slope). */
export function activationFindings(
  op: string,
  symbol: string,
  step: ForwardStep | undefined,
  input: Value | null,
  local: Tensor | null,
  zModule: string | null,
): Finding[] {
  if (local === null || !['relu', 'sigmoid', 'tanh'].includes(op)) return [];
  const lv = valueOf(local);
  if (lv.data === null) return [];
  const peak = op === 'sigmoid' ? 0.25 : 1;
  const bad = (v: number) => (op === 'relu' ? v === 0 : v < 0.01 * peak);
  const z = step?.inputs[0] ?? '?';
  // NOTE: relu'(0) = 0 as in PyTorch, so a unit at exactly z = 0 is dead too.
  const shape = lv.shape;
  const out: Finding[] = [];
  const kind = op === 'relu' ? 'dead-relu' : 'saturated';
  const describe = (zv: number | null, dv: number) =>
    op === 'relu'
      ? `${zv === null ? `${z} ≤ 0` : `${z} = ${fmtNumber(zv)} ≤ 0`}: ReLU passes no gradient back`
      : `${zv === null ? z : `${z} = ${fmtNumber(zv)}`} saturates ${op === 'sigmoid' ? 'σ' : 'tanh'}: local derivative ${fmtNumber(dv)}`;
  if (shape.length === 2) {
    const [rows, cols] = shape as [number, number];
    for (let j = 0; j < cols; j++) {
      const col = Array.from({ length: rows }, (_, i) => lv.data![i * cols + j]!);
      if (!col.every(bad)) continue;
      const zv = rows === 1 && input?.data ? input.data[j]! : null;
      out.push({
        kind,
        symbol,
        index: [0, j],
        unit: j,
        input: zv,
        message:
          `${symbol} = ${op}(${z}): unit ${j} is ${op === 'relu' ? 'dead' : 'saturated'}` +
          `${rows > 1 ? ` for all ${rows} samples` : ''} (${describe(zv, col[0]!)}), ` +
          `so ${zModule ? `the weights of ${/^\d/.test(zModule) ? `layer ${zModule}` : zModule}` : `whatever computes ${z}`} for unit ${j} ` +
          `get ${op === 'relu' ? 'no' : 'almost no'} gradient through it.`,
      });
    }
    return out;
  }
  lv.data.forEach((v, i) => {
    if (!bad(v)) return;
    const zv = input?.data?.[i] ?? null;
    out.push({
      kind,
      symbol,
      index: [i],
      unit: null,
      input: zv,
      message: `${symbol} = ${op}(${z}): element ${i} ${op === 'relu' ? 'is dead' : 'is saturated'} (${describe(zv, v)}).`,
    });
  });
  return out;
}

// explain's optimizer account: the update step() would make, computed on copies of the parameters
// and the optimizer state, so the user's model and optimizer are left exactly as they were.
import { noGrad } from '../autograd/grad_mode.js';
import type { Optimizer, ParamGroup } from '../optim/optimizer.js';
import { SGD } from '../optim/sgd.js';
import type { Tensor } from '../tensor.js';
import { snapshot } from './record.js';
import { DOT, EQ, MINUS, d, fmtNumber, sym, txt, val, type Formula, type Value } from './math.js';

export interface ParameterUpdate {
  readonly name: string;
  readonly before: Value;
  readonly grad: Value;
  readonly after: Value;
  /** after − before */
  readonly change: Value;
  /** `w ← w − η·∂L/∂w` with the numbers, for plain SGD; null for other optimizers. */
  readonly formula: Formula | null;
}

export interface OptimizerAccount {
  /** The optimizer's class name: SGD, Adam, ... */
  readonly optimizer: string;
  /** Its options, e.g. 'lr = 0.01'. */
  readonly options: string;
  /** The rule in symbols (plain SGD), or null. */
  readonly rule: Formula | null;
  readonly updates: readonly ParameterUpdate[];
}

const ARROW = txt('←', '\\leftarrow');

function valueOf(t: Tensor): Value {
  const s = snapshot(t);
  return { shape: s.shape, data: s.data };
}

function plainSgd(o: Optimizer<object>, g: ParamGroup<object>): boolean {
  return (
    o instanceof SGD &&
    g.momentum === 0 &&
    g.weightDecay === 0 &&
    g.maximize === false &&
    g.nesterov === false
  );
}

/** The options worth showing: numbers other than 0, true flags, tuples (betas). */
function optionsText(g: ParamGroup<object>): string {
  const shown: string[] = [];
  for (const [k, v] of Object.entries(g)) {
    if (k === 'params' || k.startsWith('initial')) continue;
    if (typeof v === 'number' && (v !== 0 || k === 'lr')) shown.push(`${k} = ${fmtNumber(v)}`);
    else if (v === true) shown.push(k);
    else if (Array.isArray(v) && v.every((x) => typeof x === 'number'))
      shown.push(`${k} = (${v.map(fmtNumber).join(', ')})`);
  }
  return shown.join(', ');
}

/**
 * Runs `step()` of a fresh optimizer of the same class over clones of the parameters, with the
 * original's options and state (loadStateDict copies it) and the given gradients. Returns the
 * account, or a sentence saying why it could not be computed.
 */
export function simulateStep(
  optimizer: Optimizer<object>,
  grads: ReadonlyMap<Tensor, Tensor>,
  nameOf: (p: Tensor) => string,
): OptimizerAccount | string {
  const cls = optimizer.constructor.name;
  try {
    return noGrad(() => {
      const clones = new Map<Tensor, Tensor>();
      const groupOf = new Map<Tensor, ParamGroup<object>>();
      const groups = optimizer.paramGroups.map((g) => {
        const { params, ...rest } = g;
        const copies = params.map((p) => {
          const c = p.detach().clone();
          clones.set(p, c);
          groupOf.set(p, g as ParamGroup<object>);
          return c;
        });
        return { ...rest, params: copies };
      });
      const Ctor = optimizer.constructor as new (
        params: unknown,
        opts: unknown,
      ) => Optimizer<object>;
      const copy = new Ctor(groups, { ...optimizer.defaults });
      copy.loadStateDict(optimizer.stateDict());
      for (const [p, c] of clones) {
        const g = grads.get(p);
        c.grad = g === undefined ? null : g.detach().to(p.dtype).clone();
      }
      copy.step();
      const updates: ParameterUpdate[] = [];
      for (const [p, c] of clones) {
        const g = grads.get(p);
        if (g === undefined) continue;
        const group = groupOf.get(p)!;
        const name = nameOf(p);
        const before = valueOf(p);
        const grad = valueOf(g);
        const after = valueOf(c);
        const change = valueOf(c.sub(p));
        const lr = group.lr as number;
        updates.push({
          name,
          before,
          grad,
          after,
          change,
          formula: plainSgd(optimizer, group)
            ? [
                sym(name),
                ARROW,
                val(before),
                MINUS,
                txt(fmtNumber(lr)),
                DOT,
                val(grad),
                EQ,
                val(after),
              ]
            : null,
        });
      }
      const first = optimizer.paramGroups[0] as ParamGroup<object>;
      const plain = optimizer.paramGroups.every((g) =>
        plainSgd(optimizer, g as ParamGroup<object>),
      );
      return {
        optimizer: cls,
        options: optionsText(first),
        rule: plain
          ? [sym('w'), ARROW, sym('w'), MINUS, txt('η', '\\eta'), DOT, d('L', 'w')]
          : null,
        updates,
      };
    });
  } catch (e) {
    return `The update of ${cls}.step() could not be computed on a copy: ${(e as Error).message}`;
  }
}

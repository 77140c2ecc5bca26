// The Optimizer base: parameter groups with per-group options, zeroGrad, and PyTorch-shaped state dicts.
import { enableGrad, noGrad } from '../autograd/grad_mode.js';
import { ArgumentError, NablaError, OptionError } from '../errors.js';
import { internalScope, keep } from '../memory.js';
import { defineOptions, optionsOrArg, type OptionSchema } from '../options.js';
import { Tensor } from '../tensor.js';

/** A group as given to the constructor or addParamGroup: its tensors plus option overrides. */
export type ParamGroupInput<O> = { readonly params: Iterable<Tensor> } & Partial<O>;

/** A live group: its parameters and every option, defaults filled in. */
export type ParamGroup<O> = O & { params: Tensor[] } & Record<string, unknown>;

/** Per-parameter optimizer state (momentum buffers, moment estimates, step counts). */
export type ParamState = Record<string, unknown>;

/** PyTorch's optimizer state_dict: state by parameter index, groups with snake_case option names. */
export interface OptimizerStateDict {
  readonly state: Record<number, Record<string, unknown>>;
  readonly param_groups: Record<string, unknown>[];
}

export type Closure = () => Tensor | number;

/** weightDecay → weight_decay; PyTorch's names in state dicts. */
export function toSnake(k: string): string {
  return k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** weight_decay → weightDecay. */
export function toCamel(k: string): string {
  return k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

function cloneValue(v: unknown): unknown {
  if (v instanceof Tensor) return keep(noGrad(() => v.detach().clone()));
  if (Array.isArray(v)) return v.map(cloneValue);
  return v;
}

/**
 * An optimizer's options as PyTorch takes them: an options object, or the learning rate alone
 * (PyTorch's second positional argument, `Adam(params, 0.01)`), checked against the schema.
 */
export function optimizerOptions<O extends { lr: number }>(
  schema: OptionSchema<O>,
  lrOrOpts: number | Partial<O> | undefined,
  extra: readonly unknown[] = [],
): Partial<O> {
  if (extra.length > 0) {
    throw new OptionError(
      `${schema.name}(): only lr may be given positionally; give the others in an options object (${schema.keys.join(', ')})`,
    );
  }
  if (typeof lrOrOpts === 'number') return { lr: lrOrOpts } as Partial<O>;
  return (schema.check(lrOrOpts) as Partial<O> | undefined) ?? {};
}

const ZERO_GRAD = defineOptions<{ setToNone?: boolean }>('Optimizer.zeroGrad', {
  setToNone: 'boolean',
});

/** Keys a parameter group may hold besides its options. */
const GROUP_KEYS = new Set(['params', 'initialLr']);

export abstract class Optimizer<O extends object = Record<string, unknown>> {
  readonly defaults: O;
  readonly paramGroups: ParamGroup<O>[] = [];
  readonly state = new Map<Tensor, ParamState>();
  readonly #schema: OptionSchema<O> | null;

  /** `schema` (the subclass's option schema) checks the keys of every parameter group. */
  constructor(
    params: Iterable<Tensor> | Iterable<ParamGroupInput<O>>,
    defaults: O,
    schema?: OptionSchema<O>,
  ) {
    this.defaults = defaults;
    this.#schema = schema ?? null;
    if (params instanceof Tensor) {
      throw new ArgumentError(
        `params argument given to the optimizer should be an iterable of Tensors or dicts, but got a Tensor`,
      );
    }
    const list = [...(params as Iterable<Tensor | ParamGroupInput<O>>)];
    if (list.length === 0) throw new ArgumentError('optimizer got an empty parameter list');
    const groups: ParamGroupInput<O>[] =
      list[0] instanceof Tensor
        ? [{ params: list as Tensor[] } as unknown as ParamGroupInput<O>]
        : (list as ParamGroupInput<O>[]);
    for (const g of groups) this.addParamGroup(g);
  }

  /** Adds a group; options it leaves out come from the defaults. */
  addParamGroup(group: ParamGroupInput<O>): void {
    if (this.#schema !== null) {
      const options: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(group)) if (!GROUP_KEYS.has(k)) options[k] = v;
      this.#schema.checkGiven(options);
    }
    const params = group.params instanceof Tensor ? [group.params] : [...group.params];
    for (const p of params) {
      if (!(p instanceof Tensor)) throw new ArgumentError(`optimizer can only optimize Tensors`);
      if (!p.isLeaf) throw new ArgumentError("can't optimize a non-leaf Tensor");
    }
    if (new Set(params).size !== params.length) {
      throw new ArgumentError('optimizer contains a parameter group with duplicate parameters');
    }
    const existing = new Set(this.paramGroups.flatMap((g) => g.params));
    if (params.some((p) => existing.has(p))) {
      throw new ArgumentError('some parameters appear in more than one parameter group');
    }
    const filled: Record<string, unknown> = { ...group, params };
    for (const [k, v] of Object.entries(this.defaults)) {
      if (!(k in filled) || filled[k] === undefined) {
        if (v === undefined) {
          throw new ArgumentError(
            `parameter group didn't specify a value of required optimization parameter ${k}`,
          );
        }
        filled[k] = v;
      }
    }
    this.paramGroups.push(filled as ParamGroup<O>);
  }

  /** Clears gradients: to null by default (setToNone), or to zeros in place. */
  zeroGrad(setToNoneOrOpts?: boolean | { setToNone?: boolean }): void {
    const opts = optionsOrArg(ZERO_GRAD, 'setToNone', setToNoneOrOpts);
    for (const g of this.paramGroups) {
      for (const p of g.params) {
        if (p._grad === null) continue;
        if (opts?.setToNone === false) noGrad(() => p._grad!.zero_());
        else p._dropGrad();
      }
    }
  }

  /** One update of every parameter that has a gradient; the closure re-evaluates the loss. */
  step(closure?: Closure): number | undefined {
    let loss: number | undefined;
    if (closure) {
      const l = enableGrad(closure);
      loss = l instanceof Tensor ? (l.item() as number) : l;
    }
    // NOTE: library code from here on: temporaries of the update go back to the pool at once.
    internalScope(() =>
      noGrad(() => {
        for (const group of this.paramGroups) this.updateGroup(group);
      }),
    );
    return loss;
  }

  /** The algorithm: update the parameters of one group (runs under noGrad). */
  protected abstract updateGroup(group: ParamGroup<O>): void;

  /** The state of one parameter, created empty on first use. */
  protected stateOf(p: Tensor): ParamState {
    let s = this.state.get(p);
    if (s === undefined) {
      s = {};
      this.state.set(p, s);
    }
    // The parameter moved (module.to(backend)): its state follows, as loading does in PyTorch.
    for (const v of Object.values(s))
      if (v instanceof Tensor && v.device !== p.device) v._moveTo(p.device);
    return s;
  }

  /** Keeps a state tensor alive across tidy() scopes. */
  protected keepState(t: Tensor): Tensor {
    return keep(t);
  }

  stateDict(): OptimizerStateDict {
    const index = new Map<Tensor, number>();
    let next = 0;
    const param_groups = this.paramGroups.map((g) => {
      const packed: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(g)) if (k !== 'params') packed[toSnake(k)] = v;
      packed.params = g.params.map((p) => {
        if (!index.has(p)) index.set(p, next++);
        return index.get(p)!;
      });
      return packed;
    });
    const state: Record<number, Record<string, unknown>> = {};
    for (const [p, s] of this.state) {
      const i = index.get(p);
      if (i === undefined) continue;
      state[i] = Object.fromEntries(Object.entries(s).map(([k, v]) => [toSnake(k), v]));
    }
    return { state, param_groups };
  }

  /** Restores options and state from stateDict(); group count and sizes must match. */
  loadStateDict(sd: OptimizerStateDict): void {
    if (sd.param_groups.length !== this.paramGroups.length) {
      throw new NablaError('loaded state dict has a different number of parameter groups');
    }
    sd.param_groups.forEach((g, i) => {
      const ids = g.params as number[];
      if (ids.length !== this.paramGroups[i]!.params.length) {
        throw new NablaError(
          "loaded state dict contains a parameter group that doesn't match the size of optimizer's group",
        );
      }
    });
    const byIndex = new Map<number, Tensor>();
    sd.param_groups.forEach((g, i) =>
      (g.params as number[]).forEach((id, j) => byIndex.set(id, this.paramGroups[i]!.params[j]!)),
    );
    this.state.clear();
    for (const [id, s] of Object.entries(sd.state)) {
      const p = byIndex.get(Number(id));
      if (p === undefined) continue;
      const restored: ParamState = {};
      // Floating-point state takes the parameter's dtype, in lists too (LBFGS's old_dirs), as PyTorch casts.
      const cast = (value: unknown): unknown =>
        value instanceof Tensor && value.isFloatingPoint()
          ? keep(value.to(p.dtype))
          : Array.isArray(value)
            ? value.map(cast)
            : value;
      for (const [k, v] of Object.entries(s)) {
        const value = cloneValue(v);
        restored[toCamel(k)] = k === 'step' ? value : cast(value);
      }
      this.state.set(p, restored);
    }
    sd.param_groups.forEach((g, i) => {
      const group = this.paramGroups[i]!;
      for (const [k, v] of Object.entries(g))
        if (k !== 'params') (group as Record<string, unknown>)[toCamel(k)] = cloneValue(v);
    });
  }
}

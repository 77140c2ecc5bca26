// nn.Module: registration by assignment, traversal, modes, hooks, state dicts and the printed summary.
import { defineOptions, optionsOrArg } from '../options.js';
import { noGrad } from '../autograd/grad_mode.js';
import type { RemovableHandle } from '../autograd/node.js';
import { isDType, type DType } from '../dtype.js';
import { ArgumentError, NablaError } from '../errors.js';
import { escape, internalScope, userScope } from '../memory.js';
import { sameShape } from '../shape.js';
import { Tensor } from '../tensor.js';
import { Parameter, isParameter } from './parameter.js';

/** A state dict: tensors by PyTorch's dotted names, in registration order. */

const REGISTER_BUFFER = defineOptions<{ persistent?: boolean }>('Module.registerBuffer', {
  persistent: 'boolean',
});
const recurse = (name: string) =>
  defineOptions<{ recurse?: boolean }>(`Module.${name}`, { recurse: 'boolean' });
const NAMED_PARAMETERS = recurse('namedParameters');
const PARAMETERS = recurse('parameters');
const NAMED_BUFFERS = recurse('namedBuffers');
const BUFFERS = recurse('buffers');
const COUNT_PARAMETERS = defineOptions<{ trainableOnly?: boolean }>('Module.countParameters', {
  trainableOnly: 'boolean',
});
const ZERO_GRAD = defineOptions<{ setToNone?: boolean }>('Module.zeroGrad', {
  setToNone: 'boolean',
});
const STATE_DICT = defineOptions<{ prefix?: string; keepVars?: boolean }>('Module.stateDict', {
  prefix: 'string',
  keepVars: 'boolean',
});
const TRAIN = defineOptions<{ mode?: boolean }>('Module.train', { mode: 'boolean' });
const REQUIRES_GRAD_ = defineOptions<{ requiresGrad?: boolean }>('Module.requiresGrad_', {
  requiresGrad: 'boolean',
});
const LOAD_STATE_DICT = defineOptions<{ strict?: boolean }>('Module.loadStateDict', {
  strict: 'boolean',
});
export type StateDict = Record<string, Tensor>;

export type ForwardPreHook = (module: Module, args: unknown[]) => unknown[] | void;
export type ForwardHook = (module: Module, args: unknown[], output: unknown) => unknown;

export interface LoadResult {
  readonly missingKeys: string[];
  readonly unexpectedKeys: string[];
}

/** Raised by loadStateDict, with PyTorch's message. */
export class StateDictError extends NablaError {
  override name = 'StateDictError';
}

function shapeRepr(shape: readonly number[]): string {
  return `torch.Size([${shape.join(', ')}])`;
}

function addIndent(s: string, spaces: number): string {
  const lines = s.split('\n');
  if (lines.length === 1) return s;
  return [lines[0], ...lines.slice(1).map((l) => ' '.repeat(spaces) + l)].join('\n');
}

/** The forward methods of the library's own layers (user subclasses that override forward are not). */
const LIBRARY_FORWARDS = new WeakSet<object>();

/**
 * @internal Declares the library's layer classes: their forward calls no user code but other
 * modules' forwards, so it may free what it makes and does not return (see memory.ts).
 */
export function libraryLayers(
  ...classes: readonly { readonly prototype: { readonly forward: unknown } }[]
): void {
  for (const c of classes) {
    const f = c.prototype.forward;
    if (typeof f === 'function') LIBRARY_FORWARDS.add(f);
  }
}

/**
 * The base of every layer and model. Assigning a Module or a Parameter to a property registers it
 * (in assignment order, as in PyTorch); buffers are registered with registerBuffer. Calling
 * `forward` runs the forward pre-hooks, the subclass's forward, then the forward hooks.
 */
// NOTE: a bare `Module` (the defaults) is any model: its forward takes and returns what the
// subclass says, as Python's nn.Module; `Module<[Tensor], Tensor>` types a model's call exactly.
/* eslint-disable @typescript-eslint/no-explicit-any */
export abstract class Module<In extends readonly unknown[] = any[], Out = any> {
  /* eslint-enable @typescript-eslint/no-explicit-any */
  /** Training mode (dropout active, batch statistics used); set with train() / eval(). */
  training = true;
  readonly #buffers = new Map<string, { persistent: boolean }>();
  readonly #preHooks = new Set<ForwardPreHook>();
  readonly #hooks = new Set<ForwardHook>();

  constructor() {
    const inner = this.forward;
    Object.defineProperty(this, 'forward', {
      value: (...args: unknown[]) => this.#call(inner, args),
      enumerable: false,
      writable: true,
      configurable: true,
    });
  }

  /** The computation: subclasses implement it. Calling it runs the hooks around it. */
  abstract forward(...args: In): Out;

  #call(inner: (...args: never[]) => unknown, args: unknown[]): unknown {
    // NOTE: a library layer's forward runs in an internal scope, so the intermediates it makes and
    // does not return go back to the pool as soon as the graph is done with them; a user-defined
    // forward, and every hook, runs as user code that may keep whatever it makes.
    const run = () => inner.apply(this, a as never[]);
    const hooked = this.#preHooks.size > 0 || this.#hooks.size > 0;
    let a = args;
    if (hooked) {
      escape(a);
      for (const hook of this.#preHooks) {
        const r = userScope(() => hook(this, a));
        if (r !== undefined) a = r;
      }
      escape(a);
    }
    let out: unknown;
    if (LIBRARY_FORWARDS.has(inner)) out = internalScope(run);
    else {
      escape(a); // a user-defined forward may keep its inputs (this.last = x)
      out = userScope(run);
    }
    if (hooked) {
      escape(out);
      for (const hook of this.#hooks) {
        const r = userScope(() => hook(this, a, out));
        if (r !== undefined) out = r;
      }
      escape(out);
    }
    return out;
  }

  /** @internal Whether forward hooks or pre-hooks are registered: something watches this call. */
  _hooked(): boolean {
    return this.#preHooks.size > 0 || this.#hooks.size > 0;
  }

  registerForwardPreHook(hook: ForwardPreHook): RemovableHandle {
    this.#preHooks.add(hook);
    return { remove: () => void this.#preHooks.delete(hook) };
  }

  registerForwardHook(hook: ForwardHook): RemovableHandle {
    this.#hooks.add(hook);
    return { remove: () => void this.#hooks.delete(hook) };
  }

  // ---- registration ----

  /** Sets (or clears with null) a parameter under `name`. */
  registerParameter(name: string, param: Tensor | null): void {
    this.#checkName(name);
    (this as unknown as Record<string, unknown>)[name] =
      param === null || isParameter(param) ? param : Parameter(param);
  }

  /** A tensor that is state but not a parameter (running statistics); persistent ones are saved. */
  registerBuffer(
    name: string,
    tensor: Tensor | null,
    persistentOrOpts?: boolean | { persistent?: boolean },
  ): void {
    const opts = optionsOrArg(REGISTER_BUFFER, 'persistent', persistentOrOpts);
    this.#checkName(name);
    this.#buffers.set(name, { persistent: opts?.persistent ?? true });
    (this as unknown as Record<string, unknown>)[name] = tensor;
  }

  registerModule(name: string, module: Module | null): void {
    this.#checkName(name);
    (this as unknown as Record<string, unknown>)[name] = module;
  }

  addModule(name: string, module: Module | null): void {
    this.registerModule(name, module);
  }

  #checkName(name: string): void {
    if (name === '' || name.includes('.'))
      throw new ArgumentError(`attribute name can't be empty or contain ".", got "${name}"`);
  }

  #own(): [string, unknown][] {
    return Object.entries(this as unknown as Record<string, unknown>);
  }

  #ownParameters(): [string, Tensor][] {
    return this.#own().filter(
      (e): e is [string, Tensor] => isParameter(e[1]) && !this.#buffers.has(e[0]),
    );
  }

  #ownBuffers(): [string, Tensor, boolean][] {
    const out: [string, Tensor, boolean][] = [];
    for (const [name, { persistent }] of this.#buffers) {
      const t = (this as unknown as Record<string, unknown>)[name];
      if (t instanceof Tensor) out.push([name, t, persistent]);
    }
    return out;
  }

  // ---- traversal ----

  namedChildren(): [string, Module][] {
    const own = this.#own().filter((e): e is [string, Module] => e[1] instanceof Module);
    return [...own, ...this.extraChildren()];
  }

  /** Children kept outside own properties (ModuleDict keeps its own map); registered after those. */
  protected extraChildren(): [string, Module][] {
    return [];
  }

  children(): Module[] {
    return this.namedChildren().map(([, m]) => m);
  }

  /** Every module in the tree, pre-order, each once: ['', this], ['fc1', ...], ['block.0', ...]. */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [];
    const seen = new Set<Module>();
    const stack: [string, Module][] = [[prefix, this]];
    while (stack.length > 0) {
      const [name, m] = stack.pop()!;
      if (seen.has(m)) continue;
      seen.add(m);
      out.push([name, m]);
      const kids = m.namedChildren();
      for (let i = kids.length - 1; i >= 0; i--) {
        const [k, child] = kids[i]!;
        stack.push([name === '' ? k : `${name}.${k}`, child]);
      }
    }
    return out;
  }

  modules(): Module[] {
    return this.namedModules().map(([, m]) => m);
  }

  /** Parameters by dotted name: each module's own, in order, then its children's. */
  namedParameters(recurseOrOpts?: boolean | { recurse?: boolean }): [string, Tensor][] {
    const opts = optionsOrArg(NAMED_PARAMETERS, 'recurse', recurseOrOpts);
    const out: [string, Tensor][] = [];
    const seen = new Set<Tensor>();
    const mods: [string, Module][] = opts?.recurse === false ? [['', this]] : this.namedModules();
    for (const [prefix, m] of mods) {
      for (const [n, p] of m.#ownParameters()) {
        if (seen.has(p)) continue;
        seen.add(p);
        out.push([prefix === '' ? n : `${prefix}.${n}`, p]);
      }
    }
    return out;
  }

  parameters(recurseOrOpts?: boolean | { recurse?: boolean }): Tensor[] {
    const opts = optionsOrArg(PARAMETERS, 'recurse', recurseOrOpts);
    return this.namedParameters(opts).map(([, p]) => p);
  }

  namedBuffers(recurseOrOpts?: boolean | { recurse?: boolean }): [string, Tensor][] {
    const opts = optionsOrArg(NAMED_BUFFERS, 'recurse', recurseOrOpts);
    const out: [string, Tensor][] = [];
    const mods: [string, Module][] = opts?.recurse === false ? [['', this]] : this.namedModules();
    for (const [prefix, m] of mods) {
      for (const [n, b] of m.#ownBuffers()) out.push([prefix === '' ? n : `${prefix}.${n}`, b]);
    }
    return out;
  }

  buffers(recurseOrOpts?: boolean | { recurse?: boolean }): Tensor[] {
    const opts = optionsOrArg(BUFFERS, 'recurse', recurseOrOpts);
    return this.namedBuffers(opts).map(([, b]) => b);
  }

  /** The submodule at a dotted path ('' is this module). */
  getSubmodule(target: string): Module {
    return target.split('.').reduce<Module>((m, part) => {
      const next = target === '' ? m : (m as unknown as Record<string, unknown>)[part];
      if (!(next instanceof Module))
        throw new ArgumentError(`${m.constructor.name} has no attribute \`${part}\``);
      return next;
    }, this);
  }

  /** The number of elements in all parameters (only those requiring grad with trainableOnly). */
  countParameters(opts?: { trainableOnly?: boolean }): number {
    COUNT_PARAMETERS.check(opts);
    return this.parameters()
      .filter((p) => !opts?.trainableOnly || p.requiresGrad)
      .reduce((n, p) => n + p.numel(), 0);
  }

  // ---- modes and helpers ----

  /** train(mode = true), or train({ mode }). */
  train(modeOrOpts: boolean | { mode?: boolean } = true): this {
    const mode = optionsOrArg(TRAIN, 'mode', modeOrOpts)?.mode ?? true;
    for (const m of this.modules()) m.training = mode;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Clears the gradients: to null by default (PyTorch's set_to_none=True), or to zeros. */
  zeroGrad(setToNoneOrOpts?: boolean | { setToNone?: boolean }): void {
    const opts = optionsOrArg(ZERO_GRAD, 'setToNone', setToNoneOrOpts);
    for (const p of this.parameters()) {
      if (p._grad === null) continue;
      if (opts?.setToNone === false) noGrad(() => p._grad!.zero_());
      else p._dropGrad();
    }
  }

  /** Calls fn on every submodule (children first) and then on this one. */
  apply(fn: (m: Module) => void): this {
    for (const child of this.children()) child.apply(fn);
    fn(this);
    return this;
  }

  /** requiresGrad_(requiresGrad = true), or requiresGrad_({ requiresGrad }). */
  requiresGrad_(flagOrOpts: boolean | { requiresGrad?: boolean } = true): this {
    const requiresGrad =
      optionsOrArg(REQUIRES_GRAD_, 'requiresGrad', flagOrOpts)?.requiresGrad ?? true;
    for (const p of this.parameters()) p.requiresGrad = requiresGrad;
    return this;
  }

  /**
   * to(dtype) converts every parameter and floating buffer (parameters are replaced by new ones);
   * to(backend), as PyTorch's `model.to('cuda')`, moves every parameter, its gradient and every
   * buffer to that backend in place, so optimizers built on the parameters keep working (their
   * state follows the parameters at the next step).
   */
  to(target: DType | string): this {
    if (!isDType(target)) {
      for (const p of this.parameters()) {
        p._moveTo(target);
        p._grad?._moveTo(target);
      }
      for (const b of this.buffers()) b._moveTo(target);
      return this;
    }
    const dtype = target;
    for (const m of this.modules()) {
      const self = m as unknown as Record<string, unknown>;
      for (const [n, p] of m.#ownParameters()) {
        if (p.dtype !== dtype)
          self[n] = Parameter(
            noGrad(() => p.to(dtype)),
            p.requiresGrad,
          );
      }
      for (const [n, b] of m.#ownBuffers()) {
        if (b.isFloatingPoint() && b.dtype !== dtype) self[n] = noGrad(() => b.to(dtype));
      }
    }
    return this;
  }

  double(): this {
    return this.to('float64');
  }

  float(): this {
    return this.to('float32');
  }

  // ---- state dicts ----

  /** Parameters and persistent buffers by PyTorch's key names, detached, in registration order. */
  stateDict(opts?: { prefix?: string; keepVars?: boolean }): StateDict {
    STATE_DICT.check(opts);
    const out: StateDict = {};
    const base = opts?.prefix ?? '';
    for (const [prefix, m] of this.namedModules()) {
      const p = base + (prefix === '' ? '' : `${prefix}.`);
      for (const [n, t] of m.#ownParameters()) out[p + n] = opts?.keepVars ? t : t.detach();
      for (const [n, t, persistent] of m.#ownBuffers())
        if (persistent) out[p + n] = opts?.keepVars ? t : t.detach();
    }
    return out;
  }

  /**
   * Copies a state dict into this module's parameters and buffers. With strict (the default),
   * missing and unexpected keys are errors; shape mismatches always are. Nothing is copied
   * unless everything checks out.
   */
  loadStateDict(
    stateDict: StateDict | Map<string, Tensor>,
    strictOrOpts?: boolean | { strict?: boolean },
  ): LoadResult {
    const strict = optionsOrArg(LOAD_STATE_DICT, 'strict', strictOrOpts)?.strict ?? true;
    const incoming = stateDict instanceof Map ? stateDict : new Map(Object.entries(stateDict));
    const own = this.stateDict({ keepVars: true });
    const missingKeys = Object.keys(own).filter((k) => !incoming.has(k));
    const unexpectedKeys = [...incoming.keys()].filter(
      (k) => !Object.prototype.hasOwnProperty.call(own, k),
    );
    const errors: string[] = [];
    if (strict) {
      // PyTorch's order: missing keys, unexpected keys, then size mismatches.
      if (missingKeys.length > 0) {
        errors.push(
          `Missing key(s) in state_dict: ${missingKeys.map((k) => `"${k}"`).join(', ')}. `,
        );
      }
      if (unexpectedKeys.length > 0) {
        errors.push(
          `Unexpected key(s) in state_dict: ${unexpectedKeys.map((k) => `"${k}"`).join(', ')}. `,
        );
      }
    }
    for (const [k, target] of Object.entries(own)) {
      const src = incoming.get(k);
      if (src === undefined) continue;
      if (!(src instanceof Tensor)) {
        errors.push(
          `While copying the parameter named "${k}", expected a Tensor in the state dict.`,
        );
      } else if (!sameShape(src.shape, target.shape)) {
        errors.push(
          `size mismatch for ${k}: copying a param with shape ${shapeRepr(src.shape)} from checkpoint, the shape in current model is ${shapeRepr(target.shape)}.`,
        );
      }
    }
    if (errors.length > 0) {
      throw new StateDictError(
        `Error(s) in loading state_dict for ${this.constructor.name}:\n\t${errors.join('\n\t')}`,
      );
    }
    noGrad(() => {
      for (const [k, target] of Object.entries(own)) {
        const src = incoming.get(k);
        if (src !== undefined) target.copy_(src);
      }
    });
    return { missingKeys, unexpectedKeys };
  }

  // ---- printing ----

  /** The text inside the parentheses of this module's line, e.g. 'in_features=2, out_features=1, bias=True'. */
  extraRepr(): string {
    return '';
  }

  toString(): string {
    const kids = this.namedChildren().map(([n, m]) => `(${n}): ${addIndent(m.toString(), 2)}`);
    const extra = this.extraRepr();
    const lines = [...(extra === '' ? [] : extra.split('\n')), ...kids];
    const name = this.constructor.name;
    if (lines.length === 0) return `${name}()`;
    if (kids.length === 0 && lines.length === 1) return `${name}(${extra})`;
    return `${name}(\n  ${lines.join('\n  ')}\n)`;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}

// Containers: Sequential (keys "0", "1", …), ModuleList and ModuleDict.
import { ArgumentError, IndexError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { isGradEnabled } from '../autograd/grad_mode.js';
import { GELU, ReLU } from './layers/activation.js';
import { Conv1d, Conv2d } from './layers/conv.js';
import { Linear } from './layers/linear.js';
import { MaxPool1d, MaxPool2d, MaxPool3d } from './layers/pooling.js';
import { libraryLayers, Module } from './module.js';

type Indexed = Record<string, unknown>;

/** Keeps modules as own properties "0", "1", … so that model[0] works and keys match PyTorch's. */
abstract class IndexedModules extends Module {
  [index: number]: Module;

  protected setModules(modules: readonly Module[]): void {
    const self = this as unknown as Indexed;
    for (const k of Object.keys(self)) if (/^\d+$/.test(k)) delete self[k];
    modules.forEach((m, i) => {
      if (!(m instanceof Module))
        throw new ArgumentError(`${this.constructor.name}: entry ${i} is not a Module`);
      self[String(i)] = m;
    });
  }

  protected list(): Module[] {
    const self = this as unknown as Indexed;
    const out: Module[] = [];
    for (let i = 0; String(i) in self; i++) out.push(self[String(i)] as Module);
    return out;
  }

  get length(): number {
    return this.list().length;
  }

  /** The module at index i (negative counts from the end). */
  get(i: number): Module {
    const all = this.list();
    const j = i < 0 ? i + all.length : i;
    const m = all[j];
    if (m === undefined) throw new IndexError(`index ${i} is out of range`);
    return m;
  }

  [Symbol.iterator](): Iterator<Module> {
    return this.list()[Symbol.iterator]();
  }
}

/** What a module's forward takes (its arguments as a tuple) and gives. */
export type ForwardInput<M> = M extends { forward(...args: infer A): unknown } ? A : never;
export type ForwardOutput<M> = M extends { forward(...args: never[]): infer O } ? O : never;

/** A Sequential's input: its first module's (a Tensor when the modules are not a known tuple). */
export type SequentialInput<M extends readonly Module[]> = M extends readonly [
  infer F,
  ...unknown[],
]
  ? ForwardInput<F>[0]
  : Tensor;
/** A Sequential's output: its last module's (a Tensor when the modules are not a known tuple). */
export type SequentialOutput<M extends readonly Module[]> = M extends readonly [
  ...unknown[],
  infer L,
]
  ? ForwardOutput<L>
  : Tensor;

/**
 * Runs its modules in order, each one's output feeding the next. Its forward is typed from the
 * modules it was built with: `new Sequential(new Linear(2, 8), new ReLU())` takes and gives a
 * Tensor, one ending in an LSTM gives the LSTM's output.
 */
export class Sequential<M extends readonly Module[] = Module[]> extends IndexedModules {
  constructor(...modules: M) {
    super();
    this.setModules(modules);
  }

  forward(input: SequentialInput<M>): SequentialOutput<M> {
    let x: unknown = input;
    const modules = this.list();
    for (let i = 0; i < modules.length; i++) {
      const m = modules[i]!;
      const next = modules[i + 1];
      if (next !== undefined && poolsFirst(m, next)) {
        x = (m.forward as (x: unknown) => unknown)((next.forward as (x: unknown) => unknown)(x));
        i++;
        continue;
      }
      const fused = next === undefined ? null : activationStored(m, next, modules[i + 2], x);
      if (fused !== null) {
        x = fused;
        i++;
      } else x = (m.forward as (x: unknown) => unknown)(x);
    }
    return x as SequentialOutput<M>;
  }

  append(m: Module): this {
    this.setModules([...this.list(), m]);
    return this;
  }
}

const MAX_POOLS: readonly object[] = [
  MaxPool1d.prototype,
  MaxPool2d.prototype,
  MaxPool3d.prototype,
];

/**
 * Whether a Sequential runs `relu` then `pool` (adjacent, in that order) as pool then ReLU: max
 * pooling commutes with ReLU, so the ReLU and its backward touch a quarter of the elements (a 2×2
 * pool) and the full-size activation is never made.
 *
 * The values are the same: ReLU is monotonic and exact (relu(max) = max of relus, NaN included:
 * relu(NaN) is NaN, and the pool picks the same NaN either way), up to the sign of a zero:
 * relu(-0) is -0, as PyTorch's, so a window of {-1, -0} gives relu(max) = -0 where the max of
 * relus is +0. The gradients are the
 * same: where a window's maximum is positive, both orders pick the same first maximum and pass
 * its gradient through ReLU's mask of 1; where it is ≤ 0 or NaN, ReLU's mask is 0 in both, so the
 * input gets no gradient from that window, whichever element each order picked. Only the
 * library's own classes qualify (a subclass may override forward), without returned indices (the
 * indices into relu(x) and into x differ where a window is ≤ 0), and with no hooks on either,
 * which would see the intermediate (ONNX and PyTorch export, explain and the diagnostics all
 * watch modules through hooks).
 */
function poolsFirst(relu: Module, pool: Module): boolean {
  return (
    Object.getPrototypeOf(relu) === ReLU.prototype &&
    MAX_POOLS.includes(Object.getPrototypeOf(pool) as object) &&
    !(pool as MaxPool2d<boolean>).returnIndices &&
    !relu._hooked() &&
    !pool._hooked()
  );
}

/**
 * Runs `product` then `act` (adjacent) as one primitive whose store applies the activation, and
 * returns its output; null where they do not qualify. Linear → ReLU and Conv1d/Conv2d → ReLU
 * always (relu's backward needs only the output, which is what is stored); Linear → GELU
 * ('none') only where no graph is recorded, since the fused backward would compute the
 * pre-activation again. A ReLU that poolsFirst runs after the next max pooling stays there (its
 * backward then touches a quarter of the elements). The values are those of the order as written
 * (the same expression on each sum; src/ops/defs/epilogue.ts), and so are the gradients. Only the
 * library's own classes qualify, with no hook on either (hooks see the order as written).
 */
function activationStored(
  product: Module,
  act: Module,
  after: Module | undefined,
  x: unknown,
): Tensor | null {
  if (product._hooked() || act._hooked()) return null;
  const kind = Object.getPrototypeOf(product) as object;
  const actKind = Object.getPrototypeOf(act) as object;
  if (actKind === ReLU.prototype) {
    if (after !== undefined && poolsFirst(act, after)) return null;
    if (kind === Linear.prototype) return (product as Linear).forwardThen(x as Tensor, 'relu');
    if (kind === Conv2d.prototype || kind === Conv1d.prototype)
      return (product as Conv2d).forwardRelu(x as Tensor);
    return null;
  }
  if (actKind === GELU.prototype && kind === Linear.prototype) {
    const lin = product as Linear;
    const recorded =
      isGradEnabled() &&
      [x as Tensor, lin.weight, lin.bias].some((t) => t !== null && t.requiresGrad);
    if ((act as GELU).approximate === 'none' && !recorded)
      return lin.forwardThen(x as Tensor, 'gelu');
  }
  return null;
}

/** A list of modules whose parameters are registered; it has no forward of its own. */
export class ModuleList extends IndexedModules {
  constructor(modules: Iterable<Module> = []) {
    super();
    this.setModules([...modules]);
  }

  forward(): never {
    throw new ArgumentError('ModuleList has no forward(); iterate over its modules instead');
  }

  append(m: Module): this {
    this.setModules([...this.list(), m]);
    return this;
  }

  extend(ms: Iterable<Module>): this {
    this.setModules([...this.list(), ...ms]);
    return this;
  }

  insert(index: number, m: Module): this {
    const all = this.list();
    all.splice(index < 0 ? index + all.length : index, 0, m);
    this.setModules(all);
    return this;
  }

  /** Sets the module at index i. */
  set(i: number, m: Module): this {
    const all = this.list();
    const j = i < 0 ? i + all.length : i;
    if (j < 0 || j >= all.length) throw new IndexError(`index ${i} is out of range`);
    all[j] = m;
    this.setModules(all);
    return this;
  }
}

/** Modules by name; keys become state-dict prefixes ("dict.key.weight"). */
export class ModuleDict extends Module {
  readonly #modules = new Map<string, Module>();

  constructor(modules?: Record<string, Module> | Iterable<[string, Module]>) {
    super();
    const entries =
      modules === undefined
        ? []
        : Symbol.iterator in modules
          ? [...(modules as Iterable<[string, Module]>)]
          : Object.entries(modules);
    for (const [k, m] of entries) this.set(k, m);
  }

  forward(): never {
    throw new ArgumentError('ModuleDict has no forward(); call its modules instead');
  }

  protected override extraChildren(): [string, Module][] {
    return [...this.#modules];
  }

  get(key: string): Module {
    const m = this.#modules.get(key);
    if (m === undefined) throw new ArgumentError(`ModuleDict has no key '${key}'`);
    return m;
  }

  set(key: string, m: Module): this {
    if (key === '' || key.includes('.'))
      throw new ArgumentError(`module name can't be empty or contain ".", got "${key}"`);
    if (!(m instanceof Module)) throw new ArgumentError(`ModuleDict.set: '${key}' is not a Module`);
    this.#modules.set(key, m);
    return this;
  }

  has(key: string): boolean {
    return this.#modules.has(key);
  }

  delete(key: string): boolean {
    return this.#modules.delete(key);
  }

  keys(): string[] {
    return [...this.#modules.keys()];
  }

  values(): Module[] {
    return [...this.#modules.values()];
  }

  entries(): [string, Module][] {
    return [...this.#modules];
  }

  get size(): number {
    return this.#modules.size;
  }
}

libraryLayers(Sequential);

// Option schemas: each options-taking public function declares its keys once; the check reads them.
import { DTYPES } from './dtype.js';
import { OptionError } from './errors.js';
import { isTensor } from './tensor_class.js';

/**
 * What a value may be. `integer` is a number with no fraction; `dims` is an integer or an array
 * of integers; `object` is any non-null object that is not an array (tensors included); `any`
 * takes everything. `undefined` always passes: it means the option is left out.
 */
export type Kind =
  | 'number'
  | 'integer'
  | 'boolean'
  | 'string'
  | 'function'
  | 'object'
  | 'array'
  | 'tensor'
  | 'dims'
  | 'null'
  | 'any';

/** The rule for one key: a kind, any of several kinds, or the literal values it may take. */
export type Rule = Kind | readonly Kind[] | OneOf;

/** Literal values (and, optionally, kinds) a key accepts: `oneOf('mean', 'sum', 'none')`. */
export interface OneOf {
  readonly oneOf: readonly (string | number | boolean | null)[];
  readonly kinds?: readonly Kind[];
}

/** `reduction: oneOf('none', 'mean', 'sum')`; `oneOf(['null'], 'max')` also takes the kinds. */
export function oneOf(...values: readonly (string | number | boolean | null)[]): OneOf;
export function oneOf(
  kinds: readonly Kind[],
  ...values: readonly (string | number | boolean | null)[]
): OneOf;
export function oneOf(...args: readonly unknown[]): OneOf {
  if (Array.isArray(args[0])) {
    return { kinds: args[0] as Kind[], oneOf: args.slice(1) as (string | number | boolean)[] };
  }
  return { oneOf: args as (string | number | boolean | null)[] };
}

/** The rule for a `dtype` option: one of nabla's dtype names. */
export const DTYPE: OneOf = oneOf(...DTYPES);

/**
 * A schema's keys: exactly the keys of the options type `T` (a missing or extra key is a compile
 * error, as a missing op rule is), each with the rule its value must pass.
 */
export type Spec<T> = { readonly [K in keyof T]-?: Rule };

/** One function's options: its name (as a user writes it), its keys, and the check. */
export interface OptionSchema<T> {
  /** The entry point, as written by a user: `sum`, `Tensor.sum`, `optim.Adam`, `nn.Linear`. */
  readonly name: string;
  readonly keys: readonly string[];
  /**
   * Throws OptionError unless `opts` is undefined or a plain object whose own keys are all known
   * and whose values pass their rules; returns `opts` typed. Allocates nothing when it passes.
   */
  check(opts: unknown): T | undefined;
  /** The check for an object that must be given (no `undefined`). */
  checkGiven(opts: unknown): T;
  /**
   * Checks a positional argument that stands for option `key` (as PyTorch takes `dim` or `lr`
   * positionally) against that option's rule; undefined passes. Allocates nothing when it passes.
   */
  checkArg(key: keyof T & string, value: unknown): void;
}

const NUMBER = 1;
const INTEGER = 2;
const BOOLEAN = 4;
const STRING = 8;
const FUNCTION = 16;
const OBJECT = 32;
const ARRAY = 64;
const TENSOR = 128;
const DIMS = 256;
const NULL = 512;
const ANY = 1023;

const BITS: { readonly [K in Kind]: number } = {
  number: NUMBER,
  integer: INTEGER,
  boolean: BOOLEAN,
  string: STRING,
  function: FUNCTION,
  object: OBJECT,
  array: ARRAY,
  tensor: TENSOR,
  dims: DIMS,
  null: NULL,
  any: ANY,
};

/** A rule compiled to a bit mask of kinds plus its literal values. */
interface Compiled {
  readonly mask: number;
  readonly values: ReadonlySet<unknown> | null;
  readonly text: string;
}

function compile(rule: Rule): Compiled {
  if (typeof rule === 'string') return { mask: BITS[rule], values: null, text: article(rule) };
  if (isOneOf(rule)) {
    const kinds = rule.kinds ?? [];
    const texts = [...rule.oneOf.map((v) => JSON.stringify(v)), ...kinds.map(article)];
    return {
      mask: kinds.reduce((m, k) => m | BITS[k], 0),
      values: new Set(rule.oneOf),
      text: `one of ${texts.join(', ')}`,
    };
  }
  return {
    mask: rule.reduce((m, k) => m | BITS[k], 0),
    values: null,
    text: rule.map(article).join(' or '),
  };
}

function isOneOf(rule: Rule): rule is OneOf {
  return typeof rule === 'object' && !Array.isArray(rule);
}

function article(kind: Kind): string {
  switch (kind) {
    case 'integer':
    case 'object':
    case 'array':
      return `an ${kind}`;
    case 'dims':
      return 'an integer or an array of integers';
    case 'null':
      return 'null';
    case 'any':
      return 'anything';
    default:
      return `a ${kind}`;
  }
}

function isIntegerArray(v: readonly unknown[]): boolean {
  for (let i = 0; i < v.length; i++) if (!Number.isInteger(v[i])) return false;
  return true;
}

function passes(c: Compiled, v: unknown): boolean {
  const m = c.mask;
  if (m === ANY) return true;
  if (c.values !== null && c.values.has(v)) return true;
  switch (typeof v) {
    case 'number':
      return (m & NUMBER) !== 0 || ((m & (INTEGER | DIMS)) !== 0 && Number.isInteger(v));
    case 'boolean':
      return (m & BOOLEAN) !== 0;
    case 'string':
      return (m & STRING) !== 0;
    case 'function':
      return (m & FUNCTION) !== 0;
    case 'object':
      if (v === null) return (m & NULL) !== 0;
      if (Array.isArray(v)) return (m & ARRAY) !== 0 || ((m & DIMS) !== 0 && isIntegerArray(v));
      return (m & OBJECT) !== 0 || ((m & TENSOR) !== 0 && isTensor(v));
    default:
      return false;
  }
}

/** How a value reads in an error message. */
export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (isTensor(v)) return 'a Tensor';
  switch (typeof v) {
    case 'string':
      return `the string ${JSON.stringify(v)}`;
    case 'number':
    case 'boolean':
    case 'bigint':
      return `${typeof v} ${String(v)}`;
    case 'function':
      return 'a function';
    case 'object':
      return 'an object';
    default:
      return typeof v;
  }
}

/** Edit distance (insertions, deletions, substitutions) between two short strings. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row.push(Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost));
    }
    prev = row;
  }
  return prev[b.length]!;
}

/**
 * The accepted key nearest to `key`: the same name in another case or in snake_case
 * (`weight_decay` → `weightDecay`, `keepDim` → `keepdim`) first, then one that begins the other
 * (`maximum` → `max`), else the closest within a few edits.
 */
export function nearestKey(key: string, keys: readonly string[]): string | null {
  const flat = (s: string): string => s.replace(/_/g, '').toLowerCase();
  const same = keys.find((k) => flat(k) === flat(key));
  if (same !== undefined) return same;
  const prefix = keys.find((k) => flat(key).startsWith(flat(k)) || flat(k).startsWith(flat(key)));
  if (prefix !== undefined) return prefix;
  let best: string | null = null;
  let bestD = Math.max(2, Math.floor(key.length / 3)) + 1;
  for (const k of keys) {
    const d = distance(key.toLowerCase(), k.toLowerCase());
    if (d < bestD) [best, bestD] = [k, d];
  }
  return best;
}

function listKeys(keys: readonly string[]): string {
  return keys.length === 0 ? 'none' : keys.map((k) => `'${k}'`).join(', ');
}

/** The error for a key the schema does not know. */
export function unknownOptionError(
  name: string,
  key: string,
  keys: readonly string[],
): OptionError {
  const near = nearestKey(key, keys);
  const hint = near === null ? '' : `; did you mean '${near}'?`;
  return new OptionError(
    `${name}(): unknown option '${key}'${hint} (accepted options: ${listKeys(keys)})`,
  );
}

const registry = new Map<string, OptionSchema<unknown>>();

/** Every schema declared so far, by entry-point name (the public API test walks it). */
export const optionSchemas: ReadonlyMap<string, OptionSchema<unknown>> = registry;

/**
 * Declares the options of one public entry point, registered under `name` (unique):
 *
 * ```ts
 * const SUM = defineOptions<ReduceOptions>('sum', { dim: ['dims', 'null'], keepdim: 'boolean' });
 * export function sum(x: Tensor, opts?: ReduceOptions) { SUM.check(opts); ... }
 * ```
 */
export function defineOptions<T>(name: string, spec: Spec<T>): OptionSchema<T> {
  if (registry.has(name)) throw new Error(`defineOptions: '${name}' is declared twice`);
  const rules: Record<string, Compiled> = Object.create(null) as Record<string, Compiled>;
  const keys = Object.keys(spec);
  for (const k of keys) rules[k] = compile((spec as Record<string, Rule>)[k]!);
  const fail = (opts: unknown): never => {
    throw new OptionError(
      `${name}(): expected an options object (with ${listKeys(keys)}), got ${describeValue(opts)}`,
    );
  };
  const checkGiven = (opts: unknown): T => {
    if (typeof opts !== 'object' || opts === null || Array.isArray(opts) || isTensor(opts)) {
      return fail(opts);
    }
    const o = opts as Record<string, unknown>;
    // NOTE: for-in over a plain object's own keys allocates nothing (Object.keys would).
    for (const k in o) {
      const rule = rules[k];
      if (rule === undefined) {
        if (!Object.prototype.hasOwnProperty.call(o, k)) continue;
        throw unknownOptionError(name, k, keys);
      }
      const v = o[k];
      if (v !== undefined && !passes(rule, v)) {
        throw new OptionError(
          `${name}(): option '${k}' must be ${rule.text}, got ${describeValue(v)}`,
        );
      }
    }
    return opts as T;
  };
  const checkArg = (key: string, v: unknown): void => {
    const rule = rules[key]!;
    if (v !== undefined && !passes(rule, v)) {
      throw new OptionError(
        `${name}(): argument '${key}' must be ${rule.text}, got ${describeValue(v)}`,
      );
    }
  };
  const schema: OptionSchema<T> = {
    name,
    keys,
    check: (opts) => (opts === undefined ? undefined : checkGiven(opts)),
    checkGiven,
    checkArg,
  };
  registry.set(name, schema as OptionSchema<unknown>);
  return schema;
}

/**
 * Checks a positional argument where PyTorch takes one: throws OptionError naming the function,
 * the argument and what it must be, unless `v` is undefined or passes `rule`.
 */
export function checkArg(name: string, arg: string, v: unknown, rule: Rule): void {
  if (v === undefined) return;
  const c = compile(rule);
  if (!passes(c, v)) {
    throw new OptionError(
      `${name}(): argument '${arg}' must be ${c.text}, got ${describeValue(v)}`,
    );
  }
}

/** True for a value that should be read as an options object (not an array, a tensor or null). */
export function isOptionsObject(v: unknown): v is object {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !isTensor(v);
}

/** The error for positional arguments given after an options object that already holds them. */
export function argsAfterOptions(name: string): OptionError {
  return new OptionError(
    `${name}(): positional arguments after an options object; put them in the options object`,
  );
}

/**
 * An options object, or the one argument PyTorch takes positionally in its place
 * (`loadStateDict(sd, false)` for `strict`, `Linear(2, 3, false)` for `bias`): a value that is
 * not an object is checked against option `key`'s rule and read as `{ [key]: value }`.
 */
export function optionsOrArg<T>(
  schema: OptionSchema<T>,
  key: keyof T & string,
  value: unknown,
): T | undefined {
  if (value === undefined || isOptionsObject(value)) return schema.check(value);
  schema.checkArg(key, value);
  return { [key]: value } as T;
}

/**
 * Arguments PyTorch takes positionally or as keywords (`uniform_(w, -0.1, 0.1)` or
 * `uniform_(w, a=-0.1, b=0.1)`): `args` are the positional values for `keys` (undefined = not
 * given) and `opts` the trailing options object; an options object may also stand in the first
 * position. Each value is checked against its key's rule; a positional value wins over the same
 * key in `opts`. Allocates: for cold paths (constructors, initialisers).
 */
export function argsOrOptions<T>(
  schema: OptionSchema<T>,
  keys: readonly (keyof T & string)[],
  args: readonly unknown[],
  opts: unknown,
): Partial<T> {
  if (isOptionsObject(args[0])) {
    if (opts !== undefined || args.slice(1).some((a) => a !== undefined)) {
      throw argsAfterOptions(schema.name);
    }
    return schema.checkGiven(args[0]);
  }
  const out: Record<string, unknown> = { ...(schema.check(opts) ?? {}) };
  keys.forEach((k, i) => {
    if (args[i] === undefined) return;
    schema.checkArg(k, args[i]);
    out[k] = args[i];
  });
  return out as Partial<T>;
}

/**
 * Throws OptionError unless `v` is a number, a boolean or (when `tensor`) a Tensor: for scalar
 * arguments that would otherwise go through Number() (an object would become NaN). No allocation.
 */
export function checkScalarArg(name: string, arg: string, v: unknown, tensor = true): void {
  if (typeof v === 'number' || typeof v === 'boolean' || (tensor && isTensor(v))) return;
  throw new OptionError(
    `${name}(): argument '${arg}' must be a number${tensor ? ', a boolean or a Tensor' : ' or a boolean'}, got ${describeValue(v)}`,
  );
}

// Anomaly mode (torch.autograd.detect_anomaly): forward stacks kept per node, NaN/Inf checks on what
// backward functions return (optionally on forward outputs too), and the node observers apply() calls.
import { OptionError } from '../errors.js';
import { defineOptions, describeValue, type Spec } from '../options.js';
import { isFloating } from '../dtype.js';
import { AnomalyError, NablaError } from '../errors.js';
import { suspendOrphaning } from '../memory.js';
import type { Tensor } from '../tensor.js';
import type { Node } from './node.js';
import type { UsingScope } from '../disposable.js';

/** Sees every graph node as it is recorded, with the tensors it was made from and its outputs. */
export type NodeObserver = (
  node: Node,
  inputs: readonly Tensor[],
  outputs: readonly Tensor[],
) => void;

const observers: NodeObserver[] = [];

/**
 * @internal True while some observer is installed. apply() and Function.apply test it before
 * calling observeNode, so with no observer recording a node costs one boolean load.
 */
export let observingNodes = false;

/** @internal Installs an observer of recorded nodes; the returned function removes it. */
export function addNodeObserver(fn: NodeObserver): () => void {
  observers.push(fn);
  observingNodes = true;
  const resume = suspendOrphaning();
  return () => {
    resume();
    const i = observers.indexOf(fn);
    if (i >= 0) observers.splice(i, 1);
    observingNodes = observers.length > 0;
  };
}

/** @internal Called by apply() and Function.apply right after a node is recorded. */
export function observeNode(
  node: Node,
  inputs: readonly Tensor[],
  outputs: readonly Tensor[],
): void {
  for (const o of observers.slice()) o(node, inputs, outputs);
}

// ---- anomaly mode ----

export interface AnomalyOptions {
  /** Throw when a backward function returns NaN or Inf (default true, as PyTorch's check_nan). */
  readonly checkNan?: boolean;
  /**
   * Also throw when a recorded forward op turns finite inputs into NaN or Inf (default false; not in
   * PyTorch). Only ops that record a node (an input requires grad) are checked.
   */
  readonly checkForward?: boolean;
}

interface AnomalyState {
  readonly checkNan: boolean;
  readonly checkForward: boolean;
}

let state: AnomalyState | null = null;
let removeObserver: (() => void) | null = null;
/** Where each node recorded in anomaly mode was created (an Error whose stack is read lazily). */
const origins = new WeakMap<Node, { stack?: string }>();

/** @internal The engine tests this before taking the checked path: off costs one boolean load. */
export let anomalyActive = false;

function setState(next: AnomalyState | null): void {
  state = next;
  anomalyActive = next !== null;
  if (next !== null && removeObserver === null) removeObserver = addNodeObserver(recordOrigin);
  if (next === null && removeObserver !== null) {
    removeObserver();
    removeObserver = null;
  }
}

export function isAnomalyEnabled(): boolean {
  return state !== null;
}

export function isAnomalyCheckNanEnabled(): boolean {
  return state?.checkNan ?? false;
}

const ANOMALY_SPEC: Spec<AnomalyOptions> = { checkNan: 'boolean', checkForward: 'boolean' };
const SET_DETECT_ANOMALY = defineOptions<AnomalyOptions>('autograd.setDetectAnomaly', ANOMALY_SPEC);
const DETECT_ANOMALY = defineOptions<AnomalyOptions>('autograd.detectAnomaly', ANOMALY_SPEC);

/** torch.autograd.set_detect_anomaly: turns anomaly mode on or off for everything that follows. */
export function setDetectAnomaly(on: boolean, opts?: AnomalyOptions): void {
  SET_DETECT_ANOMALY.check(opts);
  if (typeof on !== 'boolean') {
    throw new OptionError(
      `autograd.setDetectAnomaly(): argument 'mode' must be a boolean, got ${describeValue(on)}`,
    );
  }
  setState(
    on ? { checkNan: opts?.checkNan ?? true, checkForward: opts?.checkForward ?? false } : null,
  );
}

/** Anomaly mode until exit() (or the end of a `using` block); restores the mode it found. */
export class AnomalyScope implements UsingScope {
  readonly #previous: AnomalyState | null;
  #open = true;

  constructor(opts?: AnomalyOptions) {
    DETECT_ANOMALY.check(opts);
    this.#previous = state;
    setDetectAnomaly(true, opts);
  }

  exit(): void {
    if (!this.#open) return;
    this.#open = false;
    setState(this.#previous);
  }

  [Symbol.dispose](): void {
    this.exit();
  }
}

/**
 * torch.autograd.detect_anomaly. `detectAnomaly(() => ...)` runs the function in anomaly mode and
 * returns its result (a promise keeps the mode on until it settles); `detectAnomaly()` opens a
 * scope: close it with `.exit()`, or write `using _ = detectAnomaly()`.
 *
 * In anomaly mode every recorded node keeps the JavaScript stack of the forward call that created
 * it; when a backward function returns NaN or Inf, backward throws an AnomalyError naming the
 * function (e.g. 'DivBackward') with that stack, and other errors raised by a backward function
 * get the stack appended. It slows everything down: use it to find a bug, not to train.
 */
export function detectAnomaly<T>(fn: () => T, opts?: AnomalyOptions): T;
export function detectAnomaly(opts?: AnomalyOptions): AnomalyScope;
export function detectAnomaly<T>(
  fnOrOpts?: (() => T) | AnomalyOptions,
  opts?: AnomalyOptions,
): T | AnomalyScope {
  if (typeof fnOrOpts !== 'function') return new AnomalyScope(fnOrOpts);
  const scope = new AnomalyScope(opts);
  let result: T;
  try {
    result = fnOrOpts();
  } catch (e) {
    scope.exit();
    throw e;
  }
  if (result instanceof Promise) return result.finally(() => scope.exit()) as T;
  scope.exit();
  return result;
}

function recordOrigin(node: Node, inputs: readonly Tensor[], outputs: readonly Tensor[]): void {
  const holder: { stack?: string } = {};
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 64;
  // NOTE: V8 formats the stack lazily, on first read, so keeping it costs little until an error.
  if (typeof Error.captureStackTrace === 'function') Error.captureStackTrace(holder, observeNode);
  else holder.stack = new Error().stack ?? '';
  Error.stackTraceLimit = limit;
  origins.set(node, holder);
  if (state?.checkForward) checkForward(node, inputs, outputs);
}

/** The stack of the forward call that created `node`, if it was recorded in anomaly mode. */
export function forwardStackOf(node: Node): string | null {
  const stack = origins.get(node)?.stack;
  if (stack === undefined) return null;
  // Drop the "Error" line; keep the frames, the innermost (nabla's apply) first.
  return stack
    .split('\n')
    .filter((l) => /^\s+at\s/.test(l) || /@/.test(l))
    .map((l) => `    ${l.trim()}`)
    .join('\n');
}

/** 'nan' or 'inf' if a host-readable floating tensor holds one (async backends are not checked). */
function nonFinite(t: Tensor): 'nan' | 'inf' | null {
  if (!isFloating(t.dtype) || t.isDisposed || t._backend.readSync === undefined) return null;
  const data = t.dataSync();
  let inf = false;
  for (let i = 0; i < data.length; i++) {
    const v = data[i] as number;
    if (v !== v) return 'nan';
    if (v === Infinity || v === -Infinity) inf = true;
  }
  return inf ? 'inf' : null;
}

function traceback(node: Node): string {
  const stack = forwardStackOf(node);
  return stack === null
    ? `\n\n(No forward stack: ${node.name} was created outside anomaly mode. Run the forward pass inside detectAnomaly to see where it was created.)`
    : `\n\nTraceback of the forward call that created ${node.name} (most recent call first):\n${stack}`;
}

function checkForward(node: Node, inputs: readonly Tensor[], outputs: readonly Tensor[]): void {
  if (inputs.some((t) => nonFinite(t) !== null)) return;
  for (const out of outputs) {
    const bad = nonFinite(out);
    if (bad === null) continue;
    const op = node.name.replace(/Backward$/, '');
    throw new AnomalyError(
      `Function '${op}' (forward of ${node.name}) produced ${bad} values from finite inputs.${traceback(node)}`,
      node.name,
      forwardStackOf(node),
    );
  }
}

/**
 * @internal The engine's checked path in anomaly mode: runs `node.apply`, adds the forward stack to
 * an error it raises, and (checkNan) throws when a returned gradient holds NaN or Inf.
 */
export function applyChecked(node: Node, grads: readonly (Tensor | null)[]): (Tensor | null)[] {
  let result: (Tensor | null)[];
  try {
    result = node.apply(grads);
  } catch (e) {
    if (e instanceof NablaError && !(e instanceof AnomalyError)) e.message += traceback(node);
    throw e;
  }
  if (state?.checkNan) {
    result.forEach((g, i) => {
      const bad = g === null ? null : nonFinite(g);
      if (bad !== null) {
        throw new AnomalyError(
          `Function '${node.name}' returned ${bad} values in its ${i}th output.${traceback(node)}`,
          node.name,
          forwardStackOf(node),
        );
      }
    });
  }
  return result;
}

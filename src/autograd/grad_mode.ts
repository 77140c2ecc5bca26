// Grad mode: whether operations record the autograd graph, with function and scope forms.

import type { UsingScope } from '../disposable.js';

let enabled = true;

export function isGradEnabled(): boolean {
  return enabled;
}

export function setGradEnabled(on: boolean): void {
  enabled = on;
}

/** A scope that restores the previous grad mode when exited (or disposed with `using`). */
export class GradModeScope implements UsingScope {
  readonly #previous: boolean;
  #open = true;

  constructor(on: boolean) {
    this.#previous = enabled;
    enabled = on;
  }

  exit(): void {
    if (!this.#open) return;
    this.#open = false;
    enabled = this.#previous;
  }

  [Symbol.dispose](): void {
    this.exit();
  }
}

function withGradMode<T>(on: boolean, fn: () => T): T {
  const scope = new GradModeScope(on);
  try {
    return fn();
  } finally {
    scope.exit();
  }
}

/**
 * torch.no_grad. `noGrad(() => ...)` runs the function without recording the graph and returns
 * its result; `noGrad()` opens a scope: close it with `.exit()`, or write `using _ = noGrad()`.
 */
export function noGrad<T>(fn: () => T): T;
export function noGrad(): GradModeScope;
export function noGrad<T>(fn?: () => T): T | GradModeScope {
  return fn === undefined ? new GradModeScope(false) : withGradMode(false, fn);
}

/** torch.enable_grad, in the same two forms as noGrad. */
export function enableGrad<T>(fn: () => T): T;
export function enableGrad(): GradModeScope;
export function enableGrad<T>(fn?: () => T): T | GradModeScope {
  return fn === undefined ? new GradModeScope(true) : withGradMode(true, fn);
}
